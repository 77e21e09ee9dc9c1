"""A learner's workspace: the starter lab code, the scavenger-hunt worksheet and the progress file.

``mlops-labs start DIR`` makes one; ``check``, ``hint`` and ``hunt`` find it from the current
folder (or any folder above it), the way git finds a repository.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..coursework.lab_code import REFERENCE_DIR
from ..coursework.solution_regions import strip
from ..errors import KitError
from . import hunt, progress

LABS = "labs"


def start(directory: Path) -> Path:
    """Make a workspace in ``directory`` (new or empty); refuse one that holds anything."""
    target = directory.resolve()
    if target.exists() and not target.is_dir():
        raise KitError(f"{directory} is a file: choose a folder for the workspace")
    if target.is_dir() and any(target.iterdir()):
        held = ", ".join(sorted(p.name for p in target.iterdir())[:3])
        raise KitError(
            f"{directory} already holds files ({held}): nothing was changed. Choose a new or "
            "empty folder, or keep working there with `mlops-labs check`"
        )
    labs = target / LABS
    # Every solution region becomes a raise that names its task and its hint command.
    write_lab_code(labs)
    markers = hunt.find_markers(labs)
    (target / hunt.WORKSHEET).write_text(hunt.worksheet_template(markers))
    progress.Progress.load(target).save()
    return target


def write_lab_code(folder: Path, **strip_options: Any) -> Path:
    """The reference lab files in ``folder``, their solution regions stripped as ``strip`` says."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted(REFERENCE_DIR.glob("*.py")):
        (folder / source.name).write_text(strip(source.read_text(), source.name, **strip_options))
    return folder


def find(start_at: Path | None = None) -> Path | None:
    """The workspace at or above ``start_at`` (default: here), or None outside one."""
    here = (start_at or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if progress.state_path(folder).is_file():
            return folder
    return None


def labs_dir(workspace: Path) -> Path:
    """Where a workspace keeps its lab code."""
    return workspace / LABS


def record(workspace: Path, statuses: dict[str, str]) -> progress.Progress:
    """Remember the statuses of one check run in the workspace's progress file."""
    state = progress.Progress.load(workspace)
    state.record_results(statuses, dt.datetime.now(dt.UTC))
    state.save()
    return state
