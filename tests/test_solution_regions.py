"""Solution regions: found, tied to their markers, stripped; markers sit where the workshop says."""

from __future__ import annotations

import ast

import pytest

from mlops_labs.coursework import catalogue, solution_regions
from mlops_labs.coursework.lab_code import REFERENCE_DIR
from mlops_labs.errors import SolutionRegionError

LABS_DIR = REFERENCE_DIR

SAMPLE = """\
def f():
    # TODO: Lab 9.1.1 - First Task
    # BEGIN SOLUTION
    x = 1
    return x
    # END SOLUTION


def g():
    # TODO: Lab 9.1.2 - Second Task
    if True:
        # BEGIN SOLUTION
        return 2
        # END SOLUTION
"""


def test_regions_belong_to_the_marker_above_them():
    regions = solution_regions.find_regions(SAMPLE)
    assert [(r.task_id, r.begin, r.end, r.indent) for r in regions] == [
        ("9.1.1", 3, 6, "    "),
        ("9.1.2", 12, 14, "        "),
    ]


def test_strip_replaces_each_region_with_a_raise_naming_the_task():
    stripped = solution_regions.strip(SAMPLE)
    ast.parse(stripped)
    assert "x = 1" not in stripped and "return 2" not in stripped
    assert '        raise NotImplementedError("Lab 9.1.2 - Second Task' in stripped
    assert "# TODO: Lab 9.1.1 - First Task" in stripped


def test_strip_can_keep_the_other_tasks():
    stripped = solution_regions.strip(SAMPLE, only={"9.1.2"})
    assert "x = 1" in stripped and "return 2" not in stripped


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("# BEGIN SOLUTION\n# END SOLUTION\n", "x.py:1: # BEGIN SOLUTION with no task marker"),
        ("# TODO: Lab 9.1.1 - T\n# BEGIN SOLUTION\n", "x.py:2: # BEGIN SOLUTION is never closed"),
        ("# TODO: Lab 9.1.1 - T\n# END SOLUTION\n", "x.py:2: # END SOLUTION with no"),
        (
            "# TODO: Lab 9.1.1 - T\n# BEGIN SOLUTION\n# BEGIN SOLUTION\n",
            "x.py:3: # BEGIN SOLUTION before the region at line 2 ended",
        ),
        (
            "# TODO: Lab 9.1.1 - T\n# BEGIN SOLUTION\n# TODO: Lab 9.1.2 - U\n",
            "x.py:3: task marker inside the region opened at line 2",
        ),
    ],
)
def test_malformed_regions_are_refused_with_their_line(source, message):
    with pytest.raises(SolutionRegionError, match="^" + message.replace("(", r"\(")):
        solution_regions.find_regions(source, "x.py")


def _enclosing_function(tree: ast.Module, line: int) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.lineno <= line <= node.end_lineno:
            return node.name
    return None


@pytest.mark.parametrize("task", catalogue.all_tasks(), ids=lambda t: t.id)
def test_each_marker_appears_once_at_its_place(task):
    source = (LABS_DIR / task.file).read_text()
    hits = [n for n, line in enumerate(source.splitlines(), 1) if task.marker in line]
    everywhere = [p for p in LABS_DIR.glob("*.py") if f"TODO: Lab {task.id} " in p.read_text()]
    assert len(hits) == 1, f"{task.marker!r} appears {len(hits)} times in {task.file}"
    assert everywhere == [LABS_DIR / task.file]
    assert _enclosing_function(ast.parse(source), hits[0]) == task.function


@pytest.mark.parametrize("task", catalogue.all_tasks(), ids=lambda t: t.id)
def test_code_tasks_have_a_solution_region_and_reading_tasks_none(task):
    regions = solution_regions.find_regions((LABS_DIR / task.file).read_text(), task.file)
    mine = [r for r in regions if r.task_id == task.id]
    assert bool(mine) == (task.kind == "code")
