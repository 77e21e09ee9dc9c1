"""Lab 6.2 (Redshift in an ML pipeline): the steps of its scenarios."""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy
from pytest_bdd import given, parsers, scenarios, then, when

from mlops_labs.cloud.aws_clients import client as aws_client

scenarios("lab_6_2_redshift.feature")

# The churn customers the lab's warehouse is loaded with, as the feature's Then steps count them.
CUSTOMERS = 300


@pytest.fixture
def lab(lab_code):
    """The Lab 6.2 module under test."""
    return lab_code.module("ingest_model")


@pytest.fixture
def statements(redshift_engine) -> list[tuple[str, object]]:
    """Every statement (and its parameters) that reaches the warehouse, in order."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sqlalchemy.event.listen(redshift_engine, "before_cursor_execute", record)
    return seen


def _s3_parts(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _keys(prefix_uri: str) -> dict[str, dict]:
    bucket, prefix = _s3_parts(prefix_uri)
    listing = aws_client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {item["Key"]: item for item in listing.get("Contents", [])}


def _read(uri: str) -> bytes:
    bucket, key = _s3_parts(uri)
    return aws_client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def _scalar(ctx, sql: str) -> object:
    with ctx.engine.connect() as connection:
        return connection.exec_driver_sql(sql).scalar()


def _attempt(ctx, lab, action) -> None:
    """Run ``action``; keep a refusal for the Then steps."""
    try:
        ctx.result = action()
    except (lab.RedshiftError, ValueError) as exc:
        ctx.error = exc


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in customer order, decimals as floats: two stagings of one table compare equal."""
    frame = frame.copy()
    for column in frame.columns:
        if (
            frame[column].dtype == object
            and len(frame)
            and not isinstance(frame[column].iloc[0], str)
        ):
            frame[column] = frame[column].astype(float)
    return frame.sort_values("customer_id").reset_index(drop=True)


# Given


@functools.cache
def _raw_files(churn_data) -> tuple[pd.DataFrame, dict[str, bytes]]:
    """The customers, and the CSV files a pipeline would find in S3 (made once per run)."""
    customers = churn_data.make_customers(CUSTOMERS)
    activity = churn_data.make_activity(customers)
    half = len(activity) // 2
    # Activity comes in two files, as daily drops would: COPY loads every file under a prefix.
    files = {"customers/part-0.csv": customers.to_csv(index=False).encode()}
    for n, part in enumerate((activity[:half], activity[half:])):
        files[f"activity/part-{n}.csv"] = part.to_csv(index=False, date_format="%Y-%m-%d").encode()
    return customers, files


@given(parsers.parse('the churn customers and their daily activity as CSV files under "{prefix}"'))
def raw_files(ctx, aws, lab_code, prefix: str) -> None:
    ctx.customers, files = _raw_files(lab_code.module("churn_data"))
    bucket, key = _s3_parts(prefix)
    s3 = aws_client("s3")
    s3.create_bucket(Bucket=bucket)
    for name, body in files.items():
        s3.put_object(Bucket=bucket, Key=key + name, Body=body)
    ctx.raw_prefix = prefix
    ctx.bucket = bucket


@given("a Redshift warehouse with the lab's schema, loaded from them with COPY")
def loaded_warehouse(ctx, lab, redshift_engine, redshift_iam_role, statements) -> None:
    ctx.engine = redshift_engine
    ctx.statements = statements
    ctx.ingest = lab.RedshiftIngest(redshift_engine, iam_role=redshift_iam_role)
    ctx.loaded = lab.load_sample_schema(ctx.ingest, ctx.raw_prefix)
    assert ctx.loaded["customers"] == len(ctx.customers)


@given(parsers.parse('the training table "{table}" is built from the customers'))
def training_table(ctx, table: str) -> None:
    with ctx.engine.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE TABLE {table} DISTKEY (customer_id) AS SELECT customer_id, tenure_months, "
            "contract, monthly_charges, support_calls, churned FROM customers"
        )


