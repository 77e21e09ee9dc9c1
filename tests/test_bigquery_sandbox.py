"""The BigQuery sandbox, driven only through google-cloud-bigquery's real Client.

Every response the client receives is also checked on the wire against BigQuery's discovery
document (the one google-api-python-client ships): no member the schema lacks, every member of
its type; errors in the API's JSON error envelope.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from google.api_core import exceptions
from google.cloud import bigquery

from mlops_labs.cloud.discovery import DiscoveryDocument
from tests.bigquery_wire import (
    PROJECT,
    RecordingSandbox,
    assert_wire_fits_discovery,
    client_for,
)

PENGUINS = "bigquery-public-data.ml_datasets.penguins"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RecordingSandbox]:
    with RecordingSandbox(page_size=500) as running:
        yield running


@pytest.fixture(scope="module")
def client(sandbox: RecordingSandbox) -> Iterator[bigquery.Client]:
    with client_for(sandbox) as real_client:
        yield real_client


@pytest.fixture(autouse=True)
def _responses_fit_the_discovery_document(sandbox: RecordingSandbox) -> Iterator[None]:
    sandbox.reset()
    sandbox.wire.clear()
    yield
    assert_wire_fits_discovery(sandbox)


@pytest.fixture
def dataset(client: bigquery.Client) -> bigquery.Dataset:
    return client.create_dataset("lab")


def rows_of(iterator: Any) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in iterator]


def query_rows(client: bigquery.Client, sql: str, **config: Any) -> list[tuple[Any, ...]]:
    job_config = bigquery.QueryJobConfig(**config) if config else None
    return rows_of(client.query(sql, job_config=job_config).result())


# The check itself


def test_the_discovery_check_catches_stray_members_and_wrong_types(client, sandbox, dataset):
    method, path, _, body = sandbox.wire[-1]
    document = DiscoveryDocument.load("bigquery.v2")
    assert document.find_method(method, path).id == "bigquery.datasets.insert"
    tampered = json.loads(body)
    tampered["numTables"] = 3
    assert document.check("Dataset", tampered) == [
        "Dataset.numTables is not a property of the schema"
    ]
    tampered = json.loads(body)
    tampered["creationTime"] = 1700000000000
    assert "should be a JSON string" in document.check("Dataset", tampered)[0]
    tampered["creationTime"] = "soon"
    assert "int64" in document.check("Dataset", tampered)[0]
    assert document.check_error({"error": {"code": 404, "message": "x", "extra": 1}}) != []


def test_the_client_talks_only_to_the_sandbox(client, sandbox):
    assert sandbox.environment()["BIGQUERY_EMULATOR_HOST"].startswith("http://127.0.0.1:")
    assert sandbox.endpoint == client._connection.API_BASE_URL
    assert list(client.list_datasets()) == []
    assert [path for _, path, _, _ in sandbox.wire] == [f"/bigquery/v2/projects/{PROJECT}/datasets"]


# Datasets


def test_a_dataset_is_created_read_listed_patched_and_deleted(client):
    created = client.create_dataset(bigquery.Dataset(f"{PROJECT}.churn"), timeout=5)
    assert (created.project, created.dataset_id, created.location) == (PROJECT, "churn", "US")
    assert created.created is not None and created.etag
    client.create_dataset("another")
    assert [d.dataset_id for d in client.list_datasets()] == ["another", "churn"]
    pages = client.list_datasets(page_size=1).pages
    assert [[d.dataset_id for d in p] for p in pages] == [["another"], ["churn"]]
    fetched = client.get_dataset("churn")
    fetched.description = "churn features"
    fetched.labels = {"team": "ml"}
    updated = client.update_dataset(fetched, ["description", "labels"])
    assert (updated.description, updated.labels) == ("churn features", {"team": "ml"})
    assert client.get_dataset("churn").description == "churn features"
    updated.labels = {"team": None}
    assert client.update_dataset(updated, ["labels"]).labels == {}
    client.delete_dataset("churn")
    with pytest.raises(exceptions.NotFound) as missing:
        client.get_dataset("churn")
    assert missing.value.message.endswith(f"Not found: Dataset {PROJECT}:churn")
    client.delete_dataset("churn", not_found_ok=True)


def test_a_dataset_that_exists_is_a_conflict(client, dataset):
    with pytest.raises(exceptions.Conflict) as caught:
        client.create_dataset("lab")
    assert f"Already Exists: Dataset {PROJECT}:lab" in caught.value.message
    assert client.create_dataset("lab", exists_ok=True).dataset_id == "lab"


def test_a_stale_etag_is_refused(client, dataset):
    stale = client.get_dataset("lab")
    fresh = client.get_dataset("lab")
    fresh.description = "first"
    client.update_dataset(fresh, ["description"])
    stale.description = "second"
    with pytest.raises(exceptions.PreconditionFailed):
        client.update_dataset(stale, ["description"])


def test_a_dataset_with_tables_is_deleted_only_with_its_contents(client, dataset):
    client.create_table(bigquery.Table(f"{PROJECT}.lab.t", [bigquery.SchemaField("a", "INT64")]))
    with pytest.raises(exceptions.BadRequest) as caught:
        client.delete_dataset("lab")
    assert caught.value.message.endswith(f"Dataset {PROJECT}:lab is still in use")
    assert caught.value.errors[0]["reason"] == "resourceInUse"
    client.delete_dataset("lab", delete_contents=True)
    assert list(client.list_datasets()) == []


# Tables


def test_a_table_keeps_its_schema_with_types_and_modes(client, dataset):
    schema = [
        bigquery.SchemaField("id", "INT64", mode="REQUIRED", description="customer"),
        bigquery.SchemaField("score", "FLOAT64"),
        bigquery.SchemaField("spend", "NUMERIC"),
        bigquery.SchemaField("active", "BOOL"),
        bigquery.SchemaField("tags", "STRING", mode="REPEATED"),
        bigquery.SchemaField("address", "RECORD", fields=[bigquery.SchemaField("city", "STRING")]),
        bigquery.SchemaField("seen", "TIMESTAMP"),
    ]
    table = client.create_table(bigquery.Table(f"{PROJECT}.lab.customers", schema=schema))
    fetched = client.get_table("lab.customers")
    assert [(f.name, f.field_type, f.mode) for f in fetched.schema] == [
        ("id", "INTEGER", "REQUIRED"),
        ("score", "FLOAT", "NULLABLE"),
        ("spend", "NUMERIC", "NULLABLE"),
        ("active", "BOOLEAN", "NULLABLE"),
        ("tags", "STRING", "REPEATED"),
        ("address", "RECORD", "NULLABLE"),
        ("seen", "TIMESTAMP", "NULLABLE"),
    ]
    assert fetched.schema[0].description == "customer"
    assert fetched.schema[5].fields[0].name == "city"
    assert (fetched.num_rows, fetched.num_bytes, fetched.table_type) == (0, 0, "TABLE")
    assert fetched.location == "US" and table.created is not None
    assert [t.table_id for t in client.list_tables("lab")] == ["customers"]
    with pytest.raises(exceptions.Conflict) as caught:
        client.create_table(table)
    assert f"Already Exists: Table {PROJECT}:lab.customers" in caught.value.message
    client.delete_table("lab.customers")
    with pytest.raises(exceptions.NotFound) as caught:
        client.get_table("lab.customers")
    assert caught.value.message.endswith(f"Not found: Table {PROJECT}:lab.customers")
    client.delete_table("lab.customers", not_found_ok=True)


def test_a_bad_schema_or_a_missing_dataset_is_refused(client, dataset):
    with pytest.raises(exceptions.BadRequest) as caught:
        client.create_table(
            bigquery.Table(f"{PROJECT}.lab.t", [bigquery.SchemaField("a", "INTEGR")])
        )
    assert "INTEGR is not a valid value" in caught.value.message
    with pytest.raises(exceptions.NotFound) as caught:
        client.create_table(
            bigquery.Table(f"{PROJECT}.nowhere.t", [bigquery.SchemaField("a", "INT64")])
        )
    assert caught.value.message.endswith(f"Not found: Dataset {PROJECT}:nowhere")


def test_a_table_patch_adds_columns_and_changes_metadata(client, dataset):
    table = client.create_table(
        bigquery.Table(f"{PROJECT}.lab.t", [bigquery.SchemaField("a", "INT64")])
    )
    table.description = "scores"
    table.schema = [*table.schema, bigquery.SchemaField("b", "STRING")]
    updated = client.update_table(table, ["description", "schema"])
    assert updated.description == "scores"
    assert [f.name for f in updated.schema] == ["a", "b"]
    client.insert_rows_json(updated, [{"a": 1, "b": "x"}])
    assert rows_of(client.list_rows(updated)) == [(1, "x")]


def test_a_view_is_created_and_queried(client, dataset):
    view = bigquery.Table(f"{PROJECT}.lab.adelie")
    view.view_query = f"SELECT species, island FROM `{PENGUINS}` WHERE species LIKE 'Adelie%'"
    created = client.create_table(view)
    assert created.table_type == "VIEW" and created.view_query.startswith("SELECT species")
    assert [f.name for f in created.schema] == ["species", "island"]
    assert query_rows(client, "SELECT count(*) FROM lab.adelie") == [(152,)]


# Rows: insertAll and tabledata.list


TYPED_SCHEMA = [
    bigquery.SchemaField("i", "INT64"),
    bigquery.SchemaField("f", "FLOAT64"),
    bigquery.SchemaField("n", "NUMERIC"),
    bigquery.SchemaField("b", "BOOL"),
    bigquery.SchemaField("s", "STRING"),
    bigquery.SchemaField("raw", "BYTES"),
    bigquery.SchemaField("d", "DATE"),
    bigquery.SchemaField("dt", "DATETIME"),
    bigquery.SchemaField("t", "TIME"),
    bigquery.SchemaField("ts", "TIMESTAMP"),
    bigquery.SchemaField("tags", "STRING", mode="REPEATED"),
    bigquery.SchemaField("rec", "RECORD", fields=[bigquery.SchemaField("x", "INT64")]),
]
TYPED_ROW = (
    9007199254740993,
    0.25,
    Decimal("12.50"),
    True,
    "ünïcode",
    b"\x00\xff",
    dt.date(2026, 1, 15),
    dt.datetime(2026, 1, 15, 9, 30, 0, 120000),
    dt.time(9, 30, 1),
    dt.datetime(2026, 1, 15, 9, 30, 0, 123456, tzinfo=dt.UTC),
    ["a", "b"],
    {"x": 7},
)


def test_rows_round_trip_with_their_types(client, dataset):
    table = client.create_table(bigquery.Table(f"{PROJECT}.lab.typed", TYPED_SCHEMA))
    assert client.insert_rows(table, [TYPED_ROW, (None,) * 10 + ([], None)]) == []
    rows = rows_of(client.list_rows(table))
    assert rows[0] == TYPED_ROW
    assert rows[1] == (None,) * 10 + ([], None)
    assert client.get_table(table).num_rows == 2
    queried = query_rows(client, "SELECT * FROM lab.typed ORDER BY i NULLS LAST")
    assert queried[0] == TYPED_ROW


def test_list_rows_pages_by_token_and_by_start_index(client, dataset):
    table = client.create_table(
        bigquery.Table(f"{PROJECT}.lab.n", [bigquery.SchemaField("n", "INT64")])
    )
    client.insert_rows(table, [(n,) for n in range(7)])
    pages = [[row["n"] for row in p] for p in client.list_rows(table, page_size=3).pages]
    assert pages == [[0, 1, 2], [3, 4, 5], [6]]
    assert [row["n"] for row in client.list_rows(table, start_index=5)] == [5, 6]
    assert [row["n"] for row in client.list_rows(table, max_results=2)] == [0, 1]
    selected = client.list_rows(table, selected_fields=[bigquery.SchemaField("n", "INT64")])
    assert selected.total_rows is None or len(list(selected)) == 7
    path = f"/projects/{PROJECT}/datasets/lab/tables/n/data"
    with pytest.raises(exceptions.BadRequest) as caught:
        client._connection.api_request("GET", path, query_params={"pageToken": "garbage"})
    assert "Invalid page token" in caught.value.message


def test_bad_rows_come_back_as_insert_errors_and_stop_the_others(client, dataset):
    table = client.create_table(
        bigquery.Table(
            f"{PROJECT}.lab.people",
            [
                bigquery.SchemaField("name", "STRING", mode="REQUIRED"),
                bigquery.SchemaField("age", "INT64"),
            ],
        )
    )
    rows = [{"name": "ada", "age": 36}, {"name": "bob", "age": "old"}, {"age": 3}]
    errors = client.insert_rows_json(table, rows)
    assert [(e["index"], e["errors"][0]["reason"]) for e in errors] == [
        (0, "stopped"),
        (1, "invalid"),
        (2, "invalid"),
    ]
    assert errors[1]["errors"][0]["location"] == "age"
    assert "Cannot convert value to integer" in errors[1]["errors"][0]["message"]
    assert errors[2]["errors"][0]["message"] == "Missing required field: name."
    assert client.get_table(table).num_rows == 0
    client.insert_rows_json(table, rows, skip_invalid_rows=True)
    assert rows_of(client.list_rows(table)) == [("ada", 36)]
    unknown = client.insert_rows_json(table, [{"name": "cy", "shoe": 42}])
    assert unknown[0]["errors"][0] == {
        "reason": "invalid",
        "location": "shoe",
        "debugInfo": "",
        "message": "no such field: shoe.",
    }
    assert (
        client.insert_rows_json(table, [{"name": "cy", "shoe": 42}], ignore_unknown_values=True)
        == []
    )
    retried = [{"name": "dee"}]
    client.insert_rows_json(table, retried, row_ids=["row-1"])
    client.insert_rows_json(table, retried, row_ids=["row-1"])
    assert client.get_table(table).num_rows == 3


# Queries


def test_query_results_are_typed_as_the_api_types_them(client):
    job = client.query(
        "SELECT 1 AS i, 1.5 AS f, NUMERIC '2.50' AS n, TRUE AS b, 'x' AS s, "
        "DATE '2026-01-15' AS d, DATETIME '2026-01-15 09:30:00' AS dt, "
        "TIMESTAMP '2026-01-15 09:30:00.25+00' AS ts, [1, 2] AS arr, "
        "STRUCT(1 AS a, 'z' AS b) AS rec, NULL AS nothing, 2 + 2"
    )
    result = job.result()
    assert [(f.name, f.field_type, f.mode) for f in result.schema] == [
        ("i", "INTEGER", "NULLABLE"),
        ("f", "FLOAT", "NULLABLE"),
        ("n", "NUMERIC", "NULLABLE"),
        ("b", "BOOLEAN", "NULLABLE"),
        ("s", "STRING", "NULLABLE"),
        ("d", "DATE", "NULLABLE"),
        ("dt", "DATETIME", "NULLABLE"),
        ("ts", "TIMESTAMP", "NULLABLE"),
        ("arr", "INTEGER", "REPEATED"),
        ("rec", "RECORD", "NULLABLE"),
        ("nothing", "INTEGER", "NULLABLE"),
        ("f0_", "INTEGER", "NULLABLE"),
    ]
    assert rows_of(result) == [
        (
            1,
            1.5,
            Decimal("2.5"),
            True,
            "x",
            dt.date(2026, 1, 15),
            dt.datetime(2026, 1, 15, 9, 30),
            dt.datetime(2026, 1, 15, 9, 30, 0, 250000, tzinfo=dt.UTC),
            [1, 2],
            {"a": 1, "b": "z"},
            None,
            4,
        )
    ]
    assert job.statement_type == "SELECT" and job.state == "DONE"


def test_a_query_becomes_a_dataframe(client):
    frame = client.query(
        f"SELECT species, island, body_mass_g, sex FROM `{PENGUINS}` "
        "ORDER BY body_mass_g DESC LIMIT 3"
    ).to_dataframe()
    assert list(frame.columns) == ["species", "island", "body_mass_g", "sex"]
    assert frame["body_mass_g"].tolist() == [6300.0, 6050.0, 6000.0]
    assert str(frame["body_mass_g"].dtype) == "float64"
    dates = client.query("SELECT DATE '2026-01-15' AS d, 7 AS n").to_dataframe()
    assert str(dates["d"].dtype) == "dbdate" and str(dates["n"].dtype) == "Int64"


def test_query_and_wait_takes_the_jobs_query_path(client, sandbox):
    rows = client.query_and_wait(
        f"SELECT island, count(*) AS n FROM `{PENGUINS}` GROUP BY island ORDER BY island"
    )
    assert rows_of(rows) == [("Biscoe", 168), ("Dream", 124), ("Torgersen", 52)]
    assert rows.total_rows == 3
    assert any(path.endswith("/queries") for method, path, _, _ in sandbox.wire if method == "POST")
    paged = client.query_and_wait(f"SELECT culmen_length_mm FROM `{PENGUINS}`", page_size=100)
    assert len([row for row in paged]) == 344


def test_results_are_paged_by_get_query_results(client):
    result = client.query(f"SELECT body_mass_g FROM `{PENGUINS}` ORDER BY body_mass_g").result(
        page_size=150
    )
    assert [p.num_items for p in result.pages] == [150, 150, 44]
    first = client.query("SELECT x FROM UNNEST([3, 1, 2]) AS x ORDER BY x").result(max_results=2)
    assert [row["x"] for row in first] == [1, 2]


def test_ddl_creates_schemas_and_tables(client):
    job = client.query("CREATE SCHEMA penguins OPTIONS(description = 'BQML lab')")
    assert list(job.result()) == []
    assert job.statement_type == "CREATE_SCHEMA" and job.ddl_operation_performed == "CREATE"
    assert client.get_dataset("penguins").description == "BQML lab"
    job = client.query(f"CREATE TABLE penguins.raw AS SELECT * FROM `{PENGUINS}`")
    job.result()
    assert job.statement_type == "CREATE_TABLE_AS_SELECT"
    assert job.ddl_target_table.table_id == "raw"
    raw = client.get_table("penguins.raw")
    assert raw.num_rows == 344 and raw.schema[2].field_type == "FLOAT"
    with pytest.raises(exceptions.Conflict):
        client.query("CREATE TABLE penguins.raw (a INT64)").result()
    job = client.query("CREATE OR REPLACE TABLE penguins.raw (a INT64 NOT NULL, b ARRAY<STRING>)")
    job.result()
    assert job.ddl_operation_performed == "REPLACE"
    assert [(f.name, f.field_type, f.mode) for f in client.get_table("penguins.raw").schema] == [
        ("a", "INTEGER", "REQUIRED"),
        ("b", "STRING", "REPEATED"),
    ]
    client.query("CREATE TABLE IF NOT EXISTS penguins.raw (z INT64)").result()
    client.query("DROP TABLE penguins.raw").result()
    with pytest.raises(exceptions.NotFound):
        client.get_table("penguins.raw")
    with pytest.raises(exceptions.Conflict):
        client.query("CREATE SCHEMA penguins").result()
    client.query("CREATE SCHEMA IF NOT EXISTS penguins").result()
    client.query("DROP SCHEMA penguins").result()


def test_dml_reports_affected_rows(client, dataset):
    client.query("CREATE TABLE lab.scores (id INT64, score FLOAT64)").result()
    job = client.query("INSERT INTO lab.scores (id, score) VALUES (1, 0.5), (2, 0.75), (3, 1.0)")
    assert list(job.result()) == [] and job.num_dml_affected_rows == 3
    assert job.statement_type == "INSERT"
    assert (
        client.query("UPDATE lab.scores SET score = 0 WHERE id > 1").result().num_dml_affected_rows
        == 2
    )
    rows = client.query_and_wait("DELETE FROM lab.scores WHERE score = 0")
    assert rows.num_dml_affected_rows == 2
    assert query_rows(client, "SELECT id, score FROM lab.scores") == [(1, 0.5)]


def test_a_destination_table_follows_its_write_disposition(client, dataset):
    destination = f"{PROJECT}.lab.heavy"
    sql = f"SELECT species, body_mass_g FROM `{PENGUINS}` WHERE body_mass_g > 6000"
    assert len(query_rows(client, sql, destination=destination)) == 2
    assert client.get_table(destination).num_rows == 2
    with pytest.raises(exceptions.Conflict):
        query_rows(client, sql, destination=destination)
    query_rows(client, sql, destination=destination, write_disposition="WRITE_APPEND")
    assert client.get_table(destination).num_rows == 4
    query_rows(client, sql, destination=destination, write_disposition="WRITE_TRUNCATE")
    assert client.get_table(destination).num_rows == 2


def test_a_dry_run_checks_the_query_and_runs_nothing(client, dataset):
    job = client.query(
        f"SELECT species FROM `{PENGUINS}`", job_config=bigquery.QueryJobConfig(dry_run=True)
    )
    assert job.state == "DONE" and [f.name for f in job.schema] == ["species"]
    with pytest.raises(exceptions.NotFound):
        client.query("SELECT 1 FROM lab.missing", job_config=bigquery.QueryJobConfig(dry_run=True))


def test_a_default_dataset_qualifies_bare_table_names(client, dataset):
    client.query("CREATE TABLE lab.t AS SELECT 1 AS one").result()
    config = bigquery.QueryJobConfig(default_dataset=f"{PROJECT}.lab")
    assert rows_of(client.query("SELECT one FROM t", job_config=config).result()) == [(1,)]
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query("SELECT one FROM t").result()
    assert (
        'Table "t" must be qualified with a dataset (e.g. dataset.table).' in caught.value.message
    )


# Parameters


def test_named_parameters_are_bound_with_their_types(client):
    parameters = [
        bigquery.ScalarQueryParameter("island", "STRING", "Dream"),
        bigquery.ScalarQueryParameter("heavier", "FLOAT64", 3500),
        bigquery.ScalarQueryParameter("since", "TIMESTAMP", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        bigquery.ScalarQueryParameter("day", "DATE", dt.date(2026, 1, 15)),
        bigquery.ScalarQueryParameter("amount", "NUMERIC", Decimal("1.25")),
        bigquery.ScalarQueryParameter("flag", "BOOL", None),
        bigquery.ArrayQueryParameter("sexes", "STRING", ["MALE", "FEMALE"]),
        bigquery.StructQueryParameter("box", bigquery.ScalarQueryParameter("low", "INT64", 40)),
    ]
    sql = (
        f"SELECT count(*) AS n, @since AS since, @day AS day, @amount AS amount, @flag AS flag, "
        f"@box.low AS low FROM `{PENGUINS}` "
        "WHERE island = @island AND body_mass_g > @heavier AND sex IN UNNEST(@sexes)"
    )
    rows = query_rows(client, sql, query_parameters=parameters)
    assert rows == [
        (
            80,
            dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            dt.date(2026, 1, 15),
            Decimal("1.25"),
            None,
            40,
        )
    ]
    fast = client.query_and_wait(
        sql, job_config=bigquery.QueryJobConfig(query_parameters=parameters)
    )
    assert rows_of(fast) == rows
    schema = (
        client.query(
            "SELECT @flag AS flag",
            job_config=bigquery.QueryJobConfig(query_parameters=parameters[5:6]),
        )
        .result()
        .schema
    )
    assert schema[0].field_type == "BOOLEAN"


def test_positional_parameters_bind_in_order(client):
    parameters = [
        bigquery.ScalarQueryParameter(None, "STRING", "Torgersen"),
        bigquery.ScalarQueryParameter(None, "INT64", 2),
    ]
    sql = f"SELECT island FROM `{PENGUINS}` WHERE island = ? LIMIT ?"
    assert query_rows(client, sql, query_parameters=parameters) == [("Torgersen",), ("Torgersen",)]


def test_a_parameter_that_tries_injection_is_only_data(client, dataset):
    client.query("CREATE TABLE lab.tenants AS SELECT 'acme' AS name").result()
    attack = "acme' OR '1'='1'; DROP TABLE lab.tenants; --"
    parameter = [bigquery.ScalarQueryParameter("name", "STRING", attack)]
    assert (
        query_rows(
            client, "SELECT name FROM lab.tenants WHERE name = @name", query_parameters=parameter
        )
        == []
    )
    assert query_rows(client, "SELECT @name AS echoed", query_parameters=parameter) == [(attack,)]
    assert client.get_table("lab.tenants").num_rows == 1


def test_a_parameter_without_a_value_is_refused(client):
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query("SELECT @missing").result()
    assert "Query parameter 'missing' not found" in caught.value.message


# Errors in BigQuery's words


def test_a_syntax_error_names_line_and_column(client):
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query("SELECT species\nFROM `x.y.z` WHERE").result()
    assert "Syntax error: Unexpected end of script at [2:19]" in caught.value.message
    assert caught.value.errors[0]["reason"] == "invalidQuery"
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query_and_wait("SELEC species FROM t")
    assert 'Syntax error: Unexpected identifier "SELEC" at [1:1]' in caught.value.message
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query_and_wait("SELECT a b c FROM t")
    assert 'Syntax error: Unexpected identifier "c" at [1:12]' in caught.value.message


def test_a_missing_table_is_not_found_in_location_us(client, dataset):
    with pytest.raises(exceptions.NotFound) as caught:
        client.query("SELECT * FROM lab.missing").result()
    expected = f"Not found: Table {PROJECT}:lab.missing was not found in location US"
    assert expected in caught.value.message
    with pytest.raises(exceptions.NotFound) as caught:
        client.query_and_wait("SELECT * FROM nowhere.missing")
    assert (
        f"Not found: Dataset {PROJECT}:nowhere was not found in location US" in caught.value.message
    )


def test_semantic_errors_point_at_the_name(client):
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query_and_wait(f"SELECT species, beak FROM `{PENGUINS}`")
    assert "Unrecognized name: beak at [1:17]" in caught.value.message
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query_and_wait("SELECT no_such_function(1)")
    assert "Function not found: no_such_function at [1:8]" in caught.value.message
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query_and_wait("SELECT 1 / 0")
    assert "division by zero" in caught.value.message


def test_unsupported_statements_are_refused_by_name(client):
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query_and_wait("SELECT 1; SELECT 2")
    assert "more than one statement" in caught.value.message
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query_and_wait("EXPORT DATA OPTIONS(uri='gs://b/x-*.csv', format='CSV') AS SELECT 1")
    assert "EXPORT DATA statements are not supported" in caught.value.message


def test_exporting_a_model_without_cloud_storage_is_refused_by_name(client):
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query("EXPORT MODEL penguins.m OPTIONS(URI = 'gs://bucket/m')").result()
    assert "EXPORT MODEL is not supported by the BigQuery sandbox without Cloud Storage" in (
        caught.value.message
    )
    assert caught.value.errors[0]["reason"] == "invalidQuery"


# Jobs


def test_jobs_are_read_listed_and_cancelled(client):
    job = client.query("SELECT 1 AS one", job_id="lab_job_1", job_retry=None)
    job.result()
    fetched = client.get_job("lab_job_1")
    assert (fetched.job_id, fetched.state, fetched.location) == ("lab_job_1", "DONE", "US")
    assert fetched.query == "SELECT 1 AS one" and fetched.error_result is None
    assert fetched.created <= fetched.ended
    assert "lab_job_1" in [j.job_id for j in client.list_jobs()]
    assert client.cancel_job("lab_job_1").state == "DONE"
    with pytest.raises(exceptions.Conflict):
        client.query("SELECT 1", job_id="lab_job_1", job_retry=None)
    with pytest.raises(exceptions.NotFound) as caught:
        client.get_job("no_such_job")
    assert f"Not found: Job {PROJECT}:US.no_such_job" in caught.value.message
    failed = client.query("SELECT * FROM x.y", job_id="lab_job_2", job_retry=None)
    with pytest.raises(exceptions.NotFound):
        failed.result(job_retry=None)
    assert client.get_job("lab_job_2").error_result["reason"] == "notFound"


def test_extract_and_load_from_cloud_storage_are_refused_by_name(client, dataset):
    client.query("CREATE TABLE lab.t AS SELECT 1 AS one").result()
    with pytest.raises(exceptions.BadRequest) as caught:
        client.extract_table("lab.t", "gs://bucket/t.csv")
    assert "Extract jobs" in caught.value.message
    with pytest.raises(exceptions.BadRequest) as caught:
        client.load_table_from_uri("gs://bucket/t.csv", "lab.t")
    assert "Loading from Cloud Storage" in caught.value.message


# Loads from the client's upload path


def test_a_dataframe_loads_through_a_multipart_upload(client, dataset):
    frame = pd.DataFrame(
        {
            "id": pd.array([1, 2, None], dtype="Int64"),
            "score": [0.5, 1.5, 2.5],
            "name": ["a", "b", None],
            "when": pd.to_datetime(
                ["2026-01-15 09:30", "2026-01-16 00:00", "2026-01-17 00:00"], utc=True
            ),
        }
    )
    job = client.load_table_from_dataframe(frame, f"{PROJECT}.lab.frame")
    job.result()
    assert job.output_rows == 3 and job.state == "DONE"
    table = client.get_table("lab.frame")
    assert [(f.name, f.field_type) for f in table.schema] == [
        ("id", "INTEGER"),
        ("score", "FLOAT"),
        ("name", "STRING"),
        ("when", "TIMESTAMP"),
    ]
    back = client.list_rows(table).to_dataframe()
    assert back["score"].tolist() == [0.5, 1.5, 2.5]
    assert back["id"].tolist()[:2] == [1, 2] and pd.isna(back["id"][2])
    client.load_table_from_dataframe(frame, f"{PROJECT}.lab.frame").result()
    assert client.get_table("lab.frame").num_rows == 6


def test_a_csv_file_loads_through_a_resumable_upload(client, dataset):
    data = io.BytesIO(b"species,mass\nAdelie,3750\nGentoo,\n")
    config = bigquery.LoadJobConfig(
        source_format="CSV",
        skip_leading_rows=1,
        schema=[
            bigquery.SchemaField("species", "STRING", mode="REQUIRED"),
            bigquery.SchemaField("mass", "INT64"),
        ],
    )
    job = client.load_table_from_file(data, f"{PROJECT}.lab.csv", job_config=config)
    job.result()
    assert job.output_rows == 2
    assert rows_of(client.list_rows("lab.csv")) == [("Adelie", 3750), ("Gentoo", None)]
    assert client.get_table("lab.csv").schema[0].mode == "REQUIRED"
    auto = bigquery.LoadJobConfig(source_format="CSV", autodetect=True, skip_leading_rows=1)
    data = io.BytesIO(b"a,b\n1,x\n2,y\n")
    client.load_table_from_file(data, f"{PROJECT}.lab.auto", job_config=auto).result()
    assert [f.field_type for f in client.get_table("lab.auto").schema] == ["INTEGER", "STRING"]
    bad_data = io.BytesIO(b"species,mass\nx,notanumber\n")
    bad = client.load_table_from_file(bad_data, f"{PROJECT}.lab.csv", job_config=config)
    with pytest.raises(exceptions.BadRequest) as caught:
        bad.result()
    assert "Error while reading data" in caught.value.message
    assert client.get_table("lab.csv").num_rows == 2
    config.write_disposition = "WRITE_TRUNCATE"
    bad_data = io.BytesIO(b"species,mass\n,1\n")
    bad = client.load_table_from_file(bad_data, f"{PROJECT}.lab.csv", job_config=config)
    with pytest.raises(exceptions.BadRequest) as caught:
        bad.result()
    assert "Required field species cannot be null" in caught.value.message
    assert client.get_table("lab.csv").num_rows == 2


def test_newline_delimited_json_loads_against_a_schema(client, dataset):
    lines = b'{"name": "ada", "tags": ["x"]}\n{"name": "bob", "tags": []}\n'
    config = bigquery.LoadJobConfig(
        source_format="NEWLINE_DELIMITED_JSON",
        schema=[
            bigquery.SchemaField("name", "STRING"),
            bigquery.SchemaField("tags", "STRING", mode="REPEATED"),
        ],
        write_disposition="WRITE_TRUNCATE",
    )
    client.load_table_from_file(
        io.BytesIO(lines), f"{PROJECT}.lab.people", size=len(lines), job_config=config
    ).result()
    assert rows_of(client.list_rows("lab.people")) == [("ada", ["x"]), ("bob", [])]


# The public penguins


def test_the_public_penguins_table_has_the_real_tables_shape(client):
    table = client.get_table(PENGUINS)
    assert [(f.name, f.field_type, f.mode) for f in table.schema] == [
        ("species", "STRING", "REQUIRED"),
        ("island", "STRING", "NULLABLE"),
        ("culmen_length_mm", "FLOAT", "NULLABLE"),
        ("culmen_depth_mm", "FLOAT", "NULLABLE"),
        ("flipper_length_mm", "FLOAT", "NULLABLE"),
        ("body_mass_g", "FLOAT", "NULLABLE"),
        ("sex", "STRING", "NULLABLE"),
    ]
    # The real table's tables.get: 344 rows, 28947 logical bytes, in the US.
    assert (table.num_rows, table.num_bytes, table.location) == (344, 28947, "US")
    sexes = query_rows(client, f"SELECT sex, count(*) FROM `{PENGUINS}` GROUP BY sex ORDER BY sex")
    assert sexes == [(None, 10), (".", 1), ("FEMALE", 165), ("MALE", 168)]
    species = query_rows(client, f"SELECT DISTINCT species FROM `{PENGUINS}` ORDER BY species")
    assert species == [
        ("Adelie Penguin (Pygoscelis adeliae)",),
        ("Chinstrap penguin (Pygoscelis antarctica)",),
        ("Gentoo penguin (Pygoscelis papua)",),
    ]
    first = next(iter(client.list_rows(PENGUINS, max_results=1)))
    assert tuple(first.values()) == (
        "Adelie Penguin (Pygoscelis adeliae)",
        "Torgersen",
        39.1,
        18.7,
        181.0,
        3750.0,
        "MALE",
    )
    unquoted = query_rows(client, "SELECT count(*) FROM bigquery-public-data.ml_datasets.penguins")
    assert unquoted == [(344,)]


def test_the_public_datasets_are_read_only(client):
    with pytest.raises(exceptions.Forbidden):
        client.insert_rows_json(PENGUINS, [{"species": "x"}])
    with pytest.raises(exceptions.Forbidden):
        client.query_and_wait(f"DELETE FROM `{PENGUINS}` WHERE TRUE")
    with pytest.raises(exceptions.Forbidden):
        client.create_dataset("bigquery-public-data.mine")
    with pytest.raises(exceptions.Forbidden):
        client.delete_table(PENGUINS)
    assert client.get_table(PENGUINS).num_rows == 344


def test_the_public_data_survives_a_reset(client, sandbox):
    client.create_dataset("temporary")
    sandbox.reset()
    assert list(client.list_datasets()) == []
    assert client.get_table(PENGUINS).num_rows == 344


# GoogleSQL that sqlglot alone would get wrong


def test_farm_fingerprint_matches_bigquerys_documented_values(client):
    sql = (
        "WITH example AS (SELECT 1 AS x, 'foo' AS y, true AS z UNION ALL "
        "SELECT 2 AS x, 'apple' AS y, false AS z UNION ALL SELECT 3 AS x, '' AS y, true AS z) "
        "SELECT x, FARM_FINGERPRINT(CONCAT(CAST(x AS STRING), y, CAST(z AS STRING))) AS fp "
        "FROM example ORDER BY x"
    )
    assert query_rows(client, sql) == [
        (1, -1541654101129638711),
        (2, 2794438866806483259),
        (3, -4880158226897771312),
    ]
    assert query_rows(client, "SELECT FARM_FINGERPRINT('alphabet')") == [(-2427165924636348523,)]
    # Longer inputs take FarmHash's 17-32, 33-64 and 65+ byte paths (public test vectors).
    longer = query_rows(
        client,
        "SELECT FARM_FINGERPRINT('C is as portable as Stonehedge!!'), "
        "FARM_FINGERPRINT('Discard medicine more than two years old.'), "
        "FARM_FINGERPRINT('For every action there is an equal and opposite government program.')",
    )
    assert longer == [(-5096675506252553196, -1659406352459768539, 6131703155335668942)]


def test_format_prints_values_and_whole_rows_as_bigquery_does(client):
    rows = query_rows(
        client,
        f"SELECT FORMAT('%t', t) AS row_text, FORMAT('%d-%s-%.1f%%', 7, 'x', 2.25) AS mixed, "
        f"FORMAT('%T', 'quoted') AS literal FROM `{PENGUINS}` AS t LIMIT 1",
    )
    assert rows == [
        (
            "(Adelie Penguin (Pygoscelis adeliae), Torgersen, 39.1, 18.7, 181.0, 3750.0, MALE)",
            "7-x-2.2%",
            '"quoted"',
        )
    ]
    split = query_rows(
        client,
        "SELECT COUNTIF(MOD(ABS(FARM_FINGERPRINT(FORMAT('%t', t))), 10) < 8) "
        f"FROM `{PENGUINS}` AS t",
    )
    assert 0 < split[0][0] < 344


def test_functions_and_literals_keep_bigquerys_meaning(client):
    rows = query_rows(
        client,
        "SELECT SAFE_DIVIDE(1, 0), SAFE_DIVIDE(6, 4), DATE_ADD(DATE '2026-01-31', INTERVAL 1 DAY), "
        "DATE_DIFF(DATE '2026-03-01', DATE '2026-01-01', DAY), "
        "DATE_TRUNC(DATE '2026-05-17', MONTH), FORMAT_DATE('%Y/%m', DATE '2026-05-17'), "
        "EXTRACT(YEAR FROM DATE '2026-05-17'), IF(1 > 0, 'yes', 'no'), IFNULL(NULL, 3), "
        "DIV(7, 2), MOD(7, 2), 7 / 2, CAST('12' AS INT64), SAFE_CAST('x' AS INT64)",
    )
    assert rows == [
        (
            None,
            1.5,
            dt.date(2026, 2, 1),
            59,
            dt.date(2026, 5, 1),
            "2026/05",
            2026,
            "yes",
            3,
            3,
            1,
            3.5,
            12,
            None,
        )
    ]
    nulls = query_rows(client, "SELECT x FROM UNNEST([2, NULL, 1]) AS x ORDER BY x")
    assert nulls == [(None,), (1,), (2,)]


def test_timestamps_travel_as_the_api_formats_them(client, dataset):
    table = client.create_table(
        bigquery.Table(f"{PROJECT}.lab.ts", [bigquery.SchemaField("ts", "TIMESTAMP")])
    )
    client.insert_rows_json(table, [{"ts": "2015-11-11 04:28:47.123456 UTC"}])
    path = f"/projects/{PROJECT}/datasets/lab/tables/ts/data"
    default = client._connection.api_request("GET", path)
    assert default["rows"] == [{"f": [{"v": "1.447216127123456E9"}]}]
    exact = client._connection.api_request(
        "GET", path, query_params={"formatOptions.useInt64Timestamp": "true"}
    )
    assert exact["rows"] == [{"f": [{"v": "1447216127123456"}]}]
    assert rows_of(client.list_rows(table)) == [
        (dt.datetime(2015, 11, 11, 4, 28, 47, 123456, tzinfo=dt.UTC),)
    ]


def test_bytes_and_numeric_cells_are_strings_on_the_wire(client, dataset):
    response = client._connection.api_request(
        "POST",
        f"/projects/{PROJECT}/queries",
        data={
            "query": "SELECT b'\\x00\\xff' AS raw, NUMERIC '100' AS n, 0.1 AS f",
            "useLegacySql": False,
        },
    )
    assert response["rows"] == [
        {"f": [{"v": base64.b64encode(b"\x00\xff").decode()}, {"v": "100"}, {"v": "0.1"}]}
    ]
    assert response["jobComplete"] is True and response["totalRows"] == "1"


# --- on-demand billing: bytes processed, bytes billed, maximumBytesBilled --------------------

PENGUINS_TABLE = "`bigquery-public-data.ml_datasets.penguins`"


def test_a_dry_run_estimates_the_bytes_of_the_tables_it_reads(client):
    job = client.query(
        f"SELECT species, count(*) FROM {PENGUINS_TABLE} GROUP BY species",
        job_config=bigquery.QueryJobConfig(dry_run=True, use_query_cache=False),
    )
    # The whole table's logical size: an upper bound of BigQuery's column-wise figure.
    assert job.total_bytes_processed == 28947
    assert (
        client.query(
            "SELECT 1", job_config=bigquery.QueryJobConfig(dry_run=True)
        ).total_bytes_processed
        == 0
    )


def test_bytes_billed_round_up_to_ten_mib_per_table_read(client):
    job = client.query(f"SELECT count(*) FROM {PENGUINS_TABLE}")
    job.result()
    assert (job.total_bytes_processed, job.total_bytes_billed) == (28947, 10 * 1024 * 1024)


def test_a_query_over_its_maximum_bytes_billed_is_refused_as_bigquery_words_it(client):
    capped = bigquery.QueryJobConfig(maximum_bytes_billed=1000)
    with pytest.raises(exceptions.GoogleAPICallError) as raised:
        client.query(f"SELECT * FROM {PENGUINS_TABLE}", job_config=capped).result()
    assert "Query exceeded limit for bytes billed: 1000. 10485760 or higher required." in str(
        raised.value
    )
    assert rows_of(client.query("SELECT 1", job_config=capped).result()) == [(1,)]
