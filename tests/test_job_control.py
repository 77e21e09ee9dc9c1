"""A job's stop switch: a stop reaches the work even when DuckDB forgets the first interrupt."""

from __future__ import annotations

import threading

import duckdb
import pytest

from mlops_labs.bigquery import job_control

RUNAWAY = "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r"


def test_a_stop_is_repeated_until_the_work_ends():
    stopper = job_control.Stopper()
    calls: list[int] = []
    second = threading.Event()

    def forgetful_interrupt() -> None:  # as DuckDB forgets one sent just before a query starts
        calls.append(1)
        if len(calls) == 2:
            second.set()

    with stopper.running(forgetful_interrupt):
        stopper.stop(job_control.cancelled())
        assert second.wait(2), "the stop was sent once and forgotten"
    count = len(calls)
    threading.Event().wait(3 * job_control.REPEAT_EVERY_S)
    assert len(calls) == count, "the work had ended, yet it was interrupted again"


def test_a_query_started_after_its_stop_is_still_stopped():
    cursor = duckdb.connect().cursor()
    stopper = job_control.Stopper()
    outcome: list[str] = []

    def work() -> None:
        with stopper.running(cursor.interrupt):
            stopper.stop(job_control.cancelled())  # before DuckDB starts the query
            try:
                cursor.execute(RUNAWAY).fetchall()
            except duckdb.InterruptException:
                outcome.append("interrupted")

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(5)
    ran_on = worker.is_alive()
    while worker.is_alive():  # a regression: stop the runaway before failing
        cursor.interrupt()
        worker.join(0.1)
    assert not ran_on, "the query ran on after its job was stopped"
    assert outcome == ["interrupted"]


def test_a_handover_stops_repeating_once_the_try_has_ended():
    stopper = job_control.Stopper()
    calls: list[int] = []
    handover = job_control.Handover(stopper)

    with stopper.running(lambda: calls.append(1)):
        handover.fire()
        assert handover.close() is True
    threading.Event().wait(3 * job_control.REPEAT_EVERY_S)
    assert len(calls) == 1
    with stopper.running(lambda: None):  # the worker's run of the job is not refused
        pass


def test_work_a_fired_try_would_start_is_refused():
    stopper = job_control.Stopper()
    handover = job_control.Handover(stopper)
    handover.fire()  # before the try's query registered its interrupt

    with pytest.raises(job_control.HandedOver), stopper.running(lambda: None):
        pass
    assert handover.close() is True