@given("I note the last query id")
def note_query_id(ctx) -> None:
    ctx.since = ctx.ingest.last_query_id()


@given(parsers.parse('"{table}" is unloaded as Parquet under "{prefix}"'))
def unloaded_by_hand(ctx, lab, table: str, prefix: str) -> None:
    rows = ctx.ingest.run(
        f"UNLOAD ('SELECT * FROM {table}') TO '{prefix}' "
        "IAM_ROLE default FORMAT AS PARQUET MANIFEST"
    )
    entries = json.loads(_read(prefix + "manifest"))["entries"]
    files = tuple(entry["url"] for entry in entries)
    size = sum(len(_read(uri)) for uri in files)
    ctx.unloaded = lab.StagedData(prefix, files, rows, size, 0.0, "unload")


@given(parsers.parse('"{table}" is uploaded client-side as Parquet to "{uri}"'))
def uploaded_by_hand(ctx, lab, table: str, uri: str) -> None:
    with ctx.engine.connect() as connection:
        frame = pd.read_sql(f"SELECT * FROM {table}", connection)
    body = frame.to_parquet(index=False)
    bucket, key = _s3_parts(uri)
    aws_client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    ctx.client = lab.StagedData(uri, (uri,), len(frame), len(body), 0.0, "client-side", 1)


# When


@when(
    parsers.parse(
        'I read "{table}" with the columns "{columns}" where "{column}" is "{value}", '
        'ordered by "{order}"'
    )
)
def read_filtered(ctx, lab, table: str, columns: str, column: str, value: str, order: str) -> None:
    ctx.columns = [c.strip() for c in columns.split(",")]
    spec = {"columns": ctx.columns, "where": {column: value}, "order_by": [order]}
    ctx.frame = lab._read_from_redshift(ctx.ingest, table, spec)


@when(parsers.parse('I read the same "{contract}" customers through the Redshift Data API'))
def read_data_api(ctx, lab, redshift_data_api, contract: str) -> None:
    ctx.api_frame = lab.read_with_data_api(
        "SELECT customer_id, tenure_months, contract FROM customers "
        "WHERE contract = :contract ORDER BY customer_id",
        {"contract": contract},
        **redshift_data_api,
        poll_s=0.01,
    )


@when(parsers.parse('I read "{table}" where "{column}" is "{value}"'))
def read_where(ctx, lab, table: str, column: str, value: str) -> None:
    ctx.frame = lab._read_from_redshift(ctx.ingest, table, {"where": {column: value}})


@when(parsers.parse('I read "{table}" with the columns "{columns}"'))
def read_columns(ctx, lab, table: str, columns: str) -> None:
    spec = {"columns": [c.strip() for c in columns.split(",")]}
    _attempt(ctx, lab, lambda: lab._read_from_redshift(ctx.ingest, table, spec))


@when(parsers.parse('I prepare the training data, staging it under "{prefix}"'))
def prepare(ctx, lab, prefix: str) -> None:
    ctx.frame, ctx.staged_uri = lab.prepare_redshift_training(ctx.ingest, prefix)


@when("I ask for the pipeline's orchestration hints")
def hints(ctx, lab) -> None:
    ctx.tasks = lab.orchestration_hint_tasks()


@when(parsers.parse('I stage "{table}" with UNLOAD as Parquet under "{prefix}"'))
def stage_unload(ctx, lab, table: str, prefix: str) -> None:
    ctx.error = None
    ctx.out_before = _keys(f"s3://{ctx.bucket}/out/")
    before = getattr(ctx, "unloaded", None)
    _attempt(ctx, lab, lambda: lab.stage_table_to_s3(ctx.ingest, table, prefix, fmt="PARQUET"))
    if ctx.error is None:
        ctx.unload_prefix = prefix
        ctx.unloaded = ctx.result
        ctx.unloaded_objects = _keys(prefix)
    else:
        ctx.unloaded = before


