"""The run's ledger: every resource written to disk the moment it is created.

A run that is killed outright leaves its ledger behind; ``mlops-labs cleanup`` reads it. Each
change rewrites the file through a temporary file, so a ledger is never half-written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import tempfile
import threading
from pathlib import Path

from .resources import Resource

LEDGERS = Path(".mlops-labs") / "live"


def new_run_id() -> str:
    """Six lower-case hex digits: short enough for bucket names, unlikely to repeat."""
    return secrets.token_hex(3)


class Ledger:
    """The resources one run has created and not yet removed."""

    def __init__(self, folder: Path, run_id: str) -> None:
        self.run_id = run_id
        self.path = folder / f"{run_id}.json"
        self._lock = threading.Lock()
        self._resources: list[Resource] = []
        self._started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        if self.path.is_file():
            data = json.loads(self.path.read_text())
            self._resources = [Resource.from_json(item) for item in data.get("resources", [])]
            self._started = data.get("started", self._started)

    @property
    def resources(self) -> list[Resource]:
        """What is recorded, oldest first."""
        with self._lock:
            return list(self._resources)

    def add(self, resource: Resource) -> None:
        """Record ``resource`` (once) and write the ledger."""
        with self._lock:
            if resource not in self._resources:
                self._resources.append(resource)
                self._write()

    def remove(self, resource: Resource) -> None:
        """Forget a resource that is gone; the ledger file goes when nothing is left."""
        with self._lock:
            if resource in self._resources:
                self._resources.remove(resource)
            if self._resources:
                self._write()
            else:
                self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "run_id": self.run_id,
            "started": self._started,
            "pid": os.getpid(),
            "resources": [resource.to_json() for resource in self._resources],
        }
        handle, temporary = tempfile.mkstemp(prefix=f".{self.run_id}.", dir=self.path.parent)
        with os.fdopen(handle, "w") as out:
            json.dump(data, out, indent=2)
        os.replace(temporary, self.path)


def left_behind(folder: Path) -> list[Ledger]:
    """The ledgers of runs that did not remove everything they made."""
    if not folder.is_dir():
        return []
    return [Ledger(folder, path.stem) for path in sorted(folder.glob("*.json"))]


def is_running(ledger: Ledger) -> bool:
    """Whether the process that wrote ``ledger`` is still alive on this machine."""
    try:
        pid = json.loads(ledger.path.read_text()).get("pid")
    except (OSError, ValueError):
        return False
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
