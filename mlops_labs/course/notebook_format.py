"""Notebooks kept as text: jupytext's percent format to an nbformat 4 ``.ipynb``, for Colab.

The ``.py`` is the source of truth (it diffs, lints and runs as a script); the ``.ipynb`` beside
it is generated: ``python -m mlops_labs.course.notebook_format notebooks/labs_6_4_and_6_5.py``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

_CELL = re.compile(r"^# %%(?P<title>[^\[]*)(?:\[(?P<kind>\w+)\])?\s*$")
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def percent_to_notebook(text: str) -> dict[str, Any]:
    """The nbformat 4 notebook a percent-format script describes (no outputs)."""
    lines = text.splitlines()
    if lines and lines[0] == "# ---":
        end = lines.index("# ---", 1)  # jupytext's own metadata header: not a cell
        lines = lines[end + 1 :]
    cells: list[dict[str, Any]] = []
    kind, body = None, []
    for line in [*lines, "# %%"]:
        match = _CELL.match(line)
        if match is None:
            body.append(line)
            continue
        if kind is not None:
            cells.append(_cell(kind, body))
        kind, body = (match["kind"] or "code"), []
    return {
        "cells": cells,
        "metadata": {"kernelspec": KERNEL, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _cell(kind: str, body: list[str]) -> dict[str, Any]:
    while body and not body[-1].strip():
        body.pop()
    while body and not body[0].strip():
        body.pop(0)
    if kind == "markdown":
        body = [line[2:] if line.startswith("# ") else line.removeprefix("#") for line in body]
    source = [line + "\n" for line in body[:-1]] + body[-1:]
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def render(text: str) -> str:
    """The ``.ipynb`` text, stable so that a regenerated file only differs where the .py did."""
    return json.dumps(percent_to_notebook(text), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write ``<name>.ipynb`` beside each percent-format script named."""
    for name in argv:
        source = Path(name)
        source.with_suffix(".ipynb").write_text(render(source.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
