"""A learner's progress in a workspace: task statuses and hints shown, in one JSON state file."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..coursework import catalogue
from ..errors import KitError
from . import hints

STATE_DIR = ".mlops-labs"
STATE_FILE = "state.json"
FORMAT = 1  # bump when the file's layout changes, so an older file is refused, not misread

STATUSES = ("passed", "failed", "skipped", "pending")
_MOVE_ASIDE = "move it aside and run `mlops-labs check` again"


class ProgressError(KitError):
    """A state file that cannot be read or written; the message says how to fix it."""


@dataclass
class TaskProgress:
    """One task's state: its latest status, when it first passed, and how many hints were shown."""

    status: str = "pending"
    first_passed: datetime | None = None
    hints_shown: int = 0


def state_path(workspace: Path) -> Path:
    """Where the state file of ``workspace`` lives."""
    return Path(workspace) / STATE_DIR / STATE_FILE


@dataclass
class Progress:
    """The state of one workspace; ``save()`` writes it, nothing else touches the disk."""

    workspace: Path
    tasks: dict[str, TaskProgress] = field(default_factory=dict)
    kit_version: str | None = None  # the mlops-labs that last saved it; None until saved

    @property
    def path(self) -> Path:
        """The state file's path."""
        return state_path(self.workspace)

    @classmethod
    def load(cls, workspace: Path) -> Progress:
        """The progress saved in ``workspace``; empty when it has no state file yet."""
        path = state_path(workspace)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(Path(workspace))
        except (OSError, UnicodeDecodeError) as exc:
            raise ProgressError(f"cannot read {path} ({_reason(exc)}): {_MOVE_ASIDE}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProgressError(
                f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}): {_MOVE_ASIDE}"
            ) from None
        return cls(Path(workspace), *_parse(data, path))

    def save(self) -> None:
        """Write the state file atomically (temp file, then rename), creating its folder."""
        self.kit_version = __version__
        data = {
            "format": FORMAT,
            "kit_version": self.kit_version,
            "tasks": {task_id: _dump_task(state) for task_id, state in self.tasks.items()},
        }
        # Sorted keys and a fixed indent: the file diffs cleanly between saves.
        text = json.dumps(data, sort_keys=True, indent=2) + "\n"
        folder = self.path.parent
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise ProgressError(
                f"cannot create {folder} ({_reason(exc)}): check that the workspace "
                f"{self.workspace} exists and is writable"
            ) from None
        _write_atomically(self.path, text)

    def status(self, task_id: str) -> str:
        """The task's latest status: passed, failed, skipped, or pending if never checked."""
        state = self.tasks.get(task_id)
        return state.status if state else "pending"

    def first_passed(self, task_id: str) -> datetime | None:
        """When the task first passed, or None if it never has."""
        state = self.tasks.get(task_id)
        return state.first_passed if state else None

    def hints_shown(self, task_id: str) -> int:
        """How many of the task's hints the learner has seen."""
        state = self.tasks.get(task_id)
        return state.hints_shown if state else 0

    def next_hint(self, task_id: str) -> tuple[int, str]:
        """The next hint's number (from 1) and text; past the last, the last again.

        The count is kept in memory: call ``save()`` to remember it. A caller tells "that was
        the last hint" by comparing the number with ``len(hints.hints_for(task_id))``.
        """
        texts = hints.hints_for(task_id)  # raises UnknownTask for an id not in the catalogue
        if not texts:
            raise KitError(f"task {task_id} has no hints yet: read its WHERE / WHAT / WHY")
        number = min(self.hints_shown(task_id) + 1, len(texts))
        self._task(task_id).hints_shown = number
        return number, texts[number - 1]

    def record_results(self, statuses: dict[str, str], when: datetime) -> None:
        """Remember each task's latest status, and ``when`` as its first pass if it is one.

        Pass a timezone-aware ``when`` (e.g. ``datetime.now(timezone.utc)``): it is stored as
        written, in ISO 8601.
        """
        for task_id, status in statuses.items():
            catalogue.task(task_id)  # an unknown id raises UnknownTask
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r} for {task_id}: use one of {STATUSES}")
        for task_id, status in statuses.items():
            state = self._task(task_id)
            state.status = status
            if status == "passed" and state.first_passed is None:
                state.first_passed = when

    def _task(self, task_id: str) -> TaskProgress:
        return self.tasks.setdefault(task_id, TaskProgress())


def _parse(data: Any, path: Path) -> tuple[dict[str, TaskProgress], str | None]:
    """The tasks and kit version of a loaded state file, checked; anything else raises."""
    if not isinstance(data, dict):
        raise ProgressError(f"{path} is not an mlops-labs state file: {_MOVE_ASIDE}")
    found = data.get("format")
    if not isinstance(found, int) or isinstance(found, bool):
        raise ProgressError(f"{path} has no state format number: {_MOVE_ASIDE}")
    if found < FORMAT:
        raise ProgressError(
            f"{path} was written by an older mlops-labs (format {found}); {_MOVE_ASIDE}"
        )
    if found > FORMAT:
        # Moving a newer file aside would lose the learner's progress: upgrading keeps it.
        raise ProgressError(
            f"{path} was written by a newer mlops-labs (format {found}, this one reads "
            f"{FORMAT}): upgrade mlops-labs, or {_MOVE_ASIDE}"
        )
    kit_version = data.get("kit_version")
    entries = data.get("tasks", {})
    if not isinstance(entries, dict) or not isinstance(kit_version, str | None):
        raise ProgressError(f"{path} has a malformed 'tasks' or 'kit_version': {_MOVE_ASIDE}")
    tasks = {}
    for task_id, entry in entries.items():
        try:
            tasks[task_id] = _load_task(entry)
        except (TypeError, ValueError) as exc:
            raise ProgressError(
                f"{path} has a bad entry for task {task_id} ({exc}): {_MOVE_ASIDE}"
            ) from None
    return tasks, kit_version


def _load_task(entry: Any) -> TaskProgress:
    if not isinstance(entry, dict):
        raise TypeError("not an object")
    status = entry.get("status", "pending")
    if status not in STATUSES:
        raise ValueError(f"status {status!r}")
    shown = entry.get("hints_shown", 0)
    if not isinstance(shown, int) or isinstance(shown, bool) or shown < 0:
        raise ValueError(f"hints_shown {shown!r}")
    first = entry.get("first_passed")
    if first is not None and not isinstance(first, str):
        raise TypeError(f"first_passed {first!r}")
    return TaskProgress(status, datetime.fromisoformat(first) if first else None, shown)


def _dump_task(state: TaskProgress) -> dict[str, Any]:
    return {
        "status": state.status,
        "first_passed": state.first_passed.isoformat() if state.first_passed else None,
        "hints_shown": state.hints_shown,
    }


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so a reader sees the old file or the new, never half."""
    # The temp file sits beside the target: os.replace is atomic only within one file system.
    temp: str | None = None
    try:
        descriptor, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ProgressError(
                f"cannot write {path} ({_reason(exc)}): check that {path.parent} is writable "
                "and the disk is not full"
            ) from None
        raise


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__
