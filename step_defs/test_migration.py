"""The migration toolkit: the AWS -> Google Cloud mapping, and Redshift SQL translated and run."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
import sqlglot
from google.cloud import bigquery, storage
from pytest_bdd import given, parsers, scenarios, then, when

from mlops_labs.cloud.aws_clients import client as aws_client
from mlops_labs.course import cli, syllabus_command
from mlops_labs.coursework import project
from mlops_labs.migration import expectations, mapping, proof
from mlops_labs.migration.translate import translate

scenarios("migration.feature")

IAM_ROLE = "arn:aws:iam::123456789012:role/RedshiftMLPipeline"
LOCATION = "US"
# Words only Redshift has: none may be left in SQL handed to BigQuery.
REDSHIFT_ONLY = {
    "DISTKEY", "SORTKEY", "DISTSTYLE", "ENCODE", "IDENTITY", "GETDATE", "SYSDATE", "NVL",
    "LISTAGG", "DATEADD", "DATEDIFF", "SUPER", "UNLOAD", "COPY", "MANIFEST", "IAM_ROLE", "BACKUP",
    "INTERLEAVED", "COMPOUND", "SIMILAR", "BPCHAR", "TIMESTAMPTZ",
}  # fmt: skip


@pytest.fixture
def lab(lab_code):
    """The Lab 6.2 module, whose SQL the toolkit translates."""
    return lab_code.module("ingest_model")


def _s3_parts(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return bucket, key


def _csv_rows(blobs: list[bytes]) -> list[dict]:
    frames = [pd.read_csv(io.BytesIO(data)) for data in blobs]
    return pd.concat(frames).to_dict("records") if frames else []


# Given


@given(
    parsers.parse(
        "{count:d} churn customers and their daily activity as CSV files in the S3 bucket "
        '"{bucket}"'
    )
)
def raw_files(ctx, aws, lab_code, count: int, bucket: str) -> None:
    churn_data = lab_code.module("churn_data")
    customers = churn_data.make_customers(count)
    activity = churn_data.make_activity(customers)
    ctx.raw = {
        "raw/customers/part-0.csv": customers.to_csv(index=False).encode(),
        "raw/activity/part-0.csv": activity.to_csv(index=False, date_format="%Y-%m-%d").encode(),
    }
    s3 = aws_client("s3")
    s3.create_bucket(Bucket=bucket)
    for key, body in ctx.raw.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    ctx.bucket = bucket


@given(
    parsers.parse('Lab 6.2 has built its training table in Redshift and staged it under "{prefix}"')
)
def lab_6_2_ran(ctx, lab, redshift_engine, prefix: str) -> None:
    ctx.engine = redshift_engine
    ctx.ingest = lab.RedshiftIngest(redshift_engine, iam_role=IAM_ROLE)
    lab.load_sample_schema(ctx.ingest, f"s3://{ctx.bucket}/raw/")
    ctx.frame, ctx.staged_uri = lab.prepare_redshift_training(ctx.ingest, prefix)


@given(parsers.parse('the raw files copied to the Cloud Storage bucket "{bucket}"'))
def copied_to_gcs(ctx, gcp, bucket: str) -> None:
    s3 = aws_client("s3")
    listing = s3.list_objects_v2(Bucket=ctx.bucket, Prefix="raw/")["Contents"]
    target = storage.Client(project=gcp.project).create_bucket(bucket, location=LOCATION)
    for item in listing:
        body = s3.get_object(Bucket=ctx.bucket, Key=item["Key"])["Body"].read()
        target.blob(item["Key"]).upload_from_string(body, content_type="text/csv")


@given(parsers.parse('the BigQuery dataset "{dataset}"'))
def dataset(ctx, gcp, dataset: str) -> None:
    ctx.client = bigquery.Client(project=gcp.project)
    created = bigquery.Dataset(f"{gcp.project}.{dataset}")
    created.location = LOCATION
    ctx.client.create_dataset(created)
    ctx.dataset = dataset
    ctx.gcs = storage.Client(project=gcp.project)


# When


@when("I read the migration mapping")
def read_mapping(ctx) -> None:
    ctx.patterns = mapping.PATTERNS


@when("I ask for the teaching checklist of that run")
def checklist(ctx, lab) -> None:
    ctx.items = lab.teaching_checklist(ctx.ingest, since_query_id=0)


@when(
    parsers.parse(
        'I translate the SQL the lab ran from Redshift to BigQuery, for the dataset "{dataset}"'
    )
)
def translate_lab(ctx, dataset: str) -> None:
    ctx.issued = proof.issued_statements(ctx.engine)
    ctx.translation = translate(proof.script(ctx.issued), dataset=dataset, name="the Lab 6.2 run")


@when("I run the translated statements in BigQuery")
def run_in_bigquery(ctx) -> None:
    ctx.types = proof.run(ctx.client, ctx.translation.runnable, location=LOCATION)


@when("I translate the sample of Redshift constructs BigQuery writes differently or lacks")
def translate_sample(ctx) -> None:
    ctx.script = expectations.sample("redshift_constructs.sql").read_text()
    ctx.translation = translate(ctx.script, dataset="analytics", name="redshift_constructs.sql")


def _translate_cli(ctx, capsys, monkeypatch, sql: str, *argv: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(sql))
    ctx.exit_code = cli.main(["translate", *argv, "-"])
    captured = capsys.readouterr()
    ctx.out, ctx.err = captured.out, captured.err
    ctx.error = RuntimeError(ctx.err.strip()) if ctx.exit_code else None


@when(parsers.parse('I run "mlops-labs translate" on the script "{sql}"'))
def cli_script(ctx, capsys, monkeypatch, sql: str) -> None:
    _translate_cli(ctx, capsys, monkeypatch, sql)


@when('I run "mlops-labs translate" on an empty script')
def cli_empty(ctx, capsys, monkeypatch) -> None:
    _translate_cli(ctx, capsys, monkeypatch, "  \n-- nothing but a comment\n")


@when(
    parsers.parse(
        'I run "mlops-labs translate" on a script, translating from "{source}" to "{target}"'
    )
)
def cli_dialects(ctx, capsys, monkeypatch, source: str, target: str) -> None:
    _translate_cli(ctx, capsys, monkeypatch, "SELECT 1", "--from", source, "--to", target)


# Then


@then(parsers.parse('it gives a Google Cloud equivalent for "{services}"'))
def equivalents(ctx, services: str) -> None:
    for service in (s.strip() for s in services.split(",")):
        rows = [p for p in ctx.patterns if service in p.aws.service]
        assert rows, f"no pattern of the mapping starts from {service!r}"
        assert all(p.google_cloud.service for p in rows), service


@then("every pattern names the API calls on the AWS side and on the Google Cloud side")
def api_calls(ctx) -> None:
    for pattern in ctx.patterns:
        assert pattern.aws.calls and all(pattern.aws.calls), pattern.key
        assert pattern.google_cloud.calls and all(pattern.google_cloud.calls), pattern.key


@then("every pattern names the lab tasks that use it")
def tasks_named(ctx) -> None:
    from mlops_labs.coursework import catalogue

    known = {task.id for task in catalogue.all_tasks()}
    for pattern in ctx.patterns:
        assert pattern.tasks and set(pattern.tasks) <= known, pattern.key


@then("the syllabus shows every pattern with its API calls")
def in_syllabus(ctx) -> None:
    page = syllabus_command.render(project.find_root(), "md").replace("\\", "")
    for pattern in ctx.patterns:
        for text in (pattern.what, *pattern.aws.calls, *pattern.google_cloud.calls):
            assert text in page, f"the syllabus does not show {text!r} ({pattern.key})"


@then("every signal and cost driver of the checklist is a row of the migration mapping")
def checklist_rows(ctx) -> None:
    signals = {item.signal for item in ctx.items}
    rows = {p.key for p in mapping.PATTERNS if p.area in ("monitoring", "cost")}
    assert signals == rows, f"checklist {sorted(signals)} vs mapping {sorted(rows)}"


@then("every item names where AWS and Google Cloud show it, as the migration mapping does")
def checklist_agrees(ctx) -> None:
    for item in ctx.items:
        row = mapping.pattern(item.signal)
        assert (item.kind, item.aws, item.google_cloud) == (
            row.area,
            row.aws.service,
            row.google_cloud.service,
        ), item.signal


@then("every statement is translated and nothing is left untranslatable")
def all_translated(ctx) -> None:
    untranslatable = [f.describe() for f in ctx.translation.untranslatable]
    assert not untranslatable, untranslatable
    assert len(ctx.translation.runnable) == len(ctx.issued) > 10


@then(
    parsers.parse(
        'COPY became LOAD DATA, UNLOAD became EXPORT DATA and the keys became clustering on "{key}"'
    )
)
def became(ctx, key: str) -> None:
    pairs = list(zip(ctx.issued, ctx.translation.runnable, strict=True))
    for redshift, bigquery_sql in pairs:
        first, written = redshift.split()[0].upper(), " ".join(bigquery_sql.split())
        if first == "COPY":
            assert written.startswith("LOAD DATA INTO"), written
        elif first == "UNLOAD":
            assert written.startswith("EXPORT DATA OPTIONS"), written
        if "DISTKEY" in redshift.upper():
            assert f"CLUSTER BY {key}" in written, written


@then(parsers.parse('"{tables}" hold the same rows in BigQuery as in Redshift'))
def same_rows(ctx, tables: str) -> None:
    for table in (t.strip() for t in tables.split(",")):
        with ctx.engine.connect() as connection:
            redshift = pd.read_sql(f"SELECT * FROM {table}", connection).to_dict("records")
        rows = ctx.client.query_and_wait(f"SELECT * FROM {ctx.dataset}.{table}", location=LOCATION)
        bigquery_rows = [dict(row.items()) for row in rows]
        assert len(redshift) == len(bigquery_rows) > 0, table
        assert proof.comparable(redshift, "customer_id") == proof.comparable(
            bigquery_rows, "customer_id"
        ), f"{table} differs between Redshift and BigQuery"


@then(
    parsers.parse(
        'the export under "{gs_prefix}" holds the same rows as the UNLOAD under "{s3_prefix}"'
    )
)
def same_files(ctx, gs_prefix: str, s3_prefix: str) -> None:
    bucket, prefix = _s3_parts(gs_prefix)
    exported = [blob.download_as_bytes() for blob in ctx.gcs.list_blobs(bucket, prefix=prefix)]
    s3 = aws_client("s3")
    bucket, prefix = _s3_parts(s3_prefix)
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    unloaded = [
        s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
        if not item["Key"].endswith("manifest")
    ]
    assert exported and unloaded
    assert proof.comparable(_csv_rows(exported), "customer_id") == proof.comparable(
        _csv_rows(unloaded), "customer_id"
    )


@then("every construct its comments name is reported on its line, with a reason")
def all_reported(ctx) -> None:
    unmet = expectations.unmet(ctx.script, ctx.translation.findings)
    assert not unmet, f"not reported: {unmet}"
    assert all(f.reason for f in ctx.translation.findings)


@then("nothing is dropped or left untranslatable that its comments do not name")
def nothing_unexpected(ctx) -> None:
    surprises = expectations.unexpected(ctx.script, ctx.translation.findings)
    assert not surprises, [f.describe() for f in surprises]


@then("what is written parses as BigQuery SQL, with no Redshift-only keyword left in it")
def parses(ctx) -> None:
    sqlglot.parse(ctx.translation.sql(), read="bigquery")
    for statement in ctx.translation.runnable:
        words = {
            token.text.upper()
            for token in sqlglot.tokenize(statement, read="bigquery")
            if token.token_type != sqlglot.TokenType.STRING
        }
        assert not words & REDSHIFT_ONLY, (words & REDSHIFT_ONLY, statement)


@then("nothing is written as SQL and the exit code is 2")
def refused_cleanly(ctx) -> None:
    assert ctx.exit_code == 2
    assert ctx.out == ""
    assert "Traceback" not in ctx.err and len(ctx.err.strip().splitlines()) == 1
    assert re.match(r"mlops-labs: error: ", ctx.err)
