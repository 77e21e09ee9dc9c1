"""The workspace state file: round trip, atomic writes, hint numbering, and clear refusals."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

import mlops_labs
from mlops_labs.course import hints, progress
from mlops_labs.course.progress import FORMAT, Progress, ProgressError
from mlops_labs.errors import KitError, UnknownTask

WHEN = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)


def state_file(workspace):
    return workspace / ".mlops-labs" / "state.json"


def test_a_workspace_without_a_state_file_has_empty_progress(tmp_path):
    loaded = Progress.load(tmp_path)
    assert loaded.status("6.1.4") == "pending"
    assert loaded.first_passed("6.1.4") is None
    assert loaded.hints_shown("6.1.4") == 0
    assert loaded.kit_version is None
    assert not (tmp_path / ".mlops-labs").exists()


def test_saved_progress_loads_back_equal(tmp_path):
    saved = Progress.load(tmp_path)
    saved.record_results({"6.1.1": "passed", "6.1.4": "failed", "6.2.1": "skipped"}, WHEN)
    saved.next_hint("6.1.4")
    saved.next_hint("6.1.4")
    saved.save()

    loaded = Progress.load(tmp_path)
    assert loaded == saved
    assert loaded.status("6.1.1") == "passed"
    assert loaded.first_passed("6.1.1") == WHEN
    assert loaded.status("6.1.4") == "failed"
    assert loaded.first_passed("6.1.4") is None
    assert loaded.status("6.2.1") == "skipped"
    assert loaded.hints_shown("6.1.4") == 2
    assert loaded.kit_version == mlops_labs.__version__


def test_the_file_is_deterministic_json_with_format_and_version(tmp_path):
    saved = Progress.load(tmp_path)
    saved.record_results({"6.1.4": "passed", "6.1.1": "passed"}, WHEN)
    saved.save()
    text = state_file(tmp_path).read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["format"] == FORMAT
    assert data["kit_version"] == mlops_labs.__version__
    assert data["tasks"]["6.1.4"] == {
        "first_passed": "2025-03-14T09:26:53+00:00",
        "hints_shown": 0,
        "status": "passed",
    }
    assert text == json.dumps(data, sort_keys=True, indent=2) + "\n"
    Progress.load(tmp_path).save()
    assert state_file(tmp_path).read_text(encoding="utf-8") == text


def test_save_is_atomic_and_leaves_no_temp_file(tmp_path, monkeypatch):
    saved = Progress.load(tmp_path)
    saved.record_results({"6.1.1": "passed"}, WHEN)
    saved.save()
    before = state_file(tmp_path).read_bytes()
    assert [p.name for p in (tmp_path / ".mlops-labs").iterdir()] == ["state.json"]

    # A failure at the rename keeps the old file whole and removes the temp file.
    def broken_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(progress.os, "replace", broken_replace)
    saved.record_results({"6.1.1": "failed"}, WHEN)
    with pytest.raises(ProgressError, match="No space left on device"):
        saved.save()
    assert state_file(tmp_path).read_bytes() == before
    assert [p.name for p in (tmp_path / ".mlops-labs").iterdir()] == ["state.json"]


def test_save_into_a_missing_workspace_is_refused_in_one_line(tmp_path):
    with pytest.raises(ProgressError) as raised:
        Progress.load(tmp_path / "nowhere").save()
    assert "\n" not in str(raised.value)
    assert "exists and is writable" in str(raised.value)


def test_hints_are_numbered_and_the_last_one_repeats(tmp_path):
    texts = hints.hints_for("6.5.6")
    learner = Progress.load(tmp_path)
    shown = [learner.next_hint("6.5.6") for _ in range(len(texts) + 2)]
    numbered = [(number, text) for number, text in enumerate(texts, start=1)]
    assert shown[: len(texts)] == numbered
    # After the last hint, the last one again, with its number: the caller says it was the last.
    assert shown[len(texts) :] == [numbered[-1], numbered[-1]]
    assert learner.hints_shown("6.5.6") == len(texts)
    assert learner.hints_shown("6.5.5") == 0


def test_hint_numbering_continues_after_a_reload(tmp_path):
    learner = Progress.load(tmp_path)
    learner.next_hint("6.1.4")
    learner.save()
    number, text = Progress.load(tmp_path).next_hint("6.1.4")
    assert (number, text) == (2, hints.hints_for("6.1.4")[1])


def test_next_hint_for_an_unknown_task_is_refused(tmp_path):
    learner = Progress.load(tmp_path)
    with pytest.raises(UnknownTask, match=re.escape("unknown task '9.9.9'")):
        learner.next_hint("9.9.9")
    assert learner.hints_shown("9.9.9") == 0


def test_first_passed_is_the_first_pass_only(tmp_path):
    learner = Progress.load(tmp_path)
    learner.record_results({"6.1.4": "failed"}, WHEN)
    assert learner.first_passed("6.1.4") is None
    learner.record_results({"6.1.4": "passed"}, WHEN + timedelta(hours=1))
    learner.record_results({"6.1.4": "failed"}, WHEN + timedelta(hours=2))
    learner.record_results({"6.1.4": "passed"}, WHEN + timedelta(hours=3))
    assert learner.status("6.1.4") == "passed"
    assert learner.first_passed("6.1.4") == WHEN + timedelta(hours=1)


def test_record_results_refuses_unknown_tasks_and_statuses_and_records_nothing(tmp_path):
    learner = Progress.load(tmp_path)
    with pytest.raises(UnknownTask):
        learner.record_results({"6.1.1": "passed", "9.9.9": "passed"}, WHEN)
    with pytest.raises(ValueError, match="unknown status 'done'"):
        learner.record_results({"6.1.1": "passed", "6.1.2": "done"}, WHEN)
    assert learner.status("6.1.1") == "pending"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not an mlops-labs state file"),
        ('{"tasks": {}}', "has no state format number"),
        ('{"format": 0, "tasks": {}}', "was written by an older mlops-labs (format 0)"),
        ('{"format": 99, "tasks": {}}', "was written by a newer mlops-labs (format 99"),
        ('{"format": 1, "tasks": []}', "malformed 'tasks'"),
        ('{"format": 1, "tasks": {"6.1.4": {"status": "won"}}}', "bad entry for task 6.1.4"),
        (
            '{"format": 1, "tasks": {"6.1.4": {"first_passed": "yesterday"}}}',
            "bad entry for task 6.1.4",
        ),
        ('{"format": 1, "tasks": {"6.1.4": {"hints_shown": -1}}}', "bad entry for task 6.1.4"),
    ],
)
def test_a_bad_state_file_is_refused_in_one_line_saying_what_to_do(tmp_path, content, expected):
    state_file(tmp_path).parent.mkdir()
    state_file(tmp_path).write_text(content, encoding="utf-8")
    with pytest.raises(ProgressError) as raised:
        Progress.load(tmp_path)
    message = str(raised.value)
    assert expected in message
    assert str(state_file(tmp_path)) in message
    assert "\n" not in message
    assert "mlops-labs check" in message
    assert isinstance(raised.value, KitError)


def test_tasks_no_longer_in_the_catalogue_are_kept(tmp_path):
    state_file(tmp_path).parent.mkdir()
    state_file(tmp_path).write_text(
        '{"format": 1, "kit_version": "0.0.1", "tasks": {"5.9.9": {"status": "passed"}}}',
        encoding="utf-8",
    )
    loaded = Progress.load(tmp_path)
    assert loaded.status("5.9.9") == "passed"
    assert loaded.kit_version == "0.0.1"
    loaded.save()
    assert Progress.load(tmp_path).status("5.9.9") == "passed"
