"""COPY from S3 and UNLOAD to S3 through the sandbox: the files really move, named as Redshift names
them; a failure loads nothing and leaves nothing behind."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from mlops_labs.warehouse.engine import Warehouse
from mlops_labs.warehouse.errors import (
    S3AccessError,
    UndefinedObject,
    UnsupportedFeature,
    WarehouseError,
)

BUCKET = "lake"
PINNED = datetime(2026, 1, 29, 6, 0)
ROLE = "IAM_ROLE 'arn:aws:iam::123456789012:role/redshift-copy'"
# Five customers: a comma and a quote inside values, a NULL score, a NULL name.
CUSTOMERS = [
    (1, "ann", Decimal("10.50"), date(2026, 1, 1)),
    (2, "bob, jr", None, date(2026, 1, 2)),
    (3, 'cy "the" third', Decimal("0.25"), date(2026, 1, 3)),
    (4, None, Decimal("7.00"), date(2026, 1, 4)),
    (5, "eve", Decimal("1.00"), date(2026, 1, 5)),
]


@pytest.fixture(scope="module")
def s3_client(aws_sandbox):
    """One S3 client for the module: making one costs more than most tests here."""
    return boto3.client("s3")


@pytest.fixture(scope="module")
def shared(s3_client):
    """One warehouse for the module (a fresh one costs ~20 ms), its COPY and UNLOAD via the
    sandbox: CUSTOMERS, and an empty twin to load into."""
    warehouse = Warehouse(clock=PINNED, s3_client=lambda: s3_client)
    columns = "(id INT, name VARCHAR(32), score DECIMAL(8, 2), joined DATE)"
    warehouse.run_script(f"CREATE TABLE customers {columns}; CREATE TABLE loaded {columns}")
    for row in CUSTOMERS:
        warehouse.execute("INSERT INTO customers VALUES (%s, %s, %s, %s)", list(row))
    yield warehouse
    warehouse.close()


@pytest.fixture
def s3(aws, s3_client):
    """An empty sandbox account with the bucket the tests use."""
    s3_client.create_bucket(Bucket=BUCKET)
    return s3_client


@pytest.fixture
def customers(shared, s3):
    """The shared warehouse, its table to load into emptied."""
    shared.execute("DELETE FROM loaded")
    return shared


def put(s3, key: str, body: bytes | str) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode() if isinstance(body, str) else body)


def get(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def keys(s3, prefix: str = "") -> list[str]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def rows(warehouse, table: str) -> list[tuple]:
    return warehouse.query(f"SELECT * FROM {table} ORDER BY id")


def record(warehouse, view: str, query_id: int) -> dict | None:
    result = warehouse.execute(f"SELECT * FROM {view} WHERE query_id = %s", [query_id])
    assert len(result.rows) <= 1, f"{view} has {len(result.rows)} rows for query {query_id}"
    if not result.rows:
        return None
    return dict(zip([c.name for c in result.columns], result.rows[0], strict=True))


# COPY


def test_copy_csv_skips_the_header_and_reads_quoted_fields(customers, s3):
    put(
        s3,
        "in/customers.csv",
        'id,name,score,joined\n1,ann,10.5,2026-01-01\n2,"bob, jr",,2026-01-02\n',
    )
    result = customers.execute(
        f"COPY loaded FROM 's3://{BUCKET}/in/customers.csv' {ROLE} REGION 'us-east-1' "
        "FORMAT AS CSV IGNOREHEADER 1"
    )
    assert (result.statement, result.rowcount) == ("COPY", 2)
    assert rows(customers, "loaded") == CUSTOMERS[:2]


def test_copy_reads_pipe_delimited_text_by_default(customers, s3):
    put(s3, "in/part.txt", "1|ann|10.5|2026-01-01\n2|bob, jr||2026-01-02\n")
    customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/part.txt' IAM_ROLE default")
    assert rows(customers, "loaded") == CUSTOMERS[:2]


def test_copy_takes_a_custom_delimiter(customers, s3):
    cases = {
        "DELIMITER ';'": "1;ann;10.5;2026-01-01\n",
        "DELIMITER AS '\t'": "1\tann\t10.5\t2026-01-01\n",
        "CSV DELIMITER ';'": '1;"ann";10.5;2026-01-01\n',
    }
    for number, (options, body) in enumerate(cases.items()):
        put(s3, f"in/{number}", body)
        customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/{number}' {options}")
        assert rows(customers, "loaded") == CUSTOMERS[:1], options
        customers.execute("DELETE FROM loaded")


def test_copy_gunzips_with_gzip(customers, s3):
    put(s3, "in/part.csv.gz", gzip.compress(b"1,ann,10.5,2026-01-01\n"))
    customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/part.csv.gz' CSV GZIP")
    assert rows(customers, "loaded") == CUSTOMERS[:1]


def test_copy_gzip_of_plain_data_is_refused_and_loads_nothing(customers, s3):
    put(s3, "in/a.csv.gz", gzip.compress(b"1,ann,10.5,2026-01-01\n"))
    put(s3, "in/b.csv", b"2,bob,1,2026-01-02\n")
    with pytest.raises(WarehouseError, match=r"s3://lake/in/b\.csv is not gzip data"):
        customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/' CSV GZIP")
    assert rows(customers, "loaded") == [], "the gzip file before the bad one stayed loaded"


def test_copy_reads_parquet(customers, s3):
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.int32()),
            "name": ["ann", "bob, jr"],
            "score": pa.array([Decimal("10.50"), None], pa.decimal128(8, 2)),
            "joined": [date(2026, 1, 1), date(2026, 1, 2)],
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    put(s3, "in/part.parquet", buffer.getvalue())
    result = customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/part.parquet' FORMAT PARQUET")
    assert result.rowcount == 2
    assert rows(customers, "loaded") == CUSTOMERS[:2]


def test_copy_loads_every_file_under_a_prefix(customers, s3):
    put(s3, "in/p1.csv", "1,ann,10.5,2026-01-01\n")
    put(s3, "in/p2.csv", '2,"bob, jr",,2026-01-02\n3,"cy ""the"" third",0.25,2026-01-03\n')
    put(s3, "in/sub/p3.csv", "4,dan,7,2026-01-04\n")
    put(s3, "in/folder/", b"")  # a console-made "folder" holds no rows
    result = customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/' CSV")
    assert result.rowcount == 4
    assert rows(customers, "loaded") == [
        *CUSTOMERS[:3],
        (4, "dan", Decimal("7.00"), date(2026, 1, 4)),
    ]
    load = record(customers, "sys_load_history", result.query_id)
    assert load["source_file_count"] == 3, load


def test_copy_from_a_missing_prefix_is_refused_in_redshifts_words(customers, s3):
    with pytest.raises(S3AccessError) as caught:
        customers.execute(f"COPY loaded FROM 's3://{BUCKET}/nothing/here' CSV")
    assert str(caught.value) == "The specified S3 prefix 'nothing/here' does not exist"


def test_copy_from_a_missing_bucket_is_refused(customers):
    with pytest.raises(S3AccessError, match="S3 bucket in 's3://no-such-lake/in/' does not exist"):
        customers.execute("COPY loaded FROM 's3://no-such-lake/in/' CSV")


def test_a_broken_row_loads_nothing_at_all(customers, s3):
    customers.execute("INSERT INTO loaded VALUES (99, 'kept', 1, '2026-01-01')")
    put(s3, "in/a.csv", "1,ann,10.5,2026-01-01\n2,bob,1,2026-01-02\n")
    put(s3, "in/b.csv", "3,cy,1,2026-01-03\nnot-a-number,dan,1,2026-01-04\n")
    with pytest.raises(
        WarehouseError, match="COPY into loaded failed, nothing was loaded"
    ) as caught:
        customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/' CSV")
    assert caught.value.code == "XX000"
    copy_id = customers.query("SELECT pg_last_query_id()")[0][0]
    assert customers.query("SELECT id, name FROM loaded") == [(99, "kept")]
    assert record(customers, "sys_query_history", copy_id)["status"] == "failed"
    assert record(customers, "sys_load_history", copy_id) is None, "a failed COPY counted as a load"


def test_copy_into_a_column_list_fills_the_rest_with_defaults(warehouse, s3):
    # The plugin's fresh warehouse: this test makes a table of its own.
    warehouse.execute(
        "CREATE TABLE listed (id INT, name VARCHAR(8), note VARCHAR(8) DEFAULT 'n/a')"
    )
    put(s3, "in/a.csv", "ann,1\nbob,2\n")
    warehouse.execute(f"COPY listed (name, id) FROM 's3://{BUCKET}/in/a.csv' CSV")
    assert warehouse.query("SELECT id, name, note FROM listed ORDER BY id") == [
        (1, "ann", "n/a"),
        (2, "bob", "n/a"),
    ]


def test_copy_names_an_unknown_table_or_column_like_redshift(customers, s3):
    put(s3, "in/a.csv", "1\n")
    with pytest.raises(UndefinedObject) as table:
        customers.execute(f"COPY nowhere FROM 's3://{BUCKET}/in/a.csv' CSV")
    assert (str(table.value), table.value.code) == ('relation "nowhere" does not exist', "42P01")
    with pytest.raises(UndefinedObject) as column:
        customers.execute(f"COPY loaded (nope) FROM 's3://{BUCKET}/in/a.csv' CSV")
    assert (str(column.value), column.value.code) == (
        'column "nope" of relation "loaded" does not exist',
        "42703",
    )


def test_copy_refuses_an_unsupported_option_by_name(customers, s3):
    put(s3, "in/a.csv", "1,ann,10.5,2026-01-01\n")
    for options, named in [
        ("JSON 'auto'", "JSON"),
        ("CSV ENCRYPTED", "ENCRYPTED"),
        ("CSV MAXERROR 10", "MAXERROR"),
        ("CSV EMPTYASNULL", "EMPTYASNULL"),
    ]:
        with pytest.raises(UnsupportedFeature) as caught:
            customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/a.csv' {options}")
        message = str(caught.value)
        assert message.startswith(f"COPY option {named} is not supported"), message
        assert caught.value.code == "0A000", options
    assert rows(customers, "loaded") == []


def _manifest(*entries: tuple[str, bool]) -> str:
    return json.dumps({"entries": [{"url": url, "mandatory": must} for url, must in entries]})


def test_copy_with_a_manifest_skips_a_missing_optional_file(customers, s3):
    put(s3, "in/a.csv", "1,ann,10.5,2026-01-01\n")
    put(s3, "in/b.csv", '2,"bob, jr",,2026-01-02\n')
    put(s3, "in/not-listed.csv", "5,eve,1,2026-01-05\n")
    put(
        s3,
        "in/load.manifest",
        _manifest(
            ("s3://lake/in/a.csv", True),
            ("s3://lake/in/gone.csv", False),
            ("s3://lake/in/b.csv", True),
        ),
    )
    result = customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/load.manifest' CSV MANIFEST")
    assert rows(customers, "loaded") == CUSTOMERS[:2]
    assert record(customers, "sys_load_history", result.query_id)["source_file_count"] == 2


def test_copy_with_a_manifest_refuses_a_missing_mandatory_file(customers, s3):
    put(s3, "in/a.csv", "1,ann,10.5,2026-01-01\n")
    put(
        s3,
        "in/load.manifest",
        _manifest(("s3://lake/in/a.csv", True), ("s3://lake/in/gone.csv", True)),
    )
    with pytest.raises(S3AccessError) as caught:
        customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/load.manifest' CSV MANIFEST")
    assert str(caught.value) == (
        "manifest s3://lake/in/load.manifest lists a mandatory file that does not exist: "
        "s3://lake/in/gone.csv"
    )
    assert rows(customers, "loaded") == []


def test_sys_load_history_records_each_copy(customers, s3):
    body = b"1,ann,10.5,2026-01-01\n"
    put(s3, "in/a.csv", body)
    result = customers.execute(f"COPY loaded FROM 's3://{BUCKET}/in/a.csv' CSV")
    assert record(customers, "sys_load_history", result.query_id) == {
        "query_id": result.query_id,
        "status": "completed",
        "table_name": "loaded",
        "data_source": "s3://lake/in/a.csv",
        "file_format": "csv",
        "loaded_rows": 1,
        "loaded_bytes": len(body),
        "source_file_count": 1,
        "iam_role": None,
    }
    history = record(customers, "sys_query_history", result.query_id)
    assert (history["query_type"], history["status"]) == ("COPY", "success"), history


# UNLOAD


def unload(warehouse, prefix: str, options: str = "", query: str = "SELECT * FROM customers"):
    quoted = query.replace("'", "''")
    return warehouse.execute(f"UNLOAD ('{quoted}') TO 's3://{BUCKET}/{prefix}' {ROLE} {options}")


def test_unload_csv_with_header_writes_one_file_per_slice(customers, s3):
    # Not the NULL name: CSV has no NULL, and Redshift would load it back as ''.
    named = [row for row in CUSTOMERS if row[1] is not None]
    query = "SELECT * FROM customers WHERE name IS NOT NULL ORDER BY id"
    result = unload(customers, "out/c_", "CSV HEADER", query)
    assert (result.statement, result.rowcount) == ("UNLOAD", 4)
    assert keys(s3) == ["out/c_0000_part_00", "out/c_0001_part_00"]
    parts = [list(csv.reader(io.StringIO(get(s3, key).decode()))) for key in keys(s3)]
    for part in parts:
        assert part[0] == ["id", "name", "score", "joined"], "each file starts with the header"
    assert [len(part) - 1 for part in parts] == [2, 2], "rows split evenly over the slices"
    assert parts[0][2] == ["2", "bob, jr", "", "2026-01-02"]
    # What UNLOAD wrote, COPY reads back unchanged.
    customers.execute(f"COPY loaded FROM 's3://{BUCKET}/out/c_' CSV IGNOREHEADER 1")
    assert rows(customers, "loaded") == named


def test_unload_names_its_files_as_redshift_does(customers, s3):
    cases = {
        "": ["0000_part_00", "0001_part_00"],
        "CSV": ["0000_part_00", "0001_part_00"],
        "CSV GZIP": ["0000_part_00.gz", "0001_part_00.gz"],
        "FORMAT AS PARQUET": ["0000_part_00.parquet", "0001_part_00.parquet"],
        "CSV PARALLEL OFF": ["000"],
        "CSV GZIP PARALLEL OFF": ["000.gz"],
        "PARQUET PARALLEL FALSE": ["000.parquet"],
        "CSV PARALLEL ON": ["0000_part_00", "0001_part_00"],
    }
    for number, (options, names) in enumerate(cases.items()):
        unload(customers, f"{number}/p_", options)
        assert keys(s3, f"{number}/") == [f"{number}/p_{name}" for name in names], options


def test_unload_gzip_gives_the_same_bytes_every_run(customers, s3):
    query = "SELECT id, name FROM customers ORDER BY id"
    unload(customers, "one/c_", "CSV GZIP", query)
    unload(customers, "two/c_", "CSV GZIP", query)
    first = [get(s3, key) for key in keys(s3, "one/")]
    second = [get(s3, key) for key in keys(s3, "two/")]
    assert first == second, "the same rows gave different gzip bytes (a timestamp in the header?)"
    lines = csv.reader(io.StringIO(gzip.decompress(first[0]).decode()))
    assert next(lines) == ["1", "ann"]


def test_unload_parquet_round_trips_through_copy(customers, s3):
    unload(customers, "pq/c_", "FORMAT PARQUET")
    assert pq.read_table(io.BytesIO(get(s3, "pq/c_0000_part_00.parquet"))).column_names == [
        "id",
        "name",
        "score",
        "joined",
    ]
    result = customers.execute(f"COPY loaded FROM 's3://{BUCKET}/pq/c_' FORMAT AS PARQUET")
    assert result.rowcount == 5
    assert rows(customers, "loaded") == CUSTOMERS


def test_unload_manifest_lists_each_file_with_its_size(customers, s3):
    unload(customers, "m/c_", "CSV MANIFEST")
    assert keys(s3) == ["m/c_0000_part_00", "m/c_0001_part_00", "m/c_manifest"]
    manifest = json.loads(get(s3, "m/c_manifest"))
    assert manifest == {
        "entries": [
            {"url": f"s3://lake/{key}", "meta": {"content_length": len(get(s3, key))}}
            for key in ("m/c_0000_part_00", "m/c_0001_part_00")
        ]
    }


def test_unload_manifest_verbose_adds_counts_schema_and_author(customers, s3):
    unload(customers, "m/c_", "FORMAT PARQUET MANIFEST VERBOSE")
    manifest = json.loads(get(s3, "m/c_manifest"))
    parts = ["m/c_0000_part_00.parquet", "m/c_0001_part_00.parquet"]
    sizes = [len(get(s3, key)) for key in parts]
    assert manifest["entries"] == [
        {"url": f"s3://lake/{key}", "meta": {"content_length": size, "record_count": count}}
        for key, size, count in zip(parts, sizes, [3, 2], strict=True)
    ]
    assert manifest["meta"] == {"content_length": sum(sizes), "record_count": 5}
    elements = manifest["schema"]["elements"]
    assert [e["name"] for e in elements] == ["id", "name", "score", "joined"]
    assert all(isinstance(e["type"]["base"], str) for e in elements), elements
    assert manifest["author"] == {"name": "Amazon Redshift", "version": "1.0.0"}


def test_unload_refuses_a_non_empty_prefix_and_leaves_it_alone(customers, s3):
    put(s3, "out/c_0000_part_00", "old data")
    put(s3, "out/c_notes.txt", "notes")
    with pytest.raises(WarehouseError) as caught:
        unload(customers, "out/c_", "CSV")
    assert str(caught.value) == (
        "Specified unload destination on S3 is not empty. Consider using a different bucket / "
        "prefix, manually removing the target files in S3, or using the ALLOWOVERWRITE option."
    )
    assert keys(s3) == ["out/c_0000_part_00", "out/c_notes.txt"]
    assert (get(s3, "out/c_0000_part_00"), get(s3, "out/c_notes.txt")) == (b"old data", b"notes")


def test_unload_allowoverwrite_replaces_the_parts_and_keeps_other_files(customers, s3):
    put(s3, "out/c_0000_part_00", "old data")
    put(s3, "out/c_notes.txt", "notes")
    unload(customers, "out/c_", "CSV ALLOWOVERWRITE", "SELECT id FROM customers ORDER BY id")
    assert keys(s3) == ["out/c_0000_part_00", "out/c_0001_part_00", "out/c_notes.txt"]
    assert get(s3, "out/c_0000_part_00") == b"1\n2\n3\n"
    assert get(s3, "out/c_notes.txt") == b"notes"


def test_unload_cleanpath_removes_every_old_file_under_the_prefix(customers, s3):
    put(s3, "out/c_0000_part_00", "old data")
    put(s3, "out/c_0007_part_00", "stale slice")
    put(s3, "elsewhere/keep", "kept")
    unload(customers, "out/c_", "CSV PARALLEL OFF CLEANPATH", "SELECT id FROM customers")
    assert keys(s3) == ["elsewhere/keep", "out/c_000"]


def test_unload_to_nowhere_usable_is_refused_and_writes_nothing(customers, s3):
    for destination, message in [
        ("s3://no-such-lake/out/c_", "S3 bucket in 's3://no-such-lake/out/c_' does not exist"),
        ("gs://lake/out/c_", "'gs://lake/out/c_' is not an S3 location"),
        ("/tmp/out/c_", "'/tmp/out/c_' is not an S3 location"),
    ]:
        with pytest.raises(S3AccessError, match=re.escape(message)):
            customers.execute(f"UNLOAD ('SELECT * FROM customers') TO '{destination}' CSV")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET]
    assert keys(s3) == []


def test_unload_refuses_options_it_cannot_honour_and_writes_nothing(customers, s3):
    for options, error, message in [
        ("PARQUET DELIMITER ','", WarehouseError, "UNLOAD PARQUET cannot be combined with"),
        ("PARQUET HEADER", WarehouseError, "UNLOAD PARQUET cannot be combined with"),
        ("CSV ENCRYPTED", UnsupportedFeature, "UNLOAD option ENCRYPTED is not supported"),
        ("CSV MAXFILESIZE 100 MB", UnsupportedFeature, "UNLOAD option MAXFILESIZE is not"),
        ("CSV ALLOWOVERWRITE CLEANPATH", WarehouseError, "cannot be used together"),
    ]:
        with pytest.raises(error, match=message):
            unload(customers, "out/c_", options)
    assert keys(s3) == []


def test_unload_of_a_failing_query_writes_nothing(customers, s3):
    with pytest.raises(UndefinedObject, match='column "nope" does not exist'):
        unload(customers, "out/c_", "CSV", "SELECT nope FROM customers")
    assert keys(s3) == []


def test_an_unload_that_fails_part_way_removes_what_it_wrote(s3):
    class FailingSecondPut:
        """The S3 client, except that the second object written fails."""

        puts = 0

        def __getattr__(self, name):
            return getattr(s3, name)

        def put_object(self, **kwargs):
            self.puts += 1
            if self.puts == 2:
                raise ClientError({"Error": {"Code": "SlowDown", "Message": "later"}}, "PutObject")
            return s3.put_object(**kwargs)

    flaky = Warehouse(clock=PINNED, s3_client=FailingSecondPut)
    try:
        flaky.run_script("CREATE TABLE t (a INT); INSERT INTO t VALUES (1), (2), (3)")
        with pytest.raises(S3AccessError, match="S3 error for 's3://lake/out/t_0001_part_00'"):
            flaky.execute("UNLOAD ('SELECT a FROM t') TO 's3://lake/out/t_' CSV")
        assert flaky.query("SELECT count(*) FROM sys_unload_history") == [(0,)]
    finally:
        flaky.close()
    assert keys(s3) == [], "the first part stayed in S3 after the UNLOAD failed"


def test_sys_unload_history_records_each_unload(customers, s3):
    result = unload(customers, "out/c_", "CSV")
    assert record(customers, "sys_unload_history", result.query_id) == {
        "query_id": result.query_id,
        "status": "completed",
        "unloaded_location": "s3://lake/out/c_",
        "file_format": "csv",
        "unloaded_rows": 5,
        "unloaded_files_count": 2,
        "unloaded_files_size": sum(len(get(s3, key)) for key in keys(s3)),
        "iam_role": "arn:aws:iam::123456789012:role/redshift-copy",
    }


def test_an_unload_is_one_query_and_the_last_one(customers, s3):
    result = unload(customers, "out/c_", "CSV", "SELECT id FROM customers")
    last = customers.query(
        "SELECT query_id, unloaded_rows FROM sys_unload_history WHERE query_id = pg_last_query_id()"
    )
    assert last == [(result.query_id, 5)], "pg_last_query_id() is not the UNLOAD"
    statements = customers.query(
        "SELECT query_type FROM sys_query_history WHERE query_id >= %s ORDER BY query_id",
        [result.query_id],
    )
    assert statements[0] == ("UNLOAD",)
    assert statements[1:] == [("SELECT",)], "the UNLOAD's own query was recorded as another one"
    scans = customers.query(
        "SELECT table_name, input_rows, input_bytes FROM sys_query_detail WHERE query_id = %s",
        [result.query_id],
    )
    assert scans == [("customers", 5, 5 * 4)], "the UNLOAD's scan is not under its query id"


def test_the_iam_role_of_each_copy_and_unload_is_recorded(warehouse, aws):
    boto3.client("s3").create_bucket(Bucket="role-bucket")
    boto3.client("s3").put_object(Bucket="role-bucket", Key="in/a.csv", Body=b"1\n2\n")
    warehouse.execute("CREATE TABLE roles (n INT)")
    role = "arn:aws:iam::123456789012:role/RedshiftCopy"
    warehouse.execute(f"COPY roles FROM 's3://role-bucket/in/' IAM_ROLE '{role}' CSV")
    warehouse.execute("UNLOAD ('SELECT * FROM roles') TO 's3://role-bucket/out/' IAM_ROLE default")
    assert warehouse.query("SELECT iam_role FROM sys_load_history") == [(role,)]
    assert warehouse.query("SELECT iam_role FROM sys_unload_history") == [("default",)]
