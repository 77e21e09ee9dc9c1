"""The sandboxes' lock: reentrant, and let go entirely while a statement's work runs."""

from __future__ import annotations

import threading

import pytest

from mlops_labs.cloud.step_out_lock import StepOutLock


def _taken_elsewhere(lock: StepOutLock) -> bool:
    """Whether another thread can take the lock now (it gives it back at once)."""
    taken = threading.Event()

    def take() -> None:
        with lock:
            taken.set()

    other = threading.Thread(target=take)
    other.start()
    other.join(timeout=2)
    return taken.is_set()


def test_a_holder_steps_out_at_any_depth_and_comes_back_as_deep():
    lock = StepOutLock()
    with lock, lock:
        assert not _taken_elsewhere(lock)
        with lock.stepped_out():
            assert not lock.held()
            assert _taken_elsewhere(lock)
        assert lock.held()
        assert not _taken_elsewhere(lock)
    with lock:  # one release per hold, not more: the outer block ended it
        pass
    assert not lock.held() and _taken_elsewhere(lock)


def test_stepping_out_of_a_lock_not_held_changes_nothing():
    lock = StepOutLock()
    with lock.stepped_out():
        assert not lock.held()
    assert _taken_elsewhere(lock)


def test_only_the_holder_may_release():
    lock = StepOutLock()
    with pytest.raises(RuntimeError, match="does not hold"):
        lock.release()
