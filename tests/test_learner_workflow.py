"""The learner's path: start a workspace, check it, ask for hints, hunt markers, see a task pass."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from mlops_labs.course import cli, hunt, learner_workspace, progress, verify
from mlops_labs.course.watch import watch
from mlops_labs.coursework import catalogue
from mlops_labs.coursework.lab_code import REFERENCE_DIR
from mlops_labs.coursework.solution_regions import strip

REFERENCE = REFERENCE_DIR
CODE_TASKS = {t.id for t in catalogue.all_tasks() if t.kind == "code"}


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    made = learner_workspace.start(tmp_path / "ws")
    monkeypatch.chdir(made)
    return made


def complete(workspace: Path, task_id: str) -> None:
    """Write a task's solution into the workspace, as a learner who got it right would."""
    task = catalogue.task(task_id)
    reference = (REFERENCE / task.file).read_text()
    others = CODE_TASKS - {task_id}
    (workspace / "labs" / task.file).write_text(strip(reference, task.file, only=others))


def run_cli(*args: str) -> int:
    return cli.main(list(args))


def test_start_makes_a_starter_workspace_with_a_worksheet_and_progress(workspace):
    model = (workspace / "labs" / "model.py").read_text()
    assert "# TODO: Lab 6.1.4 - S3 Data Loading Conversion" in model
    assert "# BEGIN SOLUTION" not in model
    assert 'NotImplementedError("Lab 6.1.4 - S3 Data Loading Conversion' in model
    assert "`mlops-labs hint 6.1.4`" in model
    sections = [
        line for line in (workspace / hunt.WORKSHEET).read_text().splitlines() if line[:3] == "## "
    ]
    assert len(sections) == len(catalogue.all_tasks())
    assert progress.state_path(workspace).is_file()


def test_start_refuses_a_folder_that_holds_work(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("my work")
    assert run_cli("start", str(tmp_path / "mine")) == 2
    error = capsys.readouterr().err
    assert "already holds files (notes.txt): nothing was changed" in error
    assert error.count("\n") == 1 and "Traceback" not in error
    assert (tmp_path / "mine" / "notes.txt").read_text() == "my work"


def test_a_newcomer_sees_hints_then_exactly_the_task_they_completed_turn_green(workspace, capsys):
    assert run_cli("check", "6.1.4", "6.5.1") == 1
    board = capsys.readouterr().out
    assert "not started" in board and "hint: mlops-labs hint 6.1.4" in board
    complete(workspace, "6.1.4")
    assert run_cli("check", "6.1.4", "6.5.1") == 1
    board = capsys.readouterr().out
    assert "✔ 6.1.4" in board and "· 6.5.1" in board
    state = progress.Progress.load(workspace)
    assert state.status("6.1.4") == "passed" and state.first_passed("6.1.4") is not None
    assert state.status("6.5.1") == "pending"


def test_a_task_that_runs_another_tasks_code_turns_green_alone(workspace, capsys):
    # 6.1.5's scenario trains through 6.1.2 and 6.1.3 code, both still stubs in the starter.
    complete(workspace, "6.1.5")
    assert run_cli("check", "6.1.3", "6.1.5") == 1
    board = capsys.readouterr().out
    assert "✔ 6.1.5" in board and "· 6.1.3" in board and "not started" in board


def test_a_task_needing_another_the_learner_started_but_left_unfinished_says_which(
    workspace, capsys
):
    complete(workspace, "6.1.5")
    model = workspace / "labs" / "model.py"
    stub = 'NotImplementedError("Lab 6.1.3 - Parameter and Artifact Evolution: your code goes here'
    model.write_text(model.read_text().replace(stub, stub.replace("your code goes here", "todo")))
    run_cli("check", "6.1.5")
    out = capsys.readouterr().out
    assert "waiting" in out
    assert "its scenario also runs Lab 6.1.3, which still raises NotImplementedError" in out


def test_hints_come_one_more_each_time_and_are_remembered(workspace, capsys):
    for number in (1, 2, 3, 3):
        assert run_cli("hint", "6.5.2") == 0
        assert f"hint {number} of 3" in capsys.readouterr().out
    assert progress.Progress.load(workspace).hints_shown("6.5.2") == 3
    assert run_cli("hint", "9.9.9") == 2
    assert "unknown task '9.9.9': valid tasks are 6.1.1" in capsys.readouterr().err


def test_the_reading_task_counts_through_the_worksheet(workspace, capsys):
    sheet = workspace / hunt.WORKSHEET
    sheet.write_text(
        sheet.read_text().replace(
            "## 6.1.1 Line-by-Line Import Exploration\n\nWHERE: \nWHAT: \nWHY: ",
            "## 6.1.1 Line-by-Line Import Exploration\n\nWHERE: model.py, the imports\n"
            "WHAT: joblib writes the model to local disk, boto3 carries it to S3\n"
            "WHY: local runs and orchestrated runs persist differently",
        )
    )
    assert run_cli("check", "6.1.1") == 0
    assert "✔ 6.1.1" in capsys.readouterr().out
    assert run_cli("hunt", "--check", str(sheet)) == 1  # the other entries are still blank
    out = capsys.readouterr().out
    assert "✔ 6.1.1" in out and "6.1.1: local runs and orchestrated runs" in out


def test_hunt_lists_every_marker_where_it_sits(capsys):
    assert run_cli("hunt") == 0
    out = capsys.readouterr().out
    for task in catalogue.all_tasks():
        assert f"{task.id} {task.title}" in out
    assert "bqml.py:" in out and "in deploy_and_predict()" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("WHAT: before any heading\n", "WHAT comes before any '## X.Y.Z Title' heading"),
        ("## 7.7.7 Nothing\nWHERE: x\n", "'7.7.7' is not a task id"),
        ("## 6.1.4 A\nWHERE: x\n## 6.1.4 B\n", "task 6.1.4 appears twice"),
    ],
)
def test_a_malformed_worksheet_says_which_entry_and_why(tmp_path, capsys, text, message):
    sheet = tmp_path / "sheet.md"
    sheet.write_text(text)
    assert run_cli("hunt", "--check", str(sheet)) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert run_cli("hunt", "--check", str(tmp_path / "missing.md")) == 2
    assert "no worksheet at" in capsys.readouterr().err


