"""``mlops-labs verify``: the course is sound — nbgrader's "validate", for scenarios.

Every graded scenario passes on the reference solution and fails on the starter (no task passes
vacuously; with ``--thorough`` also when its solution is replaced by ``pass``), every marker sits
exactly once where the catalogue says, and every task has a scenario, hints and a worksheet entry.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..cloud.modes import CloudMode
from ..coursework import catalogue, project
from ..coursework.catalogue import Task
from ..coursework.lab_code import REFERENCE_DIR
from ..coursework.solution_regions import Region, find_regions
from ..harness import scenario_runner
from . import hints, hunt
from .learner_workspace import write_lab_code


def verify(
    console: Console, *, thorough: bool = False, cloud: CloudMode = CloudMode.OFFLINE
) -> int:
    """Run every check, print what is wrong; 0 when the course is sound."""
    problems = static_problems(REFERENCE_DIR)
    root = project.find_root()
    tasks = catalogue.all_tasks()
    code_tasks = tuple(t for t in tasks if t.kind == "code")
    reference = _statuses(tasks, root, None, cloud)
    problems += [
        f"{task_id}: the reference solution's scenarios do not pass ({status})"
        for task_id, status in reference.items()
        if status != "passed"
    ]
    with tempfile.TemporaryDirectory(prefix="mlops-labs-verify-") as scratch:
        starter = _statuses(code_tasks, root, _workspace(Path(scratch), "starter"), cloud)
        problems += [
            f"{task_id}: the starter passes it, so its scenario proves nothing"
            for task_id, status in starter.items()
            if status == "passed"
        ]
        if thorough:
            for task in code_tasks:
                empty = _workspace(Path(scratch), f"empty-{task.id}", task, lambda _: "pass")
                if _statuses((task,), root, empty, cloud)[task.id] == "passed":
                    problems.append(f"{task.id}: a solution that does nothing passes it")
    report(problems, len(tasks), console)
    return 1 if problems else 0


def static_problems(labs: Path) -> list[str]:
    """Markers, hints and worksheet entries: what can be checked without running anything."""
    problems = []
    sources = {path.name: path.read_text() for path in sorted(labs.glob("*.py"))}
    markers = {m.task.id: m for m in hunt.find_markers(labs)}
    template = hunt.worksheet_template(list(markers.values()))
    for task in catalogue.all_tasks():
        count = sum(text.count(task.marker) for text in sources.values())
        if count != 1:
            problems.append(
                f"{task.id}: its marker `{task.marker}` appears {count} times, not once"
            )
        marker = markers.get(task.id)
        if marker is not None and (marker.file, marker.function) != (task.file, task.function):
            problems.append(
                f"{task.id}: the marker sits in {marker.file} {marker.function or '(module)'}, "
                f"the catalogue says {task.file} {task.function or '(module)'}"
            )
        if len(hints.HINTS.get(task.id, ())) < 2:
            problems.append(f"{task.id}: fewer than 2 hints in mlops_labs/course/hints.py")
        if f"## {task.id} " not in template:
            problems.append(f"{task.id}: no entry in the scavenger-hunt worksheet")
        if task.kind == "code" and not _has_region(sources.get(task.file, ""), task):
            problems.append(f"{task.id}: no solution region in {task.file}, so no starter for it")
    return problems


def report(problems: list[str], task_count: int, console: Console) -> None:
    """Print the verdict: every problem on its own line, or that all is well."""
    for problem in problems:
        console.print(f"  [red]✘[/] {escape(problem)}")
    if problems:
        console.print(f"[red]{len(problems)} problem(s) in the course[/]")
    else:
        console.print(
            f"[green]✔ {task_count} tasks: markers, hints, worksheet entries and scenarios in "
            "place; the reference passes and the starter fails every code task[/]"
        )


def _has_region(source: str, task: Task) -> bool:
    return any(region.task_id == task.id for region in find_regions(source, task.file))


def _statuses(
    tasks: tuple[Task, ...], root: Path, labs: Path | None, cloud: CloudMode
) -> dict[str, str]:
    results = scenario_runner.run(tasks, project=root, cloud=cloud, labs_dir=labs)
    return {result.task.id: result.status for result in results}


def _workspace(
    scratch: Path,
    name: str,
    task: Task | None = None,
    replacement: Callable[[Region], str] | None = None,
) -> Path:
    """A copy of the reference with solution regions stripped (of one task, or all)."""
    options: dict = {}
    if task is not None:
        options["only"] = {task.id}
    if replacement is not None:
        options["replacement"] = replacement
    return write_lab_code(scratch / name, **options)
