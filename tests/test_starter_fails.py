"""Every graded scenario fails when its task's solution is removed, and passes on the reference."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlops_labs import catalogue, project, scenario_runner, solution_regions

LABS_DIR = Path(solution_regions.__file__).parent / "labs"
CODE_TASKS = [t for t in catalogue.all_tasks() if t.kind == "code"]


def _workspace(tmp_path: Path, **strip_options: object) -> Path:
    """A copy of the lab code with solution regions replaced as ``strip_options`` say."""
    workspace = tmp_path / "labs"
    shutil.copytree(LABS_DIR, workspace, ignore=shutil.ignore_patterns("__pycache__"))
    for path in workspace.glob("*.py"):
        path.write_text(solution_regions.strip(path.read_text(), path.name, **strip_options))
    return workspace


def _statuses(tasks: list[catalogue.Task], labs_dir: Path | None) -> dict[str, str]:
    results = scenario_runner.run(tuple(tasks), project=project.find_root(), labs_dir=labs_dir)
    return {result.task.id: result.status for result in results}


def test_the_starter_fails_every_code_task_and_says_which(tmp_path):
    results = scenario_runner.run(
        tuple(CODE_TASKS), project=project.find_root(), labs_dir=_workspace(tmp_path)
    )
    for result in results:
        assert result.status == "failed", f"{result.task.id} passes on the starter"
        failure = result.first_failure
        assert failure.failed_step, f"{result.task.id}: no failing step reported"
        assert "NotImplementedError" in failure.message or "Lab" in failure.message


@pytest.mark.parametrize("task", CODE_TASKS, ids=lambda t: t.id)
def test_a_solution_that_does_nothing_fails_its_task(tmp_path, task):
    """E.g. an ``_s3_persist`` that uploads nothing must not pass 6.1.4."""
    workspace = _workspace(tmp_path, only={task.id}, replacement=lambda region: "pass")
    assert _statuses([task], workspace) == {task.id: "failed"}


def test_the_reference_passes_in_any_order(tmp_path, monkeypatch):
    """Scenarios share no state: run backwards, every task still passes."""
    order: list[str] = []

    def reverse(self, items):
        items.reverse()
        order.extend(item.name for item in items)

    monkeypatch.setattr(
        scenario_runner._Collector, "pytest_collection_modifyitems", reverse, raising=False
    )
    tasks = list(catalogue.all_tasks())
    assert _statuses(tasks, None) == dict.fromkeys((t.id for t in tasks), "passed")
    assert order[-1] == "test_linebyline_import_exploration", f"not reversed: {order[-2:]}"
