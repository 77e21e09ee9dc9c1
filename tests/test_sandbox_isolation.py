"""No client of a sandbox reads or writes a host file, reaches out, or changes an engine setting.

Probed as an attacker would, through the clients learners use (boto3's ``redshift-data``,
google-cloud-bigquery) and the warehouse itself; each probe is refused in the service's own
words, and the engine underneath refuses too when a statement gets past the words.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import duckdb
import pytest
from botocore.config import Config
from google.api_core import exceptions
from google.cloud import bigquery

from mlops_labs.bigquery.models import Catalog
from mlops_labs.warehouse.data_api.server import DataApiServer
from mlops_labs.warehouse.engine import Warehouse
from mlops_labs.warehouse.errors import WarehouseError
from tests.bigquery_wire import RecordingSandbox, client_for
from tests.data_api_calls import settled

HOST_FILE = "/etc/hostname"

# (statement, Redshift's SQLSTATE, words of Redshift's message)
REDSHIFT_REFUSALS = [
    (f"SELECT * FROM read_text('{HOST_FILE}')", "42883", "function read_text(unknown) does"),
    (f"SELECT * FROM read_csv('{HOST_FILE}')", "42883", "function read_csv(unknown) does"),
    (f"SELECT * FROM read_blob('{HOST_FILE}')", "42883", "function read_blob(unknown) does"),
    ("SELECT count(*) FROM glob('/etc/*')", "42883", "function glob(unknown) does not exist"),
    ("SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')", "42883", "read_parquet"),
    ("SELECT * FROM duckdb_settings()", "42883", "function duckdb_settings() does not exist"),
    ("SELECT current_setting('threads')", "42883", "function current_setting(unknown)"),
    ("SET memory_limit = '1GB'", "42704", 'unrecognized configuration parameter "memory_limit"'),
    ("SET log_query_path = '{log}'", "42704", 'parameter "log_query_path"'),
    ("RESET threads", "42704", 'unrecognized configuration parameter "threads"'),
    ("PRAGMA database_list", "42601", 'syntax error at or near "PRAGMA"'),
    ("INSTALL httpfs", "42601", 'syntax error at or near "INSTALL"'),
    ("LOAD httpfs", "42601", 'syntax error at or near "LOAD"'),
    ("ATTACH '{log}' AS other", "42601", 'syntax error at or near "ATTACH"'),
    ("EXPORT DATABASE '{folder}'", "42601", 'syntax error at or near "EXPORT"'),
    (f"FROM read_text('{HOST_FILE}')", "42601", 'syntax error at or near "FROM"'),
    ("COPY (SELECT 1) TO '{log}'", "42601", "COPY needs FROM 's3://...'"),
]


@pytest.fixture(scope="module")
def warehouse() -> Iterator[Warehouse]:
    db = Warehouse()
    yield db
    db.close()


def _probe(sql: str, tmp_path: Path) -> str:
    return sql.format(log=tmp_path / "written.log", folder=tmp_path / "exported")


@pytest.mark.parametrize(("sql", "code", "words"), REDSHIFT_REFUSALS)
def test_the_warehouse_refuses_engine_only_sql_in_redshift_words(
    warehouse, tmp_path, sql, code, words
):
    with pytest.raises(WarehouseError) as refused:
        warehouse.execute(_probe(sql, tmp_path))

    assert refused.value.code == code
    assert words in str(refused.value)
    assert list(tmp_path.iterdir()) == []  # nothing written on the host


def test_the_warehouse_engine_refuses_the_host_whatever_reaches_it(warehouse, tmp_path):
    """Defence in depth: DuckDB itself, under the screen, has no files, extensions or settings."""
    engine = warehouse.duckdb()
    probes = [
        f"SELECT * FROM read_text('{HOST_FILE}')",
        f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET memory_limit = '1GB'",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
    ]
    for sql in probes:
        with pytest.raises(duckdb.Error):
            engine.execute(sql)
    assert list(tmp_path.iterdir()) == []


def test_redshift_parameters_are_set_shown_and_reset(warehouse):
    warehouse.execute("SET statement_timeout TO 2500")
    assert warehouse.execute("SHOW statement_timeout").rows == [("2500",)]
    warehouse.execute("SET statement_timeout = '3s'")
    assert warehouse.settings.statement_timeout_ms() == 3000
    warehouse.execute("RESET statement_timeout")
    assert warehouse.execute("SHOW statement_timeout").rows == [("0",)]


def test_search_path_is_redshift_s_and_reaches_only_schemas(warehouse):
    warehouse.execute("CREATE SCHEMA staging")
    warehouse.execute("CREATE TABLE staging.events (id INT)")
    warehouse.execute("INSERT INTO staging.events VALUES (7)")

    warehouse.execute("SET search_path TO staging, public")

    assert warehouse.query("SELECT id FROM events") == [(7,)]
    assert warehouse.query("SELECT count(*) FROM sys_query_history")[0][0] >= 1  # still found
    warehouse.execute("RESET search_path")
    with pytest.raises(WarehouseError, match='relation "events" does not exist'):
        warehouse.execute("SELECT id FROM events")


def test_copy_stages_its_files_only_in_the_warehouse_s_own_folder():
    from mlops_labs.warehouse import databases

    folder = databases.private_folder()
    assert folder.is_dir() and folder.name.startswith("mlops-labs-warehouse-")
    db = Warehouse()
    try:
        # The engine may use its own folder, and nothing beside it.
        db.duckdb().execute(f"COPY (SELECT 42 AS n) TO '{folder / 'probe.csv'}'")
        assert db.duckdb().execute(f"SELECT * FROM read_csv('{folder / 'probe.csv'}')").fetchall()
        with pytest.raises(duckdb.Error):
            db.duckdb().execute(f"SELECT * FROM read_text('{folder}/../{folder.name}x')")
    finally:
        (folder / "probe.csv").unlink(missing_ok=True)
        db.close()


def test_the_data_api_answers_host_probes_with_a_failed_statement(warehouse, tmp_path):
    with DataApiServer(warehouse) as server:
        client = boto3.client(
            "redshift-data",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(retries={"total_max_attempts": 1}),
        )
        statement = client.execute_statement(
            Sql=f"SELECT * FROM read_text('{HOST_FILE}')",
            ClusterIdentifier="churn-lab",
            Database="dev",
            DbUser="analyst",
        )
        described = settled(client, statement["Id"])

    assert described["Status"] == "FAILED"
    assert "function read_text(unknown) does not exist" in described["Error"]


BIGQUERY_REFUSALS = [
    (f"SELECT * FROM read_text('{HOST_FILE}')", "Table-valued function not found: read_text"),
    ("SELECT * FROM duckdb_settings()", "Table-valued function not found: duckdb_settings"),
    ("SELECT current_setting('threads') AS t", "Function not found: current_setting at [1:8]"),
    ("SELECT 1 FROM UNNEST([1]) JOIN glob('/etc/*') ON TRUE", "function not found: glob"),
    ("PRAGMA database_list", "Syntax error: Unexpected keyword PRAGMA at [1:1]"),
    ("INSTALL httpfs", 'Syntax error: Unexpected identifier "INSTALL" at [1:1]'),
]


@pytest.fixture(scope="module")
def bigquery_client() -> Iterator[bigquery.Client]:
    with RecordingSandbox() as sandbox, client_for(sandbox) as client:
        yield client


@pytest.mark.parametrize(("sql", "words"), BIGQUERY_REFUSALS)
def test_the_bigquery_sandbox_refuses_engine_only_sql_in_bigquery_words(
    bigquery_client, sql, words
):
    with pytest.raises(exceptions.BadRequest) as refused:
        bigquery_client.query(sql).result()

    assert words.lower() in refused.value.message.lower()


def test_the_bigquery_engine_refuses_the_host_whatever_reaches_it(tmp_path):
    catalog = Catalog()
    try:
        for sql in (
            f"SELECT * FROM read_text('{HOST_FILE}')",
            f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
            "LOAD httpfs",
            "SET memory_limit = '1GB'",
            "SET lock_configuration = false",
        ):
            with pytest.raises(duckdb.Error):
                catalog.connection.execute(sql)
    finally:
        catalog.close()
    assert list(tmp_path.iterdir()) == []


def test_the_engines_memory_is_bounded_and_never_spills_to_the_host(warehouse):
    catalog = Catalog()
    try:
        for engine in (warehouse.duckdb(), catalog.connection):
            limit, spill = engine.execute(
                "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
            ).fetchone()
            assert limit.endswith("GiB") and float(limit.split()[0]) <= 2
            assert spill == ""
    finally:
        catalog.close()


def test_the_warehouse_folder_outlives_a_scenario_s_temporary_folder(monkeypatch, tmp_path):
    """A scenario points tempfile at its own folder, which pytest removes later."""
    from mlops_labs.warehouse import databases

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(databases, "_folder", None)
    monkeypatch.setattr(databases.atexit, "register", lambda *args, **kwargs: None)

    folder = databases.private_folder()
    try:
        assert tmp_path not in folder.parents
    finally:
        folder.rmdir()


def test_copy_still_works_after_the_staging_folder_was_removed_from_under_it():
    """A temp cleaner may remove the folder while the process runs."""
    import shutil

    from mlops_labs.warehouse import databases

    shutil.rmtree(databases.private_folder())

    folder = databases.private_folder()

    assert folder.is_dir()