@when(parsers.parse('I stage "{table}" client-side as Parquet to "{uri}"'))
def stage_client(ctx, lab, table: str, uri: str) -> None:
    ctx.client = lab.quick_sample_pipeline(ctx.ingest, table, uri, fmt="PARQUET")


@when(parsers.parse('I COPY "{table}" from "{uri}"'))
def copy_from(ctx, lab, table: str, uri: str) -> None:
    ctx.out_before = _keys(f"s3://{ctx.bucket}/out/")
    _attempt(ctx, lab, lambda: ctx.ingest.copy_from_s3(table, uri))


@when(parsers.parse('I COPY "{table}" from a file with a broken last row'))
def copy_broken(ctx, lab, table: str) -> None:
    body = ctx.customers.head(5).to_csv(index=False) + "C9999999,US,not-a-number\n"
    aws_client("s3").put_object(Bucket=ctx.bucket, Key="raw/broken/part-0.csv", Body=body.encode())
    copy_from(ctx, lab, table, f"s3://{ctx.bucket}/raw/broken/")


@when("I ask for the teaching checklist since the noted query")
def checklist(ctx, lab) -> None:
    ctx.items = lab.teaching_checklist(
        ctx.ingest, since_query_id=ctx.since, staged=[ctx.unloaded, ctx.client]
    )


# Then


@then(
    parsers.parse(
        'I get a DataFrame with exactly those columns and only "{value}" contracts, '
        'in "{order}" order'
    )
)
def filtered_frame(ctx, value: str, order: str) -> None:
    assert list(ctx.frame.columns) == ctx.columns
    expected = ctx.customers[ctx.customers.contract == value]
    assert len(ctx.frame) == len(expected) > 0
    assert set(ctx.frame.contract) == {value}
    assert list(ctx.frame[order]) == sorted(expected[order])


@then(parsers.parse('the SQL quotes every name and passes "{value}" as a bound parameter'))
def sql_is_bound(ctx, value: str) -> None:
    sql, parameters = ctx.statements[-1]
    assert value not in sql, f"the value was pasted into the SQL: {sql}"
    assert value in tuple(parameters or ()), f"the value is not a bound parameter: {parameters}"
    for name in ('"customers"', '"customer_id"', '"tenure_months"', '"contract"'):
        assert name in sql, f"{name} is not quoted in: {sql}"


@then("I get the same customers as through pandas")
def same_as_pandas(ctx) -> None:
    pd.testing.assert_frame_equal(ctx.api_frame, ctx.frame, check_dtype=False)


@then("I get no rows")
def no_rows(ctx) -> None:
    assert len(ctx.frame) == 0, f"expected no rows, got {len(ctx.frame)}"


@then(parsers.parse("the warehouse still holds {count:d} customers"))
def still_holds(ctx, count: int) -> None:
    assert _scalar(ctx, "SELECT count(*) FROM customers") == count


@then(
    parsers.parse(
        'the materialized view "{view}" holds one row per customer with activity, '
        "matching the activity table's totals"
    )
)
def materialized_view(ctx, view: str) -> None:
    with ctx.engine.connect() as connection:
        rows = pd.read_sql(f"SELECT * FROM {view}", connection)
    active = _scalar(ctx, "SELECT count(DISTINCT customer_id) FROM activity")
    assert len(rows) == active == rows.customer_id.nunique()
    minutes = float(_scalar(ctx, "SELECT sum(minutes_used) FROM activity"))
    sums = [
        float(rows[c].astype(float).sum())
        for c in rows.columns
        if c != "customer_id" and rows[c].dtype != object
    ]
    assert any(abs(total - minutes) < 0.5 for total in sums), (
        "no column of the view totals the minutes used"
    )


