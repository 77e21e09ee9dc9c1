"""Stand-ins: a learner's lab code with other tasks' untouched stubs filled from the reference.

A task's scenario can run code that belongs to other tasks (Lab 6.1.5's registry branch runs
6.1.3's feature rules; Lab 6.4.4 persists through Lab 6.1's trainer). So that finishing one task
turns exactly that task green, its scenarios run on a composed copy of the workspace in which
every *other* task still holding its starter stub, untouched, gets the reference solution. The
learner's own code, finished or not, is always what runs; nothing is composed when no other
task is still a stub, so tracebacks then point at the learner's files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .solution_regions import Region, find_regions, not_implemented

# Inside the workspace's state folder, beside the progress file: one folder per composition.
COMPOSED = Path(".mlops-labs") / "composed"
# Each edit makes new copies; older ones beyond these are removed.
KEPT_COPIES = 64


@dataclass(frozen=True)
class Composition:
    """The lab code a task's scenarios run, and which tasks the reference stands in for."""

    directory: Path
    stood_in: tuple[str, ...]


def compose(labs: Path, keep: Iterable[str], reference_dir: Path) -> Composition:
    """``labs`` with the untouched stubs of every task not in ``keep`` filled from the reference.

    ``reference_dir`` holds the reference solution's lab files (``lab_code.REFERENCE_DIR``).
    """
    kept = set(keep)
    sources: dict[str, str] = {}
    stood_in: list[str] = []
    for path in sorted(labs.glob("*.py")):
        reference = reference_dir / path.name
        text = path.read_text()
        if reference.is_file():
            text, filled = _fill(text, reference.read_text(), path.name, kept)
            stood_in += filled
        sources[path.name] = text
    if not stood_in:
        return Composition(labs, ())
    digest = hashlib.sha256(repr(sorted(sources.items())).encode()).hexdigest()[:16]
    target = labs.parent / COMPOSED / digest
    if not target.is_dir():
        _write(target, sources)
        _prune(target.parent)
    return Composition(target, tuple(sorted(stood_in)))


def _fill(learner: str, reference: str, filename: str, kept: set[str]) -> tuple[str, list[str]]:
    """The learner's file with each untouched stub of a task not kept swapped for its region."""
    lines = learner.splitlines(keepends=True)
    reference_lines = reference.splitlines(keepends=True)
    # A task with several regions has one identical stub per region: pair them up in order.
    regions_by_stub: dict[str, list[Region]] = {}
    for region in find_regions(reference, filename):
        if region.task_id not in kept:
            stub = f"{region.indent}{not_implemented(region)}\n"
            regions_by_stub.setdefault(stub, []).append(region)
    swaps: list[tuple[int, Region]] = []
    for stub, regions in regions_by_stub.items():
        found = [number for number, line in enumerate(lines) if line == stub]
        if len(found) == len(regions):  # else started, finished or moved: the learner's runs
            swaps += zip(found, regions, strict=True)
    # From the end, so earlier line numbers stay valid while later stubs grow into regions.
    for number, region in sorted(swaps, key=lambda swap: swap[0], reverse=True):
        lines[number : number + 1] = reference_lines[region.begin - 1 : region.end]
    return "".join(lines), sorted({region.task_id for _, region in swaps})


def _write(target: Path, sources: dict[str, str]) -> None:
    # Written beside and moved into place, so a half-written copy is never imported; named for
    # the process, as check --watch's helper may compose the same copy at the same moment.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name, text in sources.items():
        (partial / name).write_text(text)
    try:
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # another run made the same one first


def _prune(folder: Path) -> None:
    copies = sorted(folder.iterdir(), key=lambda path: path.stat().st_mtime, reverse=True)
    for stale in copies[KEPT_COPIES:]:
        shutil.rmtree(stale, ignore_errors=True)