def test_a_workspace_from_an_older_kit_is_refused_in_one_line(workspace, capsys):
    state = progress.state_path(workspace)
    data = json.loads(state.read_text())
    state.write_text(json.dumps({**data, "format": 0}))
    assert run_cli("check", "6.5.1") == 2
    error = capsys.readouterr().err
    assert "older mlops-labs (format 0)" in error and error.count("\n") == 1


def test_watch_rechecks_the_task_of_a_saved_file(workspace):
    out_file = workspace.parent / "watch.txt"
    console = Console(file=out_file.open("w"), highlight=False, soft_wrap=True, width=200)
    stop = threading.Event()
    thread = threading.Thread(
        target=watch, args=(["6.1.4"],), kwargs={"console": console, "stop": stop}
    )
    thread.start()
    deadline = time.monotonic() + 120
    while "watching" not in out_file.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    complete(workspace, "6.1.4")
    while "✔ 6.1.4" not in out_file.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    thread.join(60)
    text = out_file.read_text()
    assert "· 6.1.4" in text and "model.py saved" in text and "✔ 6.1.4" in text


def test_watch_with_no_helper_stays_one_process(workspace, monkeypatch):
    def no_second_process(*args, **kwargs):
        raise AssertionError("--no-helper started a helper process")

    monkeypatch.setattr("mlops_labs.course.watch.Helper", no_second_process)
    out_file = workspace.parent / "watch.txt"
    console = Console(file=out_file.open("w"), highlight=False, soft_wrap=True, width=200)
    stop = threading.Event()
    stop.set()  # the first check, then stop at the first poll
    assert watch(["6.5.1"], console=console, stop=stop, helper=False) == 1
    assert "· 6.5.1" in out_file.read_text()


def test_no_helper_without_watch_is_refused_in_one_line(workspace, capsys):
    assert run_cli("check", "--no-helper", "6.1.4") == 2
    error = capsys.readouterr().err
    assert "--no-helper only applies to --watch" in error and error.count("\n") == 1


def test_verify_finds_a_duplicated_marker_and_missing_hints(tmp_path, monkeypatch):
    assert verify.static_problems(REFERENCE) == []
    labs = tmp_path / "labs"
    shutil.copytree(REFERENCE, labs, ignore=shutil.ignore_patterns("__pycache__"))
    bqml = labs / "bqml.py"
    bqml.write_text(bqml.read_text() + "\n# TODO: Lab 6.5.1 - Create BigQuery Dataset\n")
    monkeypatch.delitem(verify.hints.HINTS, "6.4.2")
    problems = verify.static_problems(labs)
    duplicated = "6.5.1: its marker `# TODO: Lab 6.5.1 - Create BigQuery Dataset` appears 2 times"
    assert f"{duplicated}, not once" in problems
    assert "6.4.2: fewer than 2 hints in mlops_labs/course/hints.py" in problems


def test_verify_fails_when_a_starter_passes_or_the_reference_fails(monkeypatch, tmp_path):
    def fake_statuses(tasks, root, labs, cloud):
        starter = labs is not None
        return {t.id: ("passed" if (not starter or t.id == "6.5.1") else "failed") for t in tasks}

    monkeypatch.setattr(verify, "_statuses", fake_statuses)
    out = tmp_path / "out.txt"
    console = Console(file=out.open("w"), width=200)
    assert verify.verify(console) == 1
    console.file.close()
    assert "6.5.1: the starter passes it, so its scenario proves nothing" in out.read_text()
