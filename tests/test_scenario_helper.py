"""`check --watch`'s helper process runs every second scenario of a re-check; nothing is lost."""

from __future__ import annotations

import time

import pytest

from mlops_labs.cloud.modes import CloudMode
from mlops_labs.coursework import catalogue, project
from mlops_labs.harness import scenario_helper, scenario_runner
from mlops_labs.harness.scenario_helper import READY, Helper, split
from mlops_labs.harness.scenario_runner import Share

# 6.1.5 has a scenario and an outline of bad inputs: several scenarios, each quick in replay.
TASKS = catalogue.select(["6.1.5"])
ROOT = project.find_root()


def _run(share: Share | None = None) -> list[scenario_runner.TaskResult]:
    return scenario_runner.run(TASKS, project=ROOT, cloud=CloudMode.REPLAY, share=share)


def _names(results: list[scenario_runner.TaskResult]) -> list[tuple[int, str]]:
    return [(s.position, s.name) for result in results for s in result.scenarios]


@pytest.fixture(scope="module")
def whole() -> list[scenario_runner.TaskResult]:
    return _run()


@pytest.fixture(scope="module")
def helper():
    # Warmed as the watcher's is: the task's scenarios run once on the reference first.
    started = Helper(CloudMode.REPLAY, ROOT, warm=tuple(task.id for task in TASKS))
    deadline = time.monotonic() + 120
    while not started.ready():
        assert time.monotonic() < deadline, "the helper never said it was ready"
        time.sleep(0.1)
    yield started
    started.close()


def test_two_shares_run_every_scenario_once_and_merge_in_collection_order(whole):
    first, second = _run(Share(helper=False)), _run(Share(helper=True))
    assert len(_names(whole)) >= 3
    assert set(_names(first)).isdisjoint(_names(second))
    assert len(_names(first)) == len(_names(second)) + len(_names(whole)) % 2
    merged = scenario_runner.merge(first, second)
    assert _names(merged) == _names(whole)
    assert [r.status for r in merged] == [r.status for r in whole] == ["passed"]


def test_the_helper_runs_the_other_share_in_its_own_process(helper, whole, monkeypatch):
    shares = []
    run = scenario_runner.run

    def here(*args, share=None, **kwargs):
        shares.append(share)
        return run(*args, share=share, **kwargs)

    monkeypatch.setattr(scenario_runner, "run", here)
    for _ in range(2):  # the first run alternates, the second is planned from its seconds
        shares.clear()
        results = helper.run(TASKS, None)
        assert [share.helper for share in shares] == [False]  # this process ran its share ...
        assert _names(results) == _names(whole)  # ... and the helper's came back beside it
        assert [r.status for r in results] == ["passed"]
    assert shares[0].helpers is not None
    ran_here = {s.nodeid for s in whole[0].scenarios} - shares[0].helpers
    assert ran_here and shares[0].helpers  # both sides had work


def test_a_run_that_fails_here_leaves_no_answer_for_the_next_run(helper, whole, monkeypatch):
    here = Helper._here

    def failing(self, tasks, labs_dir, share):
        raise scenario_runner.RunError("the scenarios could not run: collection failed")

    monkeypatch.setattr(Helper, "_here", failing)
    with pytest.raises(scenario_runner.RunError):
        helper.run(TASKS, None)
    monkeypatch.setattr(Helper, "_here", here)
    other = catalogue.select(["6.1.4"])
    results = helper.run(other, None)
    alone = scenario_runner.run(other, project=ROOT, cloud=CloudMode.REPLAY)
    assert _names(results) == _names(alone)  # its own answer, not the failed run's leftover
    assert [r.task.id for r in results] == ["6.1.4"]


def test_the_split_evens_out_the_seconds_longest_first():
    seconds = {"long": 0.4, "a": 0.2, "b": 0.2, "c": 0.2, "d": 0.2}
    helpers = split(seconds)
    here = set(seconds) - helpers
    assert sorted(sum(seconds[n] for n in side) for side in (here, helpers)) == pytest.approx(
        [0.6, 0.6]
    )
    assert split({}) == frozenset()


def _ready_then_gone(connection, *_):
    connection.send(READY)
    connection.recv()  # the first request: the helper dies without an answer


def test_a_helper_that_dies_mid_run_has_its_share_run_here(whole, monkeypatch):
    monkeypatch.setattr(scenario_helper, "serve", _ready_then_gone)
    dying = Helper(CloudMode.REPLAY, ROOT)
    deadline = time.monotonic() + 60
    while not dying.ready():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    results = dying.run(TASKS, None)
    assert _names(results) == _names(whole)
    assert [r.status for r in results] == ["passed"]
    assert not dying.ready()


def test_when_the_helper_is_gone_its_share_runs_here_and_it_is_not_used_again(whole):
    gone = Helper(CloudMode.REPLAY, ROOT)
    gone._process.terminate()
    gone._process.join()
    assert not gone.ready()
    gone._ready = True  # as if it had said so before it went
    results = gone.run(TASKS, None)
    assert _names(results) == _names(whole)
    assert not gone.ready()
