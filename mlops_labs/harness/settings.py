"""What a kit run was told, resolved once: the cloud mode, the lab code, cassette recording.

A plain ``pytest`` run resolves its options into one ``RunSettings``; the kit's own commands
(``check``, ``verify``, ``watch`` and its helper process) resolve theirs and hand the object to
pytest as a plugin. Fixtures read it: nothing turns it back into strings to parse again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..cloud import modes
from ..coursework.lab_code import ENV_VAR


@dataclass(frozen=True)
class RunSettings:
    """A kit run's settings; handed to ``pytest.main`` as a plugin, it wins over the options."""

    cloud: modes.CloudMode = modes.CloudMode.OFFLINE
    # The learner's lab code folder; None runs the reference solution.
    labs_dir: Path | None = None
    record: bool = False
    cassettes_dir: Path | None = None

    @classmethod
    def from_options(cls, config: pytest.Config) -> RunSettings:
        """The settings a ``pytest`` command line (and the environment) gives; KitError if wrong."""
        labs = config.getoption("--labs-dir") or os.environ.get(ENV_VAR)
        cassettes = config.getoption("--cassettes-dir")
        return cls(
            cloud=modes.resolve(config.getoption("--cloud")),
            labs_dir=Path(labs).resolve() if labs else None,
            record=bool(config.getoption("--record-cassettes")),
            cassettes_dir=Path(cassettes) if cassettes else None,
        )


def resolve(config: pytest.Config) -> RunSettings:
    """The settings a command handed in, else those of the command line."""
    handed = [p for p in config.pluginmanager.get_plugins() if isinstance(p, RunSettings)]
    return handed[0] if handed else RunSettings.from_options(config)
