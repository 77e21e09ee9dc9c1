"""Solution regions in lab code: find them, tie each to its task marker, strip them for a starter.

A region runs from a ``# BEGIN SOLUTION`` line to the next ``# END SOLUTION`` line and belongs to
the nearest ``# TODO: Lab X.Y.Z - Title`` marker above it in the same file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import SolutionRegionError

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
MARKER = re.compile(r"#\s*TODO: Lab (?P<id>\d+\.\d+\.\d+) - (?P<title>.+?)\s*$")


@dataclass(frozen=True)
class Region:
    """Lines ``begin``..``end`` (1-based, inclusive, delimiters included) solve ``task_id``."""

    task_id: str
    title: str
    begin: int
    end: int
    indent: str


def find_regions(source: str, filename: str = "<lab code>") -> list[Region]:
    """Every solution region of ``source``, in order; malformed regions raise."""
    regions: list[Region] = []
    marker: re.Match[str] | None = None
    opened: tuple[int, str] | None = None
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        found = MARKER.search(line)
        if found:
            if opened:
                raise SolutionRegionError(
                    f"{filename}:{number}: task marker inside the region opened at line {opened[0]}"
                )
            marker = found
        elif stripped == BEGIN:
            if opened:
                raise SolutionRegionError(
                    f"{filename}:{number}: {BEGIN} before the region at line {opened[0]} ended"
                )
            if marker is None:
                raise SolutionRegionError(
                    f"{filename}:{number}: {BEGIN} with no task marker above it"
                )
            opened = (number, line[: len(line) - len(line.lstrip())])
        elif stripped == END:
            if not opened or marker is None:
                raise SolutionRegionError(f"{filename}:{number}: {END} with no {BEGIN}")
            regions.append(Region(marker["id"], marker["title"], opened[0], number, opened[1]))
            opened = None
    if opened:
        raise SolutionRegionError(f"{filename}:{opened[0]}: {BEGIN} is never closed")
    return regions


def not_implemented(region: Region) -> str:
    """The starter's stand-in for a region: a raise that names the task."""
    return (
        f'raise NotImplementedError("Lab {region.task_id} - {region.title}: your code goes here '
        f'(the WHAT and WHY above say what it must do; `mlops-labs hint {region.task_id}` helps)")'
    )


def strip(
    source: str,
    filename: str = "<lab code>",
    only: set[str] | None = None,
    replacement: Callable[[Region], str] = not_implemented,
) -> str:
    """``source`` with each region (of the tasks in ``only``, or all) replaced by one line."""
    lines = source.splitlines(keepends=True)
    for region in reversed(find_regions(source, filename)):
        if only is not None and region.task_id not in only:
            continue
        lines[region.begin - 1 : region.end] = [f"{region.indent}{replacement(region)}\n"]
    return "".join(lines)
