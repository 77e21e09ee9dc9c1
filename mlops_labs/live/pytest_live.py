"""Live mode inside pytest: preflight before anything runs, run names in every step, removal.

Registered by the kit's pytest plugin when ``--cloud live`` is chosen.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..coursework import catalogue
from ..errors import KitError
from . import preflight, settings
from .run import LiveRun, aws_account_id

# The pytest options of live mode and the settings they give.
OPTIONS = {
    "--live-config": "config_file",
    "--live-project": "project",
    "--live-location": "location",
    "--live-region": "aws_region",
    "--live-redshift-url": "redshift_url",
    "--live-redshift-iam-role": "redshift_iam_role",
    "--live-max-bytes-billed": "max_bytes_billed",
    "--live-max-upload-bytes": "max_upload_bytes",
}


def add_options(group: Any) -> None:
    """The live settings as pytest options (each also an environment variable or file entry)."""
    for option, name in OPTIONS.items():
        group.addoption(option, default=None, help=f"live mode: {name.replace('_', ' ')}")


def load_settings(config: pytest.Config) -> settings.LiveSettings:
    """The live settings from the options, environment and file."""
    flags = {name: config.getoption(option) for option, name in OPTIONS.items()}
    config_file = flags.pop("config_file")
    return settings.load(flags, config_file=Path(config_file) if config_file else None)


class LivePlugin:
    """The live run of one pytest session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.run: LiveRun | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        labs = {
            lab.id for item in items for lab in catalogue.LABS if item.get_closest_marker(lab.tag)
        }
        try:
            chosen = load_settings(self.config)
            preflight.require(chosen, labs)
        except KitError as exc:
            raise pytest.UsageError(str(exc)) from None
        # Known before any cassette records, so recordings say 123456789012 in its place.
        account = aws_account_id() if self.config.getoption("--record-cassettes") else None
        self.run = LiveRun(chosen, self.config.rootpath, account_id=account).start()

    def pytest_bdd_before_step_call(self, step_func_args: dict[str, Any]) -> None:
        """Step arguments naming resources ("churn-artifacts") become this run's names."""
        if self.run is None:
            return
        for name, value in step_func_args.items():
            if isinstance(value, str):
                step_func_args[name] = self.run.names.text(value, name)

    @pytest.fixture(autouse=True)
    def _live_scenario(self) -> Iterator[None]:
        """Remove what the scenario made when it ends, however it ends."""
        if self.run is None:
            yield
            return
        with self.run.scenario():
            yield

    def pytest_sessionfinish(self) -> None:
        if self.run is not None:
            self.run.finish()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.run is None:
            return
        kept = [o for o in self.run.outcomes if o.status not in ("removed", "already gone")]
        removed = len(self.run.outcomes) - len(kept)
        terminalreporter.write_line(
            f"live run {self.run.run_id}: {removed} resource(s) made and removed; "
            f"{self.run.guard.traffic.summary()}"
        )
        for outcome in kept:
            terminalreporter.write_line(f"  NOT REMOVED {outcome}", red=True)
        if kept:
            terminalreporter.write_line(
                f"  `mlops-labs cleanup` removes them (ledger {self.run.ledger.path})", red=True
            )
