"""``mlops-labs check``: run the scenarios and show one line per task, then a summary."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from . import catalogue, project, scenario_runner
from .cloud import modes
from .scenario_runner import TaskResult
from .workspace import validate

SYMBOLS = {"passed": "[green]✔[/]", "failed": "[red]✘[/]", "no scenario": "[yellow]?[/]"}


def check(
    targets: list[str],
    *,
    cloud: str | None = None,
    labs_dir: str | None = None,
    console: Console | None = None,
) -> int:
    """Run the scenarios of ``targets`` (lab or task ids; all when empty); 0 when all pass."""
    console = console or Console(highlight=False, soft_wrap=True)
    tasks = catalogue.select(targets)
    mode = modes.resolve(cloud)
    workspace = validate(Path(labs_dir)) if labs_dir else None
    results = scenario_runner.run(
        tasks, project=project.find_root(), cloud=mode, labs_dir=workspace
    )
    render(results, console, mode)
    return 0 if all(result.status == "passed" for result in results) else 1


def render(results: list[TaskResult], console: Console, mode: modes.CloudMode) -> None:
    """Print the board: labs in order, a line per task, the first failing step under it."""
    for lab in catalogue.LABS:
        rows = [r for r in results if r.task.lab_id == lab.id]
        if not rows:
            continue
        console.print(f"[bold]Lab {lab.id} - {escape(lab.title)}[/]")
        width = max(len(r.task.title) for r in rows)
        for row in rows:
            console.print(
                f"  {SYMBOLS[row.status]} {row.task.id}  {escape(row.task.title.ljust(width))}"
                f"  {row.status}"
            )
            failure = row.first_failure
            if failure is not None:
                console.print(f"           scenario: {escape(failure.name)}")
                if failure.failed_step:
                    console.print(f"           failing step: {escape(failure.failed_step)}")
                console.print(f"           [red]{escape(failure.message or 'failed')}[/]")
        if all(r.status == "passed" for r in rows) and len(rows) == len(lab.tasks):
            console.print(f"  [green]Lab {lab.id} complete: every task passes.[/]")
    passed = sum(r.status == "passed" for r in results)
    console.print(
        f"{len(results)} task{'s' * (len(results) != 1)}: {passed} passed, "
        f"{len(results) - passed} not passing "
        f"(cloud mode: {mode.value})"
    )
