"""BigQuery's load jobs from gs://, extract jobs and EXPORT DATA, against the Cloud Storage sandbox.

Driven only through google-cloud-bigquery and google-cloud-storage; every BigQuery exchange is
checked against the discovery document, as in tests/test_bigquery_sandbox.py.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator

import pandas as pd
import pyarrow.parquet as pa_parquet
import pytest
from google.api_core import exceptions
from google.cloud import bigquery, storage

from mlops_labs.cloud.gcs_sandbox import GcsSandbox
from tests.bigquery_wire import (
    PROJECT,
    RecordingSandbox,
    assert_wire_fits_discovery,
    client_for,
    storage_client_for,
)

BUCKET = "lab-bucket"


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
def bucket(gcs: GcsSandbox, sandbox: RecordingSandbox) -> Iterator[storage.Bucket]:
    gcs.reset()
    sandbox.reset()
    sandbox.wire.clear()
    yield storage_client_for(gcs).create_bucket(BUCKET)
    assert_wire_fits_discovery(sandbox)


@pytest.fixture
def dataset(client: bigquery.Client, bucket: storage.Bucket) -> bigquery.Dataset:
    return client.create_dataset("lab")


def rows(client: bigquery.Client, table: str) -> list[tuple]:
    return sorted(tuple(row.values()) for row in client.list_rows(table))


FRAME = pd.DataFrame(
    {
        "id": pd.array([1, 2, 3], dtype="Int64"),
        "score": [0.5, 1.5, None],
        "name": ["a", "b, with comma", None],
        "ok": [True, False, True],
        "when": pd.to_datetime(
            ["2026-01-15 09:30", "2026-01-16 00:00", "2026-01-17 12:00"], utc=True
        ),
    }
)
SCHEMA = [
    bigquery.SchemaField("id", "INTEGER"),
    bigquery.SchemaField("score", "FLOAT"),
    bigquery.SchemaField("name", "STRING"),
    bigquery.SchemaField("ok", "BOOLEAN"),
    bigquery.SchemaField("when", "TIMESTAMP"),
]


# Loads from gs://


def test_csv_objects_load_through_a_wildcard_with_their_options(client, dataset, bucket):
    bucket.blob("in/part-1.csv").upload_from_string("id;name\n1;alpha\n2;\\N\n")
    bucket.blob("in/part-2.csv").upload_from_string(gzip.compress(b'id;name\n3;"multi\nline"\n'))
    bucket.blob("in/other.txt").upload_from_string("not matched")
    config = bigquery.LoadJobConfig(
        schema=[bigquery.SchemaField("id", "INTEGER"), bigquery.SchemaField("name", "STRING")],
        skip_leading_rows=1,
        field_delimiter=";",
        null_marker="\\N",
        allow_quoted_newlines=True,
    )
    job = client.load_table_from_uri(f"gs://{BUCKET}/in/part-*.csv", "lab.t", job_config=config)
    job.result()
    assert rows(client, "lab.t") == [(1, "alpha"), (2, None), (3, "multi\nline")]
    assert (job.input_files, job.output_rows) == (2, 3)
    # WRITE_TRUNCATE replaces, the default WRITE_APPEND adds.
    config.write_disposition = "WRITE_TRUNCATE"
    client.load_table_from_uri(f"gs://{BUCKET}/in/part-1.csv", "lab.t", job_config=config).result()
    assert rows(client, "lab.t") == [(1, "alpha"), (2, None)]
    config.write_disposition = "WRITE_EMPTY"
    with pytest.raises(exceptions.Conflict):
        client.load_table_from_uri(
            f"gs://{BUCKET}/in/part-1.csv", "lab.t", job_config=config
        ).result()


def test_json_and_parquet_objects_load_with_autodetect(client, dataset, bucket):
    lines = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    bucket.blob("j.json").upload_from_string("\n".join(json.dumps(x) for x in lines))
    config = bigquery.LoadJobConfig(source_format="NEWLINE_DELIMITED_JSON", autodetect=True)
    client.load_table_from_uri(f"gs://{BUCKET}/j.json", "lab.j", job_config=config).result()
    assert rows(client, "lab.j") == [(1, "a"), (2, "b")]
    sink = io.BytesIO()
    FRAME.to_parquet(sink, index=False)
    bucket.blob("p/x.parquet").upload_from_string(sink.getvalue())
    config = bigquery.LoadJobConfig(source_format="PARQUET")
    client.load_table_from_uri([f"gs://{BUCKET}/p/*"], "lab.p", job_config=config).result()
    assert client.get_table("lab.p").num_rows == 3


def test_a_missing_object_fails_the_load_in_bigquerys_words_and_writes_nothing(
    client, dataset, bucket
):
    bucket.blob("ok.csv").upload_from_string("1\n")
    config = bigquery.LoadJobConfig(schema=[bigquery.SchemaField("id", "INTEGER")])
    client.load_table_from_uri(f"gs://{BUCKET}/ok.csv", "lab.t", job_config=config).result()
    uris = [f"gs://{BUCKET}/ok.csv", f"gs://{BUCKET}/missing.csv"]
    with pytest.raises(exceptions.NotFound) as caught:
        client.load_table_from_uri(uris, "lab.t", job_config=config).result()
    assert f"Not found: URI gs://{BUCKET}/missing.csv" in caught.value.message
    with pytest.raises(exceptions.NotFound) as caught:
        client.load_table_from_uri(f"gs://{BUCKET}/none-*.csv", "lab.t", job_config=config).result()
    assert f"Not found: URI gs://{BUCKET}/none-*.csv" in caught.value.message
    bucket.blob("bad.csv").upload_from_string("x\n")
    with pytest.raises(exceptions.BadRequest):
        client.load_table_from_uri(
            [f"gs://{BUCKET}/ok.csv", f"gs://{BUCKET}/bad.csv"], "lab.t", job_config=config
        ).result()
    assert rows(client, "lab.t") == [(1,)]  # neither failed load wrote a row


# Extract jobs


def test_a_dataframe_round_trips_through_extract_and_load(client, dataset, bucket):
    client.load_table_from_dataframe(FRAME, "lab.src").result()
    expected = rows(client, "lab.src")
    cases = [
        ("CSV", "NONE", "csv/out-*.csv"),
        ("NEWLINE_DELIMITED_JSON", "GZIP", "json/out-*.json.gz"),
        ("PARQUET", "NONE", "parquet/out.parquet"),
    ]
    for number, (kind, compression, path) in enumerate(cases):
        config = bigquery.ExtractJobConfig(destination_format=kind, compression=compression)
        job = client.extract_table("lab.src", f"gs://{BUCKET}/{path}", job_config=config)
        job.result()
        assert job.destination_uri_file_counts == [1]
        read = bigquery.LoadJobConfig(
            source_format=kind,
            schema=SCHEMA,
            skip_leading_rows=1 if kind == "CSV" else 0,
        )
        source = f"gs://{BUCKET}/{path.split('-')[0]}*" if "*" in path else f"gs://{BUCKET}/{path}"
        client.load_table_from_uri(source, f"lab.back{number}", job_config=read).result()
        assert rows(client, f"lab.back{number}") == expected, kind
    names = sorted(blob.name for blob in bucket.list_blobs())
    assert "csv/out-000000000000.csv" in names and "json/out-000000000000.json.gz" in names
    csv_text = bucket.blob("csv/out-000000000000.csv").download_as_text()
    assert csv_text.splitlines()[0] == "id,score,name,ok,when"
    assert '"b, with comma"' in csv_text and "2026-01-15 09:30:00 UTC" in csv_text
    line = gzip.decompress(bucket.blob("json/out-000000000000.json.gz").download_as_bytes())
    assert json.loads(line.splitlines()[0])["id"] == "1"  # INT64 as a string, as BigQuery does


def test_extract_options_and_refusals(client, dataset, bucket):
    client.query("CREATE TABLE lab.t AS SELECT 1 AS a, 'x' AS b").result()
    config = bigquery.ExtractJobConfig(print_header=False, field_delimiter="\t")
    client.extract_table("lab.t", f"gs://{BUCKET}/t.tsv", job_config=config).result()
    assert bucket.blob("t.tsv").download_as_text() == "1\tx\n"
    with pytest.raises(exceptions.NotFound) as caught:
        client.extract_table("lab.nope", f"gs://{BUCKET}/n.csv").result()
    assert f"Not found: Table {PROJECT}:lab.nope" in caught.value.message
    with pytest.raises(exceptions.BadRequest) as caught:
        client.extract_table("lab.m", f"gs://{BUCKET}/m", source_type="Model").result()
    assert "Extract jobs of models" in caught.value.message
    parquet = pa_parquet.read_table(io.BytesIO(_extract_parquet(client, bucket)))
    assert parquet.column_names == ["a", "b"]


def _extract_parquet(client: bigquery.Client, bucket: storage.Bucket) -> bytes:
    config = bigquery.ExtractJobConfig(destination_format="PARQUET")
    client.extract_table("lab.t", f"gs://{BUCKET}/t.parquet", job_config=config).result()
    return bucket.blob("t.parquet").download_as_bytes()


# EXPORT DATA


def test_export_data_round_trips_through_load_table_from_uri(client, dataset, bucket):
    client.load_table_from_dataframe(FRAME, "lab.src").result()
    sql = (
        f"EXPORT DATA OPTIONS(uri='gs://{BUCKET}/export/*.csv', format='CSV', overwrite=true, "
        "header=true) AS SELECT id, name, `when` FROM lab.src ORDER BY id"
    )
    job = client.query(sql)
    job.result()
    assert job.statement_type == "EXPORT_DATA"
    names = [blob.name for blob in bucket.list_blobs(prefix="export/")]
    assert names == ["export/000000000000.csv"]
    config = bigquery.LoadJobConfig(schema=[SCHEMA[0], SCHEMA[2], SCHEMA[4]], skip_leading_rows=1)
    client.load_table_from_uri(
        f"gs://{BUCKET}/export/*.csv", "lab.back", job_config=config
    ).result()
    assert rows(client, "lab.back") == [(row[0], row[2], row[4]) for row in rows(client, "lab.src")]
    client.query(sql).result()  # overwrite=true replaces the files


def test_export_data_follows_bigquerys_rules(client, dataset, bucket):
    bucket.blob("taken/000000000000.csv").upload_from_string("old")
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query(
            f"EXPORT DATA OPTIONS(uri='gs://{BUCKET}/taken/*.csv', format='CSV') AS SELECT 1 AS a"
        ).result()
    assert "already exist" in caught.value.message
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query(
            f"EXPORT DATA OPTIONS(uri='gs://{BUCKET}/x.csv', format='CSV') AS SELECT 1 AS a"
        ).result()
    assert "exactly one wildcard" in caught.value.message
    for options, message in (
        ("format='CSV', colour='red'", "Unknown option: colour"),
        ("format='CSV', header=CONCAT('a')", "The header option of EXPORT DATA must be a literal"),
    ):
        with pytest.raises(exceptions.BadRequest) as caught:
            client.query(
                f"EXPORT DATA OPTIONS(uri='gs://{BUCKET}/o/*.csv', {options}) AS SELECT 1 AS a"
            ).result()
        assert message in caught.value.message
    client.query(
        f"EXPORT DATA OPTIONS(uri='gs://{BUCKET}/j/*.json', format='JSON') AS "
        "SELECT 1 AS a, DATE '2026-01-29' AS d"
    ).result()
    text = bucket.blob("j/000000000000.json").download_as_text()
    assert json.loads(text) == {"a": "1", "d": "2026-01-29"}
    parameters = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("x", "STRING", "hi")]
    )
    client.query(
        f"EXPORT DATA OPTIONS(uri='gs://{BUCKET}/p/*.csv', format='CSV') AS SELECT @x AS a",
        job_config=parameters,
    ).result()
    assert bucket.blob("p/000000000000.csv").download_as_text() == "hi\n"  # no header by default
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query(
            f"EXPORT DATA OPTIONS(uri='gs://{BUCKET}/q/*.csv', format='CSV') AS SELECT 1 / 0 AS a"
        ).result()
    assert "division by zero" in caught.value.message


def test_a_sandbox_without_storage_still_refuses_by_name(bucket):
    with RecordingSandbox(bigquery_ml=False) as bare:
        with client_for(bare) as plain:
            with pytest.raises(exceptions.BadRequest) as caught:
                plain.load_table_from_uri(f"gs://{BUCKET}/x.csv", "lab.t")
            assert "Loading from Cloud Storage" in caught.value.message
            with pytest.raises(exceptions.BadRequest) as caught:
                plain.query_and_wait(
                    "EXPORT DATA OPTIONS(uri='gs://b/*.csv', format='CSV') AS SELECT 1"
                )
            assert "EXPORT DATA statements are not supported" in caught.value.message
        assert_wire_fits_discovery(bare)
