"""``mlops-labs check --watch``: check, then check again each time a lab file is saved.

One process for the whole session, so the SDKs and sandboxes are loaded once, and a helper
process (``scenario_helper``) that runs half of each re-check's scenarios beside it. A re-check
runs only the tasks whose code changed: a changed line belongs to the tasks whose markers or
solutions its function holds (a change outside them, to the imports say, re-checks every task of
that file), so saving one task's code answers in about half the time its scenarios take.
"""

from __future__ import annotations

import ast
import difflib
import os
import shutil
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console

from ..cloud import modes
from ..cloud.sandbox_sharing import kept_sandboxes
from ..coursework import catalogue, project
from ..coursework.catalogue import Task
from ..coursework.lab_code import REFERENCE_DIR, validate
from ..coursework.solution_regions import MARKER, find_regions
from ..errors import KitError
from ..harness.scenario_helper import Helper
from . import learner_workspace
from .check_command import check

POLL_SECONDS = 0.1


def watch(
    targets: list[str],
    *,
    cloud: str | None = None,
    labs_dir: str | None = None,
    console: Console | None = None,
    stop: threading.Event | None = None,
    helper: bool = True,
) -> int:
    """Check ``targets`` now and after every save, until Ctrl-C (or ``stop`` is set).

    ``helper=False`` keeps it to one process (see ``scenario_helper``).
    """
    console = console or Console(highlight=False, soft_wrap=True)
    stop = stop or threading.Event()
    folder = _folder(labs_dir)
    tasks = catalogue.select(targets)
    # Source compiled afresh each time: a save within the same second must not run stale code.
    sys.dont_write_bytecode = True
    shutil.rmtree(folder / "__pycache__", ignore_errors=True)
    mode = modes.resolve(cloud)
    # Live runs create real resources and keep a ledger: one process at a time. On one core, a
    # second process would only take turns with this one.
    shared = helper and mode is not modes.CloudMode.LIVE and (os.cpu_count() or 1) > 1
    second = Helper(mode, project.find_root(), warm=tuple(t.id for t in tasks)) if shared else None
    try:
        with kept_sandboxes(mode):
            return _watch(tasks, folder, cloud, labs_dir, console, stop, second)
    finally:
        if second is not None:
            second.close()


def _watch(
    tasks: tuple[Task, ...],
    folder: Path,
    cloud: str | None,
    labs_dir: str | None,
    console: Console,
    stop: threading.Event,
    helper: Helper | None,
) -> int:
    status = check(
        [t.id for t in tasks], cloud=cloud, labs_dir=labs_dir, console=console, helper=helper
    )
    seen = _stamps(folder)
    texts = _texts(folder, seen)
    try:
        # Inside: a Ctrl-C sent as soon as this is read must find the watcher ready for it.
        console.print(f"[dim]watching {folder} for saves (Ctrl-C to stop)[/]")
        while not stop.wait(POLL_SECONDS):
            now = _stamps(folder)
            changed = {name for name in now if now[name] != seen.get(name)}
            seen = now
            if not changed:
                continue
            before, texts = texts, _texts(folder, now)
            touched: set[str | None] = set()
            for name in changed:
                reference = REFERENCE_DIR / name
                found = changed_tasks(
                    before.get(name, ""),
                    texts.get(name, ""),
                    reference.read_text() if reference.is_file() else "",
                )
                touched |= {None} if found is None else found
            again = _affected(tasks, changed, touched) or [t.id for t in tasks]
            console.rule(f"{', '.join(sorted(changed))} saved")
            status = check(again, cloud=cloud, labs_dir=labs_dir, console=console, helper=helper)
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


def changed_tasks(before: str, after: str, reference: str) -> set[str] | None:
    """Ids of the tasks whose code differs; None when code outside every task's function did.

    A changed line inside a function (or class) belongs to the tasks whose markers or solution
    regions that function holds in the ``reference`` source; anything else (imports, helpers,
    a file that does not parse) could affect any task.
    """
    owners = _owners(after, _tasks_by_definition(reference))
    if owners is None:
        return None
    touched: set[str] = set()
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for tag, _, _, start, end in matcher.get_opcodes():
        if tag == "equal":
            continue
        # A deletion has no new lines: it belongs to the line it happened before.
        for number in range(start, max(end, start + 1)):
            owner = owners[min(number, len(owners) - 1)] if owners else None
            if owner is None:
                return None
            touched |= owner
    return touched


def _spans(source: str) -> dict[str, range] | None:
    """Each top-level function's and class's lines (0-based, decorators included).

    The comment and blank lines after a body count as its own: a trailing comment (or the
    ``# END SOLUTION`` of a pasted solution) changes no other task's behaviour.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    lines = source.splitlines()
    starts = [
        min([n.lineno, *(d.lineno for d in getattr(n, "decorator_list", []))]) - 1
        for n in tree.body
    ]
    spans = {}
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            end = node.end_lineno or node.lineno
            limit = starts[index + 1] if index + 1 < len(starts) else len(lines)
            while end < limit and lines[end].strip()[:1] in ("", "#"):
                end += 1
            spans[node.name] = range(starts[index], end)
    return spans


def _tasks_by_definition(reference: str) -> dict[str, set[str]]:
    """For each top-level definition of the reference, the tasks marked or solved inside it."""
    lines = reference.splitlines()
    starts = {region.begin - 1: region.task_id for region in find_regions(reference)}
    tasks: dict[str, set[str]] = {}
    for name, span in (_spans(reference) or {}).items():
        inside = {starts[n] for n in span if n in starts}
        inside |= {found["id"] for n in span if (found := MARKER.search(lines[n]))}
        if inside:
            tasks[name] = inside
    return tasks


def _owners(source: str, tasks: dict[str, set[str]]) -> list[set[str] | None] | None:
    """Per line, the tasks it belongs to (None outside a task's definition); None if unparsable."""
    spans = _spans(source)
    if spans is None:
        return None
    owners: list[set[str] | None] = [None] * len(source.splitlines())
    for name, span in spans.items():
        for number in span:
            owners[number] = tasks.get(name)
    return owners


def _affected(tasks: Iterable[Task], changed: set[str], touched: set[str | None]) -> list[str]:
    in_files = [t for t in tasks if t.file in changed]
    if None in touched:
        return [t.id for t in in_files]
    return [t.id for t in in_files if t.id in touched]


def _texts(folder: Path, stamps: dict[str, tuple[int, int]]) -> dict[str, str]:
    return {name: (folder / name).read_text(errors="replace") for name in stamps}
