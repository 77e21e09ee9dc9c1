"""LOAD DATA statements and materialized views in the BigQuery sandbox, as the translator writes
them for Redshift's COPY, CREATE MATERIALIZED VIEW and REFRESH MATERIALIZED VIEW.

Driven only through google-cloud-bigquery and google-cloud-storage; every BigQuery exchange is
checked against the discovery document, as in tests/test_bigquery_sandbox.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from google.api_core import exceptions
from google.cloud import bigquery, storage

from mlops_labs.cloud.gcs_sandbox import GcsSandbox
from tests.bigquery_wire import (
    RecordingSandbox,
    assert_wire_fits_discovery,
    client_for,
    storage_client_for,
)

BUCKET = "lake"
CSV = b"id,name,amount\n1,ann,1.50\n2,,2.25\n"
MORE = b"id,name,amount\n3,cy,0.10\n"


@pytest.fixture(scope="module")
def gcs() -> Iterator[GcsSandbox]:
    with GcsSandbox() as running:
        yield running


@pytest.fixture(scope="module")
def sandbox(gcs: GcsSandbox) -> Iterator[RecordingSandbox]:
    with RecordingSandbox(
        page_size=500, bigquery_ml=False, storage=lambda: storage_client_for(gcs)
    ) as s:
        yield s


@pytest.fixture(scope="module")
def client(sandbox: RecordingSandbox) -> Iterator[bigquery.Client]:
    with client_for(sandbox) as real_client:
        yield real_client


@pytest.fixture
def bucket(gcs: GcsSandbox, sandbox: RecordingSandbox, client) -> Iterator[storage.Bucket]:
    gcs.reset()
    sandbox.reset()
    sandbox.wire.clear()
    made = storage_client_for(gcs).create_bucket(BUCKET)
    made.blob("raw/part-0.csv").upload_from_string(CSV)
    made.blob("raw/part-1.csv").upload_from_string(MORE)
    client.create_dataset("churn")
    yield made
    assert_wire_fits_discovery(sandbox)


def rows(client: bigquery.Client, sql: str) -> list[tuple]:
    return [tuple(row.values()) for row in client.query_and_wait(sql)]


def test_load_data_into_appends_every_file_of_the_wildcard(client, bucket):
    client.query_and_wait("CREATE TABLE churn.t (id INT64 NOT NULL, name STRING, amount NUMERIC)")
    job = client.query(
        "LOAD DATA INTO churn.t FROM FILES (format = 'CSV', uris = ['gs://lake/raw/*'], "
        "skip_leading_rows = 1)"
    )
    job.result()
    assert job.statement_type == "LOAD_DATA"
    client.query_and_wait(
        "LOAD DATA INTO churn.t FROM FILES (format = 'CSV', uris = ['gs://lake/raw/part-1.csv'], "
        "skip_leading_rows = 1)"
    )
    found = rows(client, "SELECT id, name, amount FROM churn.t ORDER BY id")
    assert found == [
        (1, "ann", Decimal("1.5")),
        (2, None, Decimal("2.25")),
        (3, "cy", Decimal("0.1")),
        (3, "cy", Decimal("0.1")),
    ]


def test_load_data_overwrite_with_a_column_list_is_the_table_schema(client, bucket):
    client.query_and_wait("CREATE TABLE churn.t (x STRING)")
    client.query_and_wait(
        "LOAD DATA OVERWRITE churn.t (id INT64 NOT NULL, name STRING(16), amount NUMERIC(8, 2)) "
        "FROM FILES (format = 'CSV', uris = ['gs://lake/raw/part-0.csv'], skip_leading_rows = 1)"
    )
    table = client.get_table("churn.t")
    assert [(f.name, f.field_type, f.mode) for f in table.schema] == [
        ("id", "INTEGER", "REQUIRED"),
        ("name", "STRING", "NULLABLE"),
        ("amount", "NUMERIC", "NULLABLE"),
    ]
    assert rows(client, "SELECT count(*) FROM churn.t") == [(2,)]


def test_load_data_into_a_new_table_detects_its_schema(client, bucket):
    client.query_and_wait(
        "LOAD DATA INTO churn.fresh FROM FILES (format = 'CSV', uris = ['gs://lake/raw/*'], "
        "skip_leading_rows = 1)"
    )
    assert rows(client, "SELECT count(*) FROM churn.fresh") == [(3,)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("format = 'CSV', uris = ['gs://lake/raw/*'], max_bad_records = 3", "max_bad_records"),
        ("format = 'CSV'", "requires the uris option"),
        ("format = 'ORC', uris = ['gs://lake/raw/*']", "format ORC is not supported"),
        ("format = 'CSV', uris = ['gs://lake/none/*']", "Not found: URI gs://lake/none/*"),
        ("format = 'CSV', uris = [1]", "must be an array of string literals"),
        ("format = 'CSV', uris = ['gs://lake/raw/*'], quote = CONCAT('a')", "must be a literal"),
    ],
)
def test_a_load_data_the_sandbox_cannot_run_is_refused_and_loads_nothing(
    client, bucket, options, message
):
    client.query_and_wait("CREATE TABLE churn.t (id INT64, name STRING, amount NUMERIC)")
    with pytest.raises((exceptions.BadRequest, exceptions.NotFound)) as refused:
        client.query_and_wait(f"LOAD DATA INTO churn.t FROM FILES ({options})")
    assert message in str(refused.value)
    assert rows(client, "SELECT count(*) FROM churn.t") == [(0,)]


def test_a_materialized_view_is_refreshed_by_call_and_shows_as_one(client, bucket):
    client.query_and_wait("CREATE TABLE churn.t (id INT64, amount NUMERIC)")
    client.query_and_wait("INSERT INTO churn.t VALUES (1, 2.5), (1, 1.5), (2, 4)")
    job = client.query(
        "CREATE MATERIALIZED VIEW churn.mv OPTIONS (allow_non_incremental_definition = TRUE, "
        "max_staleness = INTERVAL '4' HOUR) AS SELECT id, COUNT(DISTINCT amount) AS n, "
        "SUM(amount) AS total FROM churn.t GROUP BY id"
    )
    job.result()
    assert job.statement_type == "CREATE_MATERIALIZED_VIEW"
    view = client.get_table("churn.mv")
    assert view.table_type == "MATERIALIZED_VIEW"
    assert "COUNT(DISTINCT amount)" in view.mview_query
    refresh = client.query("CALL BQ.REFRESH_MATERIALIZED_VIEW('churn.mv')")
    refresh.result()
    assert refresh.statement_type == "CALL"
    client.query_and_wait("INSERT INTO churn.t VALUES (2, 1)")
    found = rows(client, "SELECT id, n, total FROM churn.mv ORDER BY id")
    assert found == [(1, 2, Decimal(4)), (2, 2, Decimal(5))]
    dropped = client.query("DROP MATERIALIZED VIEW churn.mv")
    dropped.result()
    assert dropped.statement_type == "DROP_MATERIALIZED_VIEW"


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("churn.t", exceptions.BadRequest, "is not a materialized view"),
        ("churn.missing", exceptions.NotFound, "Not found: Table"),
        ("mv", exceptions.BadRequest, "write 'dataset.view'"),
    ],
)
def test_refreshing_what_is_not_a_materialized_view_is_refused(
    client, bucket, name, error, message
):
    client.query_and_wait("CREATE TABLE churn.t (id INT64)")
    with pytest.raises(error) as refused:
        client.query_and_wait(f"CALL BQ.REFRESH_MATERIALIZED_VIEW('{name}')")
    assert message in str(refused.value)
