"""One live run: its names, its ledger, the observer that fills it, and removal at the end."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from . import active_runs, labels, observer
from . import names as run_names
from .active_runs import active as active
from .cost_guard import CostGuard
from .ledger import LEDGERS, Ledger, new_run_id
from .names import RunNames
from .resources import Resource
from .settings import LiveSettings
from .teardown import Outcome, remove_all

# After these the resource is no longer there; "left alone" and "failed" stay in the ledger.
_GONE = ("removed", "already gone")


def ledger_folder(settings: LiveSettings, root: Path) -> Path:
    """Where runs write their ledgers: the setting, else ``.mlops-labs/live`` under ``root``."""
    return Path(settings.ledger_dir) if settings.ledger_dir else root / LEDGERS


class LiveRun:
    """Record everything made between ``start`` and ``finish``, and remove it."""

    def __init__(
        self,
        settings: LiveSettings,
        root: Path,
        run_id: str | None = None,
        account_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.run_id = run_id or new_run_id()
        self.names = RunNames(self.run_id, settings.run_prefix, settings.project, account_id)
        self.ledger = Ledger(ledger_folder(settings, root), self.run_id)
        self.outcomes: list[Outcome] = []
        self.guard = CostGuard(settings.max_bytes_billed, settings.max_upload_bytes)
        self._observing: contextlib.ExitStack | None = None

    def start(self) -> LiveRun:
        """Name resources for this run and record each one the SDKs create."""
        run_names.use(self.names)
        active_runs.begin(self)
        self._observing = contextlib.ExitStack()
        self._observing.enter_context(
            observer.recording(self.ledger.add, self.guard, self.ledger.remove, self._label)
        )
        return self

    def _label(self, resource: Resource) -> None:
        labels.label(resource, self.run_id)

    @contextlib.contextmanager
    def scenario(self) -> Iterator[None]:
        """Remove what the enclosed scenario made when it ends, passed, failed or interrupted."""
        before = len(self.ledger.resources)
        try:
            yield
        finally:
            self.remove(self.ledger.resources[before:])

    def remove(self, resources: list[Resource] | None = None) -> list[Outcome]:
        """Remove ``resources`` (default: all recorded), forgetting those that are gone."""
        outcomes = remove_all(self.ledger.resources if resources is None else resources, self.names)
        for outcome in outcomes:
            if outcome.status in _GONE:
                self.ledger.remove(outcome.resource)
        self.outcomes += outcomes
        return outcomes

    def finish(self) -> list[Outcome]:
        """Stop recording, remove whatever is left, and name the run's names back."""
        try:
            return self.remove()
        finally:
            if self._observing is not None:
                self._observing.close()
            active_runs.end(self)
            run_names.use(RunNames())

    def __enter__(self) -> LiveRun:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.finish()


def aws_account_id() -> str | None:
    """The AWS account the credentials belong to (for recordings), or None if unknown."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return boto3.client("sts").get_caller_identity()["Account"]
    except (BotoCoreError, ClientError):
        return None
