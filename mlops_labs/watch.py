"""``mlops-labs check --watch``: check, then check again each time a lab file is saved.

One process for the whole session, so the SDKs and sandboxes are loaded once: a re-check runs
only the tasks whose file changed, and answers in about the time their scenarios take.
"""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

from rich.console import Console

from . import catalogue, learner_workspace
from .check import check
from .errors import KitError
from .workspace import validate

POLL_SECONDS = 0.2


def watch(
    targets: list[str],
    *,
    cloud: str | None = None,
    labs_dir: str | None = None,
    console: Console | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Check ``targets`` now and after every save, until Ctrl-C (or ``stop`` is set)."""
    console = console or Console(highlight=False, soft_wrap=True)
    stop = stop or threading.Event()
    folder = _folder(labs_dir)
    tasks = catalogue.select(targets)
    # Source compiled afresh each time: a save within the same second must not run stale code.
    sys.dont_write_bytecode = True
    shutil.rmtree(folder / "__pycache__", ignore_errors=True)
    status = check([t.id for t in tasks], cloud=cloud, labs_dir=labs_dir, console=console)
    seen = _stamps(folder)
    console.print(f"[dim]watching {folder} for saves (Ctrl-C to stop)[/]")
    try:
        while not stop.wait(POLL_SECONDS):
            now = _stamps(folder)
            changed = {name for name in now if now[name] != seen.get(name)}
            seen = now
            if not changed:
                continue
            again = [t.id for t in tasks if t.file in changed] or [t.id for t in tasks]
            console.rule(f"{', '.join(sorted(changed))} saved")
            status = check(again, cloud=cloud, labs_dir=labs_dir, console=console)
    except KeyboardInterrupt:
        console.print("[dim]stopped watching[/]")
    return status


def _folder(labs_dir: str | None) -> Path:
    if labs_dir:
        return validate(Path(labs_dir))
    workspace = learner_workspace.find()
    if workspace is None:
        raise KitError(
            "--watch watches a workspace's lab code: run it inside a workspace made with "
            "`mlops-labs start`, or give --labs-dir"
        )
    return learner_workspace.labs_dir(workspace)


def _stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.py")}
