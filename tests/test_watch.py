"""`check --watch` re-checks only the tasks whose code a save changed."""

from __future__ import annotations

import pytest

from mlops_labs.course.watch import changed_tasks
from mlops_labs.coursework import catalogue
from mlops_labs.coursework.lab_code import REFERENCE_DIR
from mlops_labs.coursework.solution_regions import strip


def _starter(name: str) -> tuple[str, str]:
    reference = (REFERENCE_DIR / name).read_text()
    return strip(reference, name), reference


def _edit_stub(source: str, task_id: str, occurrence: int = 0) -> str:
    stubs = [line for line in source.splitlines() if f'NotImplementedError("Lab {task_id} ' in line]
    return source.replace(stubs[occurrence], stubs[occurrence] + "  # working on it", 1)


@pytest.mark.parametrize(
    ("name", "task_id", "occurrence"),
    [
        ("model.py", "6.1.4", 0),
        ("model.py", "6.1.3", 1),  # its second region sits in another function
        ("ingest_model.py", "6.2.1", 2),  # select_sql_from_dict holds a region, not the marker
        ("ingest_model.py", "6.2.4", 0),
        ("bqml.py", "6.5.2", 0),
        ("vertex_setup.py", "6.4.4", 0),
    ],
)
def test_a_change_inside_a_tasks_code_re_checks_only_that_task(name, task_id, occurrence):
    starter, reference = _starter(name)
    assert changed_tasks(starter, _edit_stub(starter, task_id, occurrence), reference) == {task_id}


def test_a_function_holding_several_tasks_re_checks_all_of_them():
    starter, reference = _starter("model.py")
    edited = starter.replace("def train(", "def train(  # note\n", 1)
    assert changed_tasks(starter, edited, reference) == {"6.1.2", "6.1.5", "6.1.6"}


@pytest.mark.parametrize(
    "edit",
    [
        lambda source: "import os\n" + source,  # imports serve every task
        lambda source: source + "\n\ndef helper():\n    return 1\n",  # a helper anyone may call
        lambda source: source + "\ndef broken(:\n",  # a file that does not parse
    ],
)
def test_a_change_outside_every_tasks_code_re_checks_the_whole_file(edit):
    starter, reference = _starter("model.py")
    assert changed_tasks(starter, edit(starter), reference) is None


def test_an_unchanged_file_touches_no_task():
    starter, reference = _starter("bqml.py")
    assert changed_tasks(starter, starter, reference) == set()


@pytest.mark.parametrize(
    "task", [t for t in catalogue.all_tasks() if t.kind == "code"], ids=lambda t: t.id
)
def test_a_whole_solution_pasted_in_re_checks_its_task_not_the_file(task):
    # The pasted region ends in "# END SOLUTION", a comment past the function's last statement.
    starter, reference = _starter(task.file)
    others = {t.id for t in catalogue.all_tasks() if t.kind == "code"} - {task.id}
    touched = changed_tasks(starter, strip(reference, task.file, only=others), reference)
    assert touched is not None and task.id in touched
    assert touched <= {t.id for t in catalogue.all_tasks() if t.file == task.file}


def test_a_comment_added_after_a_functions_last_line_belongs_to_that_function():
    starter, reference = _starter("bqml.py")
    stub = next(line for line in starter.splitlines() if 'NotImplementedError("Lab 6.5.3 ' in line)
    edited = starter.replace(stub, stub + "\n    # tried ML.EVALUATE first\n", 1)
    assert changed_tasks(starter, edited, reference) == {"6.5.3"}
