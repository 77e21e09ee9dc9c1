"""Hints: every catalogue task has them, they name the task's function, and they stay short."""

from __future__ import annotations

import re

import pytest

from mlops_labs.course import hints
from mlops_labs.coursework import catalogue
from mlops_labs.errors import UnknownTask

TASKS = catalogue.all_tasks()
MAX_CHARS = 600
MAX_LINES = 6


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.id)
def test_every_task_has_at_least_two_hints(task):
    assert len(hints.hints_for(task.id)) >= 2


def test_hints_are_only_for_catalogue_tasks():
    assert set(hints.HINTS) == {task.id for task in TASKS}


@pytest.mark.parametrize(
    "task", [t for t in TASKS if t.kind == "code" and t.function], ids=lambda task: task.id
)
def test_a_code_task_s_hints_name_its_function(task):
    # A whole word: "train" must not be satisfied by "training".
    name = re.compile(rf"\b{re.escape(task.function)}\b")
    assert any(name.search(text) for text in hints.hints_for(task.id))


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.id)
def test_hints_are_short_plain_text(task):
    for number, text in enumerate(hints.hints_for(task.id), start=1):
        where = f"hint {number} of {task.id}"
        assert text.strip(), f"{where} is empty"
        assert len(text) <= MAX_CHARS, f"{where} has {len(text)} characters"
        assert len(text.splitlines()) <= MAX_LINES, f"{where} has more than {MAX_LINES} lines"
        table = [line for line in text.splitlines() if line.lstrip().startswith("|")]
        assert not table, f"{where} looks like a markdown table"
        assert text == text.strip(), f"{where} has leading or trailing whitespace"


def test_hints_of_a_task_differ():
    for task in TASKS:
        texts = hints.hints_for(task.id)
        assert len(set(texts)) == len(texts), task.id


def test_the_pitfalls_the_scenarios_check_are_hinted():
    assert any("input_label_cols" in text for text in hints.hints_for("6.5.2"))
    assert any("labels=['species']" in text for text in hints.hints_for("6.5.2"))
    assert any("finally" in text for text in hints.hints_for("6.5.6"))
    assert any("PendingManualApproval" in text for text in hints.hints_for("6.1.5"))


def test_an_unknown_task_is_refused_in_one_line_naming_the_valid_ids():
    with pytest.raises(UnknownTask) as raised:
        hints.hints_for("9.9.9")
    message = str(raised.value)
    assert "\n" not in message
    assert "9.9.9" in message
    assert all(task.id in message for task in TASKS)
