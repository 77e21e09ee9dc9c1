"""The collector is paused while a run loads, paced after, and put back as it was found."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import ClassVar

import pytest

from mlops_labs import gc_pacing
from mlops_labs.pytest_plugin import KIT_PLUGIN


@pytest.fixture
def outside_any_run() -> Iterator[None]:
    """This test's own pytest run paced the collector: start from a plain one, end as before."""
    saved, threshold, enabled = gc_pacing._saved[:], gc.get_threshold(), gc.isenabled()
    frozen = gc.get_freeze_count() > 0
    gc_pacing._saved.clear()
    gc.set_threshold(700, 10, 10)
    gc.enable()
    try:
        yield
    finally:
        gc_pacing._saved[:] = saved
        if frozen:
            gc.freeze()
        gc.set_threshold(*threshold)
        (gc.enable if enabled else gc.disable)()


def test_a_run_pauses_then_paces_then_puts_everything_back(outside_any_run):
    gc_pacing.pause()
    assert not gc.isenabled(), "the collector still runs while modules load"
    made_while_loading = [object() for _ in range(10)]
    gc_pacing.settle()
    assert gc.isenabled()
    assert gc.get_threshold() == (gc_pacing.YOUNG_THRESHOLD, 10, 10)
    assert gc.get_freeze_count() > len(made_while_loading), "what loading made was not frozen"
    made_by_the_run = [[] for _ in range(10)]
    gc_pacing.restore()
    assert (gc.isenabled(), gc.get_threshold()) == (True, (700, 10, 10))
    # The collector's generations list every tracked object but the frozen ones.
    still_walked = {id(o) for o in gc.get_objects()}
    assert not any(id(o) in still_walked for o in made_by_the_run), (
        "what the run made is not frozen: the interpreter's shutdown would walk it"
    )


class _Dropped:
    """A scenario's object in a reference cycle, dropped: only the collector finds it."""

    finalized: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        _Dropped.finalized.append("yes")


def test_what_the_last_scenarios_dropped_is_finalized_before_the_end_freezes_the_rest(
    outside_any_run,
):
    gc_pacing.pause()
    gc_pacing.settle()
    _Dropped.finalized.clear()
    _Dropped()
    gc_pacing.restore()
    assert _Dropped.finalized == ["yes"], "frozen unfinalized: its __del__ would never run"


def test_a_nested_run_leaves_the_pacing_to_the_outer_one(outside_any_run):
    gc_pacing.pause()
    gc_pacing.settle()
    gc_pacing.pause()  # mlops-labs check run from inside a test
    assert gc.isenabled(), "the nested run paused the outer run's collector"
    gc_pacing.settle()
    gc_pacing.restore()
    assert gc.get_threshold()[0] == gc_pacing.YOUNG_THRESHOLD, "the nested run undid the pacing"
    assert gc.get_freeze_count() > 0
    gc_pacing.restore()
    assert (gc.isenabled(), gc.get_threshold()) == (True, (700, 10, 10))


def test_a_collector_found_disabled_stays_disabled(outside_any_run):
    gc.disable()
    gc_pacing.pause()
    gc_pacing.settle()
    assert not gc.isenabled(), "pacing turned on a collector someone had turned off"
    gc_pacing.restore()
    assert not gc.isenabled()


def test_a_run_refused_before_it_was_configured_still_gets_its_collector_back(outside_any_run):
    with gc_pacing.contained():
        gc_pacing.pause()  # the run loaded its conftests, then stopped at a bad option
    assert gc.isenabled() and gc_pacing._saved == [], "the collector was left paused"
    assert gc.get_freeze_count() == 0


def test_an_in_process_run_paces_its_tests_and_leaves_nothing_frozen(tmp_path, outside_any_run):
    (tmp_path / "test_one.py").write_text(
        "import gc\n"
        "from mlops_labs import gc_pacing\n"
        "def test_one():\n"
        "    assert gc.get_threshold()[0] == gc_pacing.YOUNG_THRESHOLD\n"
        "    assert gc.get_freeze_count() > 0\n"
    )
    with gc_pacing.contained():
        arguments = [str(tmp_path), "-q", "-p", "no:cacheprovider", f"--rootdir={tmp_path}"]
        code = pytest.main([*arguments, "-p", KIT_PLUGIN])
        assert gc.get_freeze_count() > 0, "the run's end unfroze the heap"
    assert code == pytest.ExitCode.OK
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == (True, (700, 10, 10), 0)
    assert gc_pacing._saved == []