@then(parsers.parse('the table "{table}" is distributed on "{distkey}" and sorted on "{sortkey}"'))
def table_design(ctx, table: str, distkey: str, sortkey: str) -> None:
    with ctx.engine.connect() as connection:
        info = pd.read_sql(f"SELECT * FROM svv_table_info WHERE \"table\" = '{table}'", connection)
    assert len(info) == 1, f"svv_table_info has no row for {table}"
    assert info.diststyle[0] == f"KEY({distkey})"
    assert info.sortkey1[0] == sortkey


@then(
    parsers.parse(
        '"{table}" holds one row per customer, '
        'with the activity features beside the label "{label}"'
    )
)
def training_rows(ctx, table: str, label: str) -> None:
    with ctx.engine.connect() as connection:
        frame = pd.read_sql(f"SELECT * FROM {table}", connection)
    assert len(frame) == frame.customer_id.nunique() == len(ctx.customers)
    assert label in frame.columns
    derived = set(frame.columns) - set(ctx.customers.columns)
    assert len(derived) >= 3, f"expected activity features in {table}, found only {sorted(derived)}"


@then(parsers.parse('the tasks come in the order "{order}"'))
def task_order(ctx, order: str) -> None:
    assert [task.name for task in ctx.tasks] == [name.strip() for name in order.split(",")]


@then("every task comes after the tasks it depends on")
def dependencies_first(ctx) -> None:
    seen: set[str] = set()
    for task in ctx.tasks:
        assert set(task.depends_on) <= seen, (
            f"{task.name} comes before {set(task.depends_on) - seen}"
        )
        seen.add(task.name)
    assert any(task.depends_on for task in ctx.tasks), "no task depends on another: not a graph"


@then("every task names its Step Functions, Airflow and SageMaker Pipelines task")
def aws_mapping(ctx) -> None:
    for task in ctx.tasks:
        for key in ("step_functions", "airflow", "sagemaker_pipelines"):
            assert task.aws.get(key), f"{task.name} has no {key} mapping"


@then("every task names its Vertex AI Pipelines, Cloud Composer and Workflows task")
def google_mapping(ctx) -> None:
    for task in ctx.tasks:
        for key in ("vertex_ai_pipelines", "cloud_composer", "workflows"):
            assert task.google_cloud.get(key), f"{task.name} has no {key} mapping"


@then(parsers.parse('the Step Functions definition starts at "{first}" and ends at "{last}"'))
def state_machine(ctx, lab, first: str, last: str) -> None:
    definition = lab.step_functions_definition(ctx.tasks)
    assert definition["StartAt"] == first
    state, seen = first, []
    while not definition["States"][state].get("End"):
        seen.append(state)
        state = definition["States"][state]["Next"]
    assert state == last and len(seen) + 1 == len(ctx.tasks)
    assert all(s["Resource"].startswith("arn:aws:states:::") for s in definition["States"].values())


@then(parsers.parse("both staged copies hold the same {rows:d} rows"))
def same_rows(ctx, rows: int) -> None:
    unloaded = pd.concat(pd.read_parquet(io.BytesIO(_read(uri))) for uri in ctx.unloaded.files)
    client = pd.read_parquet(io.BytesIO(_read(ctx.client.uri)))
    assert len(unloaded) == len(client) == rows
    pd.testing.assert_frame_equal(_comparable(unloaded), _comparable(client), check_dtype=False)


@then("UNLOAD wrote one file per slice, named as Redshift names them, and a manifest listing them")
def unload_files(ctx) -> None:
    bucket, prefix = _s3_parts(ctx.unload_prefix)
    keys = sorted(ctx.unloaded_objects)
    parts = [k for k in keys if k != prefix + "manifest"]
    assert prefix + "manifest" in keys, f"no manifest among {keys}"
    assert len(parts) >= 2, f"UNLOAD ran in parallel but wrote {len(parts)} file(s)"
    pattern = re.compile(re.escape(prefix) + r"\d{4}_part_\d{2}\.parquet$")
    assert all(pattern.match(k) for k in parts), f"not Redshift's part names: {parts}"
    manifest = json.loads(_read(ctx.unload_prefix + "manifest"))
    assert sorted(e["url"] for e in manifest["entries"]) == [f"s3://{bucket}/{k}" for k in parts]


