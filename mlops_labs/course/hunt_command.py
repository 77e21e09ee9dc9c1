"""``mlops-labs hunt``: list every marker; ``--check WORKSHEET`` grades a filled-in worksheet."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..coursework.lab_code import REFERENCE_DIR
from . import hunt, learner_workspace


def _labs() -> Path:
    workspace = learner_workspace.find()
    return learner_workspace.labs_dir(workspace) if workspace else REFERENCE_DIR


def list_markers(console: Console) -> int:
    """Every marker: task, file:line, enclosing function, the workshop's WHAT and WHY."""
    for marker in hunt.find_markers(_labs()):
        task = marker.task
        where = f"{marker.file}:{marker.line}" + (
            f" in {marker.function}()" if marker.function else ""
        )
        console.print(f"[bold]{task.id}[/] {escape(task.title)}  [dim]{escape(where)}[/]")
        console.print(f"      WHAT: {escape(task.what)}")
        console.print(f"      WHY:  {escape(task.why)}")
    return 0


def check_worksheet(path: Path, console: Console) -> int:
    """Grade WHERE and WHAT of every entry; list each WHY for the instructor. 0 if all pass."""
    grades = hunt.grade(hunt.read_worksheet(path), hunt.find_markers(_labs()))
    for grade in grades:
        mark = "[green]✔[/]" if grade.passed else "[red]✘[/]"
        console.print(f"  {mark} {grade.task.id}  {escape(grade.task.title)}")
        if grade.problem:
            console.print(f"           {escape(grade.problem)}")
            continue
        if not grade.where_ok:
            console.print("           WHERE: not the file and function where its marker sits")
        if not grade.what_ok:
            missing = ", ".join(grade.missing_terms)
            console.print(f"           WHAT: say more about what it does (e.g. {escape(missing)})")
    passed = sum(g.passed for g in grades)
    console.print(f"{len(grades)} entries: {passed} right, {len(grades) - passed} to revisit")
    console.print("[bold]WHY answers, for the instructor:[/]")
    for grade in grades:
        console.print(f"  {grade.task.id}: {escape(grade.why) if grade.why else '(no answer)'}")
    return 0 if passed == len(grades) else 1
