"""Stand-ins: a task runs the learner's code, other untouched stubs from the reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_labs.course import learner_workspace
from mlops_labs.coursework import catalogue, stand_ins
from mlops_labs.coursework.lab_code import REFERENCE_DIR, LabCode
from mlops_labs.coursework.solution_regions import find_regions, strip

CODE_TASKS = {t.id for t in catalogue.all_tasks() if t.kind == "code"}


@pytest.fixture
def labs(tmp_path) -> Path:
    return learner_workspace.labs_dir(learner_workspace.start(tmp_path / "ws"))


def _stub_count(source: str, task_id: str) -> int:
    return source.count(f'NotImplementedError("Lab {task_id} - ')


def test_other_tasks_untouched_stubs_get_the_reference_and_the_kept_task_stays_a_stub(labs):
    composition = stand_ins.compose(labs, ["6.1.5"], REFERENCE_DIR)

    model = (composition.directory / "model.py").read_text()
    assert _stub_count(model, "6.1.5") == 1
    assert _stub_count(model, "6.1.3") == 0  # 6.1.3 has two regions: both filled
    assert model.count("# BEGIN SOLUTION") == len(find_regions(model)) > 0
    assert set(composition.stood_in) == CODE_TASKS - {"6.1.5"}
    assert composition.directory.parent == labs.parent / stand_ins.COMPOSED
    assert _stub_count((labs / "model.py").read_text(), "6.1.3") == 2  # the learner's file as is


def test_a_started_task_is_never_replaced(labs):
    model = labs / "model.py"
    stub = 'raise NotImplementedError("Lab 6.1.4 - S3 Data Loading Conversion: your code goes here'
    model.write_text(model.read_text().replace(stub, 'raise NotImplementedError("Lab 6.1.4 - mine'))

    composition = stand_ins.compose(labs, ["6.1.5"], REFERENCE_DIR)

    composed = (composition.directory / "model.py").read_text()
    assert 'NotImplementedError("Lab 6.1.4 - mine' in composed
    assert "6.1.4" not in composition.stood_in


def test_nothing_is_composed_when_no_other_task_is_a_stub(tmp_path):
    labs = tmp_path / "labs"
    labs.mkdir()
    for source in REFERENCE_DIR.glob("*.py"):
        only = {"6.2.2"} if source.name == "ingest_model.py" else set()
        (labs / source.name).write_text(strip(source.read_text(), source.name, only=only))

    composition = stand_ins.compose(labs, ["6.2.2"], REFERENCE_DIR)

    assert composition == stand_ins.Composition(labs, ())


def test_the_same_workspace_composes_to_the_same_copy_and_an_edit_to_a_new_one(labs):
    first = stand_ins.compose(labs, ["6.5.2"], REFERENCE_DIR)
    assert stand_ins.compose(labs, ["6.5.2"], REFERENCE_DIR).directory == first.directory
    (labs / "bqml.py").write_text((labs / "bqml.py").read_text() + "\n# a note\n")
    assert stand_ins.compose(labs, ["6.5.2"], REFERENCE_DIR).directory != first.directory


def test_lab_code_for_a_task_imports_the_composed_copy_under_its_own_name(labs):
    code = LabCode(labs)

    composed = code.for_tasks(["6.1.5"])

    assert composed.stood_in and composed.directory != labs
    model = composed.module("model")
    assert model.__name__.startswith("mlops_labs_workspace_")
    assert code.module("model").__name__ == "mlops_labs_workspace.model"
    assert LabCode(None).for_tasks(["6.1.5"]).directory is None  # the reference is never composed
