"""``mlops-labs check``: run the scenarios and show one line per task, then a summary.

Inside a learner workspace (``mlops-labs start``) it checks the workspace's lab code, grades the
reading tasks through the worksheet, and remembers the results in the workspace's progress file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..cloud import modes
from ..coursework import catalogue, project
from ..coursework.catalogue import Task
from ..coursework.lab_code import validate
from ..harness import scenario_runner
from ..harness.scenario_helper import Helper
from ..harness.scenario_runner import TaskResult
from . import hunt, learner_workspace

SYMBOLS = {
    "passed": "[green]✔[/]",
    "failed": "[red]✘[/]",
    "not started": "[dim]·[/]",
    "waiting": "[yellow]…[/]",
    "no scenario": "[yellow]?[/]",
}
# What the progress file calls each status of the board.
PROGRESS_STATUS = {
    "passed": "passed",
    "failed": "failed",
    "not started": "pending",
    "waiting": "pending",
    "no scenario": "skipped",
}


# The starter's stand-in for a solution region names its task (solution_regions.not_implemented).
_STUB = re.compile(r"NotImplementedError: Lab (?P<id>\d+\.\d+\.\d+) - ")


@dataclass(frozen=True)
class Row:
    """One task on the board: its status and, when it does not pass, what to look at."""

    task: Task
    status: str
    scenario: str | None = None
    step: str | None = None
    message: str | None = None


def check(
    targets: list[str],
    *,
    cloud: str | None = None,
    labs_dir: str | None = None,
    console: Console | None = None,
    helper: Helper | None = None,
) -> int:
    """Run the scenarios of ``targets`` (lab or task ids; all when empty); 0 when all pass.

    With a ``helper`` (``check --watch``), half of the scenarios run in parallel once it is ready.
    """
    console = console or Console(highlight=False, soft_wrap=True)
    tasks = catalogue.select(targets)
    mode = modes.resolve(cloud)
    workspace = None if labs_dir else learner_workspace.find()
    if labs_dir:
        code = validate(Path(labs_dir))
    elif workspace is not None:
        code = validate(learner_workspace.labs_dir(workspace))
    else:
        code = None
    if mode is modes.CloudMode.LIVE:
        # Everything missing is said before a single resource is created.
        from ..live import preflight, settings

        preflight.require(settings.load(), {task.lab_id for task in tasks})
    if helper is not None:
        results = helper.run(tasks, code)
    else:
        results = scenario_runner.run(tasks, project=project.find_root(), cloud=mode, labs_dir=code)
    rows = board(results, workspace)
    if workspace is not None:
        console.print(f"[dim]workspace: {escape(str(workspace))}[/]")
        learner_workspace.record(workspace, {r.task.id: PROGRESS_STATUS[r.status] for r in rows})
    render(rows, console, mode)
    return 0 if all(row.status == "passed" for row in rows) else 1


def board(results: list[TaskResult], workspace: Path | None) -> list[Row]:
    """Each task's row; in a workspace a reading task is graded by its worksheet answer."""
    reading = any(result.task.kind == "reading" for result in results)
    grades = _worksheet_grades(workspace) if reading else {}
    rows = []
    for result in results:
        grade = grades.get(result.task.id)
        if result.task.kind == "reading" and workspace is not None:
            rows.append(_reading_row(result.task, grade))
        else:
            rows.append(_row(result))
    return rows


def _reading_row(task: Task, grade: hunt.Grade | None) -> Row:
    # Its work is understanding: the scenario checks the code it reads, the worksheet the learner.
    if grade is not None and grade.passed:
        return Row(task, "passed")
    worksheet = "the scavenger-hunt worksheet"
    if grade is None or grade.problem:
        return Row(task, "not started", worksheet, None, f"answer it in {hunt.WORKSHEET}")
    return Row(task, "failed", worksheet, None, _grade_problem(grade))


def _row(result: TaskResult) -> Row:
    failure = result.first_failure
    if failure is None:
        return Row(result.task, result.status)
    message = failure.message or "failed"
    stub = _STUB.search(message)
    if stub is None:
        return Row(result.task, result.status, failure.name, failure.failed_step, message)
    if stub["id"] == result.task.id:
        return Row(result.task, "not started")
    # Its scenario runs code of another task, started but unfinished (an untouched stub would
    # have been stood in for): say which, not a traceback.
    waiting = (
        f"its scenario also runs Lab {stub['id']}, which still raises NotImplementedError: "
        "finish that task too"
    )
    return Row(result.task, "waiting", failure.name, failure.failed_step, waiting)


def _worksheet_grades(workspace: Path | None) -> dict[str, hunt.Grade]:
    if workspace is None or not (workspace / hunt.WORKSHEET).is_file():
        return {}
    answers = hunt.read_worksheet(workspace / hunt.WORKSHEET)
    markers = hunt.find_markers(learner_workspace.labs_dir(workspace))
    return {grade.task.id: grade for grade in hunt.grade(answers, markers)}


def _grade_problem(grade: hunt.Grade) -> str:
    if grade.problem:
        return f"{grade.problem}: answer it in {hunt.WORKSHEET}"
    wrong = []
    if not grade.where_ok:
        wrong.append("WHERE does not name the right file and function")
    if not grade.what_ok:
        wrong.append("WHAT misses what the code does")
    return "; ".join(wrong) + f" (see `mlops-labs hunt --check {hunt.WORKSHEET}`)"


def render(rows: list[Row], console: Console, mode: modes.CloudMode) -> None:
    """Print the board: labs in order, a line per task, the first failing step under it."""
    for lab in catalogue.LABS:
        lab_rows = [r for r in rows if r.task.lab_id == lab.id]
        if not lab_rows:
            continue
        console.print(f"[bold]Lab {lab.id} - {escape(lab.title)}[/]")
        width = max(len(r.task.title) for r in lab_rows)
        for row in lab_rows:
            console.print(
                f"  {SYMBOLS[row.status]} {row.task.id}  {escape(row.task.title.ljust(width))}"
                f"  {row.status}"
            )
            if row.status == "not started":
                console.print(f"           hint: mlops-labs hint {row.task.id}")
            elif row.status == "waiting":
                console.print(f"           [yellow]{escape(row.message or '')}[/]")
            elif row.message is not None:
                if row.scenario:
                    console.print(f"           scenario: {escape(row.scenario)}")
                if row.step:
                    console.print(f"           failing step: {escape(row.step)}")
                console.print(f"           [red]{escape(row.message)}[/]")
                console.print(f"           hint: mlops-labs hint {row.task.id}")
        if all(r.status == "passed" for r in lab_rows) and len(lab_rows) == len(lab.tasks):
            console.print(f"  [green]Lab {lab.id} complete: every task passes.[/]")
    passed = sum(r.status == "passed" for r in rows)
    console.print(
        f"{len(rows)} task{'s' * (len(rows) != 1)}: {passed} passed, "
        f"{len(rows) - passed} not passing "
        f"(cloud mode: {mode.value})"
    )
