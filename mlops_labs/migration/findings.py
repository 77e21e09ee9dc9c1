"""What the translator reports of each Redshift construct: where it is, what became of it, why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What became of a construct; only UNTRANSLATABLE leaves work for a person."""

    TRANSLATED = "translated"  # now written the BigQuery way (the reason says how)
    DROPPED = "dropped"  # left out: BigQuery needs no equivalent (the reason says why)
    SUGGESTION = "suggestion"  # not applied: a choice for whoever runs the migration
    UNTRANSLATABLE = "untranslatable"  # no BigQuery equivalent the kit can write


@dataclass(frozen=True)
class Finding:
    """One construct of the source at ``line``:``column`` (1-based), and what became of it."""

    line: int
    column: int
    construct: str
    outcome: Outcome
    reason: str

    def describe(self, source: str = "") -> str:
        """``source:line:column: outcome: construct: reason``, on one line."""
        where = f"{source}:" if source else ""
        return f"{where}{self.line}:{self.column}: {self.outcome}: {self.construct}: {self.reason}"


def comment_lines(findings: list[Finding]) -> list[str]:
    """The findings as SQL comments, one a line, to stand above the statement they concern."""
    return [
        f"-- line {f.line}: {f.outcome}: {f.construct}: {f.reason}".replace("\n", " ")
        for f in findings
    ]
