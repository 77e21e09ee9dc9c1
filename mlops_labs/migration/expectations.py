"""The ``-- expect:`` notes of a sample script, checked against what the translator reported.

A line of the sample may end in ``-- expect: outcome: construct[; outcome: construct...]``: the
translator must report each on that line. Every dropped or untranslatable finding must in turn
be one a note expects, so nothing is dropped or left out that the sample does not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .findings import Finding, Outcome

SAMPLES = Path(__file__).parent / "samples"
_NOTE = re.compile(r"--\s*expect:\s*(?P<notes>.*)$")


@dataclass(frozen=True)
class Expected:
    """One construct the translator must report on ``line``, with ``outcome``."""

    line: int
    outcome: Outcome
    construct: str

    def met_by(self, finding: Finding) -> bool:
        """Whether ``finding`` reports this construct."""
        return (
            finding.line == self.line
            and finding.outcome is self.outcome
            and self.construct.lower() in finding.construct.lower()
        )


def sample(name: str) -> Path:
    """The path of a sample script shipped with the toolkit."""
    return SAMPLES / name


def expected(script: str) -> list[Expected]:
    """Every ``-- expect:`` note of the script, in order."""
    found = []
    for number, text in enumerate(script.splitlines(), 1):
        match = _NOTE.search(text)
        if not match:
            continue
        for note in match["notes"].split(";"):
            outcome, _, construct = note.strip().partition(":")
            found.append(Expected(number, Outcome(outcome.strip()), construct.strip()))
    return found


def unmet(script: str, findings: list[Finding]) -> list[Expected]:
    """The notes no finding meets."""
    return [e for e in expected(script) if not any(e.met_by(f) for f in findings)]


def unexpected(script: str, findings: list[Finding]) -> list[Finding]:
    """The dropped or untranslatable findings no note expects."""
    notes = expected(script)
    serious = (Outcome.DROPPED, Outcome.UNTRANSLATABLE)
    return [f for f in findings if f.outcome in serious and not any(e.met_by(f) for e in notes)]
