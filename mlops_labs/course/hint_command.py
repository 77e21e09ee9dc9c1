"""``mlops-labs hint TASK``: the task's next hint, one more each time it is asked."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from ..coursework import catalogue
from . import hints, learner_workspace, progress


def hint(task_id: str, console: Console) -> int:
    """Print the next hint of ``task_id`` (the first, outside a workspace, unless ``--all``)."""
    task = catalogue.task(task_id)
    texts = hints.hints_for(task.id)
    workspace = learner_workspace.find()
    if workspace is None:
        number, text = 1, texts[0]
        note = "outside a workspace every call shows hint 1; `mlops-labs start` keeps count"
    else:
        state = progress.Progress.load(workspace)
        number, text = state.next_hint(task.id)
        state.save()
        note = (
            "that was the last hint: the reference solution's WHAT and WHY comments say the rest"
            if number == len(texts)
            else f"ask again for hint {number + 1} of {len(texts)}"
        )
    console.print(f"[bold]Lab {task.id} - {escape(task.title)}[/]  hint {number} of {len(texts)}")
    console.print(escape(text))
    console.print(f"[dim]{escape(note)}[/]")
    return 0
