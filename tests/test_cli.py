"""The command line: a board per task, exit codes that CI can trust, errors in one line."""

from __future__ import annotations

import gc
import shutil

import pytest

from mlops_labs.course import cli
from mlops_labs.coursework import solution_regions
from mlops_labs.coursework.lab_code import REFERENCE_DIR

LABS_DIR = REFERENCE_DIR


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_passing_task_exits_zero_with_its_line(capsys):
    code, out, err = _run(capsys, "check", "6.1.3")
    assert code == 0, out + err
    assert "6.1.3  Parameter and Artifact Evolution  passed" in out
    assert "1 task: 1 passed, 0 not passing (cloud mode: offline)" in out


def test_a_failing_task_shows_its_step_and_error_and_exits_one(capsys, tmp_path):
    workspace = tmp_path / "labs"
    shutil.copytree(LABS_DIR, workspace, ignore=shutil.ignore_patterns("__pycache__"))
    source = workspace / "model.py"
    original = source.read_text()
    # A solution that does nothing: the scenario runs, and its first failing step shows.
    nothing = solution_regions.strip(original, only={"6.1.4"}, replacement=lambda _: "pass")
    source.write_text(nothing)
    code, out, err = _run(capsys, "check", "6.1.4", "--labs-dir", str(workspace))
    assert code == 1
    assert "6.1.4  S3 Data Loading Conversion  failed" in out
    assert "failing step: " in out and "hint: mlops-labs hint 6.1.4" in out
    assert "Traceback" not in out + err
    # The starter's stub: not started yet, with the hint command.
    source.write_text(solution_regions.strip(original, only={"6.1.4"}))
    code, out, err = _run(capsys, "check", "6.1.4", "--labs-dir", str(workspace))
    assert code == 1
    assert "6.1.4  S3 Data Loading Conversion  not started" in out
    assert "hint: mlops-labs hint 6.1.4" in out and "Traceback" not in out + err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["check", "6.9"],
            "unknown lab or task '6.9': valid labs are 6.1, 6.2, 6.4, 6.5, valid tasks are 6.1.1",
        ),
        (["check", "--cloud", "mars"], "unknown cloud mode 'mars': choose one of offline"),
        (["check", "--labs-dir", "no/such/folder"], "no lab code folder at no/such/folder"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_two(capsys, argv, message):
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert err.startswith("mlops-labs: error: " + message)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_folder_without_lab_code_is_refused(capsys, tmp_path):
    code, _, err = _run(capsys, "check", "--labs-dir", str(tmp_path))
    assert code == 2
    assert "is not a lab code folder (it has no __init__.py)" in err


def test_the_command_exits_with_the_code_of_main_leaving_its_heap_to_the_exit(monkeypatch):
    # Interpreter shutdown would otherwise walk every object of every loaded SDK (about 1.3 s).
    monkeypatch.setattr(cli, "main", lambda: 3)
    gc.unfreeze()
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 3
    assert gc.get_freeze_count() > 0, "the heap was not frozen before the exit"
