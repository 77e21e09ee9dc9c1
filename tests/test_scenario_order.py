"""The scenarios share no state: run in any order, the reference passes every task.

That the starter fails every code task, also with a do-nothing solution, is `mlops-labs verify
--thorough`, which CI runs.
"""

from __future__ import annotations

from pathlib import Path

from mlops_labs.coursework import catalogue, project
from mlops_labs.harness import scenario_runner


def _statuses(tasks: list[catalogue.Task], labs_dir: Path | None) -> dict[str, str]:
    results = scenario_runner.run(tuple(tasks), project=project.find_root(), labs_dir=labs_dir)
    return {result.task.id: result.status for result in results}


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