@then("each way reports its rows, bytes and seconds")
def reports(ctx) -> None:
    unloaded_bytes = sum(
        item["Size"] for key, item in ctx.unloaded_objects.items() if not key.endswith("manifest")
    )
    assert (ctx.unloaded.rows, ctx.unloaded.bytes) == (CUSTOMERS, unloaded_bytes)
    assert (ctx.client.rows, ctx.client.bytes) == (CUSTOMERS, len(_read(ctx.client.uri)))
    assert ctx.unloaded.seconds > 0 and ctx.client.seconds > 0


@then("the files of the first UNLOAD are unchanged")
def first_unload_unchanged(ctx) -> None:
    now = _keys(ctx.unload_prefix)
    assert {k: v["ETag"] for k, v in now.items()} == {
        k: v["ETag"] for k, v in ctx.unloaded_objects.items()
    }


@then(parsers.parse('nothing new is written under "{prefix}"'))
def nothing_new(ctx, prefix: str) -> None:
    assert _keys(prefix) == ctx.out_before


@then(parsers.parse('I get a DataFrame with one row per customer and the label "{label}"'))
def frame_per_customer(ctx, label: str) -> None:
    assert len(ctx.frame) == ctx.frame.customer_id.nunique() == len(ctx.customers)
    assert label in ctx.frame.columns


@then("an S3 URI of one CSV file with a header, holding the same rows as the DataFrame")
def staged_csv(ctx) -> None:
    assert ctx.staged_uri.startswith("s3://"), f"{ctx.staged_uri} is not an S3 URI"
    staged = pd.read_csv(io.BytesIO(_read(ctx.staged_uri)))
    assert list(staged.columns) == list(ctx.frame.columns)
    pd.testing.assert_frame_equal(_comparable(staged), _comparable(ctx.frame), check_dtype=False)


@then("the Lab 6.1 trainer trains a churn model from that S3 URI")
def trains(ctx, lab_code) -> None:
    run = lab_code.module("model").train(ctx.staged_uri, str(Path(ctx.workdir) / "models"))
    assert run.n_rows == len(ctx.frame)
    assert run.metrics["accuracy"] > 0.6


def _items(ctx, kind: str) -> dict[str, object]:
    return {item.signal: item for item in ctx.items if item.kind == kind}


@then(parsers.parse('it lists the monitoring signals "{signals}"'))
def monitoring_signals(ctx, signals: str) -> None:
    assert set(_items(ctx, "monitoring")) >= {s.strip() for s in signals.split(",")}


@then(parsers.parse('it lists the cost drivers "{drivers}"'))
def cost_drivers(ctx, drivers: str) -> None:
    wanted = {d.strip() for d in re.split(r",\s*(?![^()]*\))", drivers)}
    assert set(_items(ctx, "cost")) >= wanted


@then("each item names where AWS shows it and its Google Cloud equivalent")
def both_clouds(ctx) -> None:
    for item in ctx.items:
        assert item.aws and item.google_cloud, f"{item.signal} lacks a cloud mapping"


@then("the measured bytes unloaded match the UNLOAD files in S3")
def measured_unload(ctx) -> None:
    files = sum(len(_read(uri)) for uri in ctx.unloaded.files)
    assert _items(ctx, "cost")["bytes unloaded to S3"].measured["bytes"] == files


@then("the measured client-side transfer matches the uploaded object")
def measured_client(ctx) -> None:
    item = _items(ctx, "cost")["client-side transfer (egress outside the region)"]
    assert item.measured["bytes"] == len(_read(ctx.client.uri))


@then("the measured bytes scanned are more than zero")
def measured_scan(ctx) -> None:
    assert _items(ctx, "cost")["bytes scanned"].measured["bytes"] > 0
