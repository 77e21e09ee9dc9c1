"""Find the project: the folder that holds ``features/`` and ``step_defs/``."""

from __future__ import annotations

from pathlib import Path

from ..errors import ProjectNotFound


def is_project(folder: Path) -> bool:
    """Whether ``folder`` holds the scenarios and their step definitions."""
    return (folder / "features").is_dir() and (folder / "step_defs").is_dir()


def find_root(start: Path | None = None) -> Path:
    """The project folder at or above ``start`` (default: here), else the installed checkout."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_project(folder):
            return folder
    # An editable install: the checkout the package was installed from.
    checkout = Path(__file__).resolve().parents[2]  # coursework/ -> mlops_labs/ -> the checkout
    if is_project(checkout):
        return checkout
    raise ProjectNotFound(
        f"no features/ and step_defs/ at or above {here}: run this inside the mlops-labs "
        "checkout, installed with pip install -e"
    )
