"""A runaway statement costs its caller a timeout and nobody else anything.

Each sandbox bounds a statement's time, stops it on request, and keeps answering other
clients while it runs. The runaway is a recursive CTE that never ends.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from google.api_core import exceptions
from google.cloud import bigquery

from mlops_labs.bigquery.server import BigQuerySandbox
from mlops_labs.warehouse.data_api import models as data_api_models
from mlops_labs.warehouse.data_api.server import DataApiServer
from mlops_labs.warehouse.engine import Warehouse
from tests.bigquery_wire import PROJECT, client_for
from tests.data_api_calls import settled

RUNAWAY = (
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) AS n FROM r"
)
# Generous bounds: what is asserted is "seconds, not minutes", on a loaded 2-core machine.
QUICK_S = 3.0
# Every call is bounded too: a sandbox that regresses fails these tests, it never hangs them.
HTTP_S = 15


@pytest.fixture(scope="module")
def sandbox() -> Iterator[BigQuerySandbox]:
    # A short insert window and limit keep the suite fast; the defaults are 2 s and 300 s.
    with BigQuerySandbox(
        bigquery_ml=False, max_job_seconds=1.5, sync_window_seconds=0.2
    ) as running:
        yield running


@pytest.fixture(scope="module")
def client(sandbox: BigQuerySandbox) -> Iterator[bigquery.Client]:
    with client_for(sandbox) as real_client:
        yield real_client


def _jobs_query(sandbox: BigQuerySandbox, body: dict[str, Any]) -> requests.Response:
    url = f"{sandbox.endpoint}/bigquery/v2/projects/{PROJECT}/queries"
    return requests.post(url, json={"useLegacySql": False, **body}, timeout=HTTP_S)


def test_jobs_query_answers_job_incomplete_at_its_timeout_and_the_job_runs_on(sandbox, client):
    started = time.monotonic()
    reply = _jobs_query(sandbox, {"query": RUNAWAY, "timeoutMs": 500})
    waited = time.monotonic() - started

    assert reply.status_code == 200
    body = reply.json()
    assert body["jobComplete"] is False and "rows" not in body
    assert 0.4 < waited < QUICK_S
    job = client.get_job(body["jobReference"]["jobId"], location="US", timeout=HTTP_S)
    assert job.state == "RUNNING"
    client.cancel_job(job.job_id, location="US", timeout=HTTP_S)


def test_a_query_that_outlasts_its_try_on_the_request_s_thread_runs_again_on_a_worker(
    sandbox, client, monkeypatch
):
    from mlops_labs.bigquery import backend

    monkeypatch.setattr(backend, "INLINE_S", 0.01)
    handed_over = []
    submit = sandbox.backend._workers.submit
    monkeypatch.setattr(
        sandbox.backend._workers,
        "submit",
        lambda *args: handed_over.append(args[1]) or submit(*args),
    )
    query = (  # some 150 ms of DuckDB's work, one step after another
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 50000) "
        "SELECT COUNT(*) AS n, MAX(n) AS top FROM r"
    )

    rows = list(client.query_and_wait(query, api_timeout=HTTP_S))

    assert [tuple(row.values()) for row in rows] == [(50_000, 50_000)]
    assert handed_over, "the query ended within its try: nothing was handed over"


def test_other_clients_are_answered_while_a_runaway_query_runs(sandbox, client):
    runaway = client.query(RUNAWAY, timeout=HTTP_S)
    assert runaway.state == "RUNNING"  # the insert answered after its window, the job runs on
    started = time.monotonic()

    assert list(client.query_and_wait("SELECT 1 AS one", api_timeout=HTTP_S)) == [
        bigquery.Row((1,), {"one": 0})
    ]
    list(client.list_datasets(timeout=HTTP_S))
    client.create_dataset("meanwhile", exists_ok=True, timeout=HTTP_S)

    assert time.monotonic() - started < QUICK_S
    client.cancel_job(runaway.job_id, location="US", timeout=HTTP_S)


# The catalog's lock is let go while a statement's query (or a model's training) works.


@pytest.fixture(scope="module")
def patient_client() -> Iterator[bigquery.Client]:
    # A limit far above what the other requests take: they must not wait for the runaway to end.
    with (
        BigQuerySandbox(max_job_seconds=60, sync_window_seconds=0.2) as running,
        client_for(running) as real_client,
    ):
        real_client.create_dataset("writers", timeout=HTTP_S)
        real_client.query_and_wait(
            "CREATE TABLE writers.counts AS SELECT 1 AS n", api_timeout=HTTP_S
        )
        yield real_client


def _others_are_answered_meanwhile(client: bigquery.Client, runaway: bigquery.QueryJob) -> None:
    """Reads, metadata and another writer go through while ``runaway`` still runs."""
    assert list(client.query_and_wait("SELECT n FROM writers.counts", api_timeout=HTTP_S)) == [
        bigquery.Row((1,), {"n": 0})
    ]
    assert [t.table_id for t in client.list_tables("writers", timeout=HTTP_S)][:1] == ["counts"]
    client.query_and_wait(
        "CREATE OR REPLACE TABLE writers.side AS SELECT 2 AS n", api_timeout=HTTP_S
    )
    runaway.reload(timeout=HTTP_S)
    assert runaway.state == "RUNNING", "the other requests waited for the runaway to end"


@pytest.mark.parametrize(
    "statement",
    [
        RUNAWAY,
        f"CREATE TABLE writers.endless AS {RUNAWAY}",
        f"INSERT INTO writers.counts (n) SELECT n FROM ({RUNAWAY})",
        "CREATE MODEL writers.endless_model OPTIONS (model_type = 'linear_reg', "
        f"input_label_cols = ['n']) AS SELECT n, n AS x FROM ({RUNAWAY})",
    ],
    ids=["select", "create-table-as", "insert-select", "create-model"],
)
def test_a_runaway_statement_keeps_nobody_waiting(patient_client, statement):
    runaway = patient_client.query(statement, timeout=HTTP_S)
    assert runaway.state == "RUNNING"

    _others_are_answered_meanwhile(patient_client, runaway)

    patient_client.cancel_job(runaway.job_id, location="US", timeout=HTTP_S)
    with pytest.raises(exceptions.GoogleAPICallError, match="User requested cancellation"):
        runaway.result(timeout=HTTP_S)
    assert "endless" not in [t.table_id for t in patient_client.list_tables("writers")]


def _held(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> tuple[Any, Any]:
    """``module.name`` made to wait for a release: (an event set once it waits, the release)."""
    waiting, release = threading.Event(), threading.Event()
    real = getattr(module, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        waiting.set()
        release.wait(HTTP_S)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    return waiting, release


def test_a_model_s_training_keeps_nobody_waiting(patient_client, monkeypatch):
    from mlops_labs.bigquery import ml

    training, release = _held(monkeypatch, ml, "train_model")
    job = patient_client.query(
        "CREATE OR REPLACE MODEL writers.slow OPTIONS (model_type = 'linear_reg', "
        "input_label_cols = ['y']) AS SELECT x, 2 * x AS y FROM UNNEST([1, 2, 3, 4]) AS x",
        timeout=HTTP_S,
    )
    assert training.wait(HTTP_S)

    _others_are_answered_meanwhile(patient_client, job)

    release.set()
    job.result(timeout=HTTP_S)
    assert (
        patient_client.get_model("writers.slow", timeout=HTTP_S).model_type == "LINEAR_REGRESSION"
    )


def test_jobs_cancel_really_stops_a_running_query(client):
    job = client.query(RUNAWAY, timeout=HTTP_S)
    started = time.monotonic()

    client.cancel_job(job.job_id, location="US", timeout=HTTP_S)
    job.reload(timeout=HTTP_S)

    assert job.state == "DONE"
    assert time.monotonic() - started < QUICK_S
    assert job.error_result["reason"] == "stopped"
    assert job.error_result["message"] == "Job execution was cancelled: User requested cancellation"
    # google-cloud-bigquery maps reason "stopped" to status 200: a GoogleAPICallError, as live.
    with pytest.raises(exceptions.GoogleAPICallError, match="User requested cancellation"):
        job.result(timeout=HTTP_S)


def test_a_job_past_its_job_timeout_is_stopped_in_bigquery_words(client):
    started = time.monotonic()
    job = client.query(
        RUNAWAY, timeout=HTTP_S, job_config=bigquery.QueryJobConfig(job_timeout_ms=700)
    )

    with pytest.raises(exceptions.GoogleAPICallError, match=r"Job timed out after 0\.7 sec"):
        job.result(timeout=HTTP_S)
    assert time.monotonic() - started < QUICK_S
    job.reload(timeout=HTTP_S)
    assert job.error_result["reason"] == "stopped"


def test_no_job_runs_past_the_sandbox_s_limit(client):
    job = client.query(
        RUNAWAY, timeout=HTTP_S, job_config=bigquery.QueryJobConfig(job_timeout_ms=600_000)
    )

    with pytest.raises(exceptions.GoogleAPICallError) as stopped:
        job.result(timeout=HTTP_S)

    assert "Operation timed out after 1.5 seconds (the BigQuery sandbox's limit)" in str(
        stopped.value
    )
    job.reload(timeout=HTTP_S)
    assert job.error_result["reason"] == "timeout"


def test_get_query_results_waits_at_most_its_timeout(sandbox, client):
    job = client.query(RUNAWAY, timeout=HTTP_S)
    url = f"{sandbox.endpoint}/bigquery/v2/projects/{PROJECT}/queries/{job.job_id}"
    started = time.monotonic()

    reply = requests.get(url, params={"timeoutMs": 300, "location": "US"}, timeout=HTTP_S)

    assert reply.status_code == 200 and reply.json()["jobComplete"] is False
    assert time.monotonic() - started < QUICK_S
    client.cancel_job(job.job_id, location="US", timeout=HTTP_S)


@pytest.mark.parametrize("timeout", [-1, "soon"])
def test_a_bad_timeout_is_refused(sandbox, timeout):
    reply = _jobs_query(sandbox, {"query": "SELECT 1", "timeoutMs": timeout})

    assert reply.status_code == 400
    assert reply.json()["error"]["errors"][0]["reason"] == "invalid"


def test_stopping_the_sandbox_stops_its_running_jobs():
    with (
        BigQuerySandbox(bigquery_ml=False, sync_window_seconds=0.2) as sandbox,
        client_for(sandbox) as client,
    ):
        job = client.query(RUNAWAY, timeout=HTTP_S)
        stopper = threading.Thread(target=sandbox.stop)
        started = time.monotonic()
        stopper.start()
        stopper.join(timeout=HTTP_S)
    assert not stopper.is_alive()
    assert time.monotonic() - started < QUICK_S
    assert sandbox.backend.get_job(PROJECT, job.job_id).state == "DONE"


def test_a_load_s_parsing_keeps_nobody_waiting(patient_client, monkeypatch):
    from mlops_labs.bigquery import loads

    parsing, release = _held(monkeypatch, loads, "_read")
    config = bigquery.LoadJobConfig(
        source_format="CSV", schema=[bigquery.SchemaField("n", "INT64")]
    )
    job = patient_client.load_table_from_file(
        io.BytesIO(b"1\n2\n3\n"), "writers.loaded", job_config=config, timeout=HTTP_S
    )
    assert parsing.wait(HTTP_S)

    _others_are_answered_meanwhile(patient_client, job)

    release.set()
    job.result(timeout=HTTP_S)
    assert patient_client.get_table("writers.loaded", timeout=HTTP_S).num_rows == 3


# The Redshift Data API over the embedded warehouse


@contextlib.contextmanager
def _data_api_client(max_statement_seconds: float) -> Iterator[Any]:
    warehouse = Warehouse(max_statement_seconds=max_statement_seconds)
    with DataApiServer(warehouse) as server:
        server.backend.submit_window_seconds = 0.2  # the default, 2 s, would slow the suite
        yield boto3.client(
            "redshift-data",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(retries={"total_max_attempts": 1}, read_timeout=HTTP_S),
        )
        server.backend.stop_statements()
    warehouse.close()


@pytest.fixture
def data_api() -> Iterator[Any]:
    with _data_api_client(max_statement_seconds=1.5) as client:
        yield client


@pytest.fixture
def patient_data_api() -> Iterator[Any]:
    # A limit far above what the other statements take: they must not wait for the runaway.
    with _data_api_client(max_statement_seconds=60) as client:
        yield client


def _execute(client: Any, sql: str) -> str:
    where = {"ClusterIdentifier": "churn-lab", "Database": "dev", "DbUser": "analyst"}
    return client.execute_statement(Sql=sql, **where)["Id"]


def test_other_statements_run_while_a_runaway_statement_runs(patient_data_api):
    client = patient_data_api
    started = time.monotonic()
    runaway = _execute(client, RUNAWAY)
    assert time.monotonic() - started < QUICK_S  # the request did not wait for the runaway

    for sql in ("CREATE TABLE meanwhile (id INT)", "INSERT INTO meanwhile VALUES (7)"):
        assert settled(client, _execute(client, sql))["Status"] == "FINISHED"
    read = _execute(client, "SELECT id FROM meanwhile")
    assert settled(client, read)["Status"] == "FINISHED"
    assert client.get_statement_result(Id=read)["Records"] == [[{"longValue": 7}]]
    assert client.describe_statement(Id=runaway)["Status"] == "STARTED"

    assert client.cancel_statement(Id=runaway)["Status"] is True
    assert settled(client, runaway)["Status"] == "ABORTED"
    assert time.monotonic() - started < QUICK_S * 2


def test_a_batch_s_transaction_is_its_own_until_it_commits(patient_data_api):
    client = patient_data_api
    where = {"ClusterIdentifier": "churn-lab", "Database": "dev", "DbUser": "analyst"}
    batch = client.batch_execute_statement(
        Sqls=["CREATE TABLE staged (id INT)", "INSERT INTO staged VALUES (1)", RUNAWAY], **where
    )["Id"]
    deadline = time.monotonic() + HTTP_S
    while client.describe_statement(Id=batch)["SubStatements"][2]["Status"] != "STARTED":
        assert time.monotonic() < deadline, "the batch's third statement never started"
        time.sleep(0.02)

    unseen = settled(client, _execute(client, "SELECT count(*) FROM staged"))
    client.cancel_statement(Id=batch)

    assert 'relation "staged" does not exist' in unseen["Error"]
    assert settled(client, batch)["Status"] == "ABORTED"
    gone = settled(client, _execute(client, "SELECT count(*) FROM staged"))
    assert 'relation "staged" does not exist' in gone["Error"]  # rolled back


@pytest.mark.parametrize("temporary", ["CREATE TEMP TABLE scratch AS SELECT 1 AS n"])
def test_each_statement_is_a_session_of_its_own(data_api, monkeypatch, temporary):
    monkeypatch.setattr(data_api_models, "WORKERS", 1)  # the same worker runs both
    assert settled(data_api, _execute(data_api, temporary))["Status"] == "FINISHED"

    after = settled(data_api, _execute(data_api, "SELECT n FROM scratch"))

    assert 'relation "scratch" does not exist' in after["Error"]
    opened = settled(data_api, _execute(data_api, "BEGIN"))
    assert opened["Status"] == "FINISHED"
    assert settled(data_api, _execute(data_api, "BEGIN"))["Status"] == "FINISHED"


def test_a_statement_waiting_its_turn_can_be_cancelled(data_api, monkeypatch):
    monkeypatch.setattr(data_api_models, "WORKERS", 1)  # one runaway keeps every worker busy
    runaway = _execute(data_api, RUNAWAY)
    waiting = _execute(data_api, "CREATE TABLE never_made (id INT)")
    assert data_api.describe_statement(Id=waiting)["Status"] == "SUBMITTED"

    data_api.cancel_statement(Id=waiting)
    data_api.cancel_statement(Id=runaway)

    assert settled(data_api, waiting)["Status"] == "ABORTED"
    assert settled(data_api, runaway)["Status"] == "ABORTED"
    failed = settled(data_api, _execute(data_api, "SELECT * FROM never_made"))
    assert 'relation "never_made" does not exist' in failed["Error"]


def test_statement_timeout_stops_a_statement_in_redshift_words(data_api):
    settled(data_api, _execute(data_api, "SET statement_timeout TO 300"))

    described = settled(data_api, _execute(data_api, RUNAWAY))

    assert described["Status"] == "FAILED"
    assert described["Error"].endswith("canceling statement due to statement timeout")


def test_no_statement_runs_past_the_warehouse_s_limit(data_api):
    described = settled(data_api, _execute(data_api, RUNAWAY))

    assert described["Status"] == "FAILED"
    assert "ran past the embedded warehouse's limit of 1.5 seconds" in described["Error"]


def test_a_large_result_comes_in_pages_of_bounded_size(data_api):
    statement = _execute(data_api, "SELECT range AS n, 'row ' || range AS label FROM range(40000)")
    assert settled(data_api, statement)["ResultRows"] == 40000

    pages = list(data_api.get_paginator("get_statement_result").paginate(Id=statement))

    assert len(pages) > 1
    assert all(len(json.dumps(page["Records"], separators=(",", ":"))) <= 1024**2 for page in pages)
    numbers = [record[0]["longValue"] for page in pages for record in page["Records"]]
    assert numbers == list(range(40000))


def test_a_result_over_the_data_api_s_limit_fails_the_statement(data_api, monkeypatch):
    monkeypatch.setattr(data_api_models, "MAX_RESULT_BYTES", 10_000)

    described = settled(data_api, _execute(data_api, "SELECT range AS n FROM range(5000)"))

    assert described["Status"] == "FAILED"
    assert "Database response exceeded size limit" in described["Error"]
