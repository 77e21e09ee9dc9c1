"""mlops-labs translate: Redshift SQL to BigQuery SQL, every construct reported, bad input refused.

The corpus (mlops_labs/migration/samples/redshift_constructs.sql) names on each line what the
translator must report there: a test fails if one of them is not reported, or if anything is
dropped or left untranslatable that the corpus does not name. That the Lab 6.2 translation runs
in BigQuery with the same rows is the migration feature's scenario (step_defs/test_migration.py).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import boto3
import pytest
import sqlglot

from mlops_labs.course import cli
from mlops_labs.labs import churn_data, ingest_model
from mlops_labs.migration import expectations, proof
from mlops_labs.migration.errors import EmptyScript, SqlSyntaxError, UnknownDialect
from mlops_labs.migration.findings import Outcome
from mlops_labs.migration.script import split
from mlops_labs.migration.translate import translate
from mlops_labs.warehouse.engine import Warehouse
from mlops_labs.warehouse.sqlalchemy_dialect import create_engine

CORPUS = expectations.sample("redshift_constructs.sql")
LAB = expectations.sample("lab_6_2.sql")
REDSHIFT_ONLY = {
    "DISTKEY", "SORTKEY", "DISTSTYLE", "ENCODE", "IDENTITY", "GETDATE", "SYSDATE", "NVL",
    "LISTAGG", "DATEADD", "DATEDIFF", "SUPER", "UNLOAD", "COPY", "MANIFEST", "IAM_ROLE", "BACKUP",
    "INTERLEAVED", "COMPOUND", "SIMILAR", "BPCHAR", "TIMESTAMPTZ",
}  # fmt: skip


def one_line(sql: str) -> str:
    return " ".join(sql.split())


def bigquery(redshift: str, **options) -> str:
    """The one statement ``redshift`` becomes, on one line."""
    (statement,) = translate(redshift, **options).runnable
    return one_line(statement)


@pytest.fixture(scope="module")
def corpus():
    text = CORPUS.read_text()
    return text, translate(text, dataset="analytics", name=CORPUS.name)


# The corpus: nothing vanishes


def test_every_construct_the_corpus_names_is_reported_on_its_line(corpus):
    text, translation = corpus
    assert len(expectations.expected(text)) >= 60
    unmet = expectations.unmet(text, translation.findings)
    assert unmet == [], f"not reported: {unmet}"


def test_nothing_is_dropped_or_left_untranslatable_that_the_corpus_does_not_name(corpus):
    text, translation = corpus
    surprises = expectations.unexpected(text, translation.findings)
    assert surprises == [], [f.describe() for f in surprises]


def test_every_finding_has_a_place_in_the_file_and_a_reason(corpus):
    text, translation = corpus
    lines = text.splitlines()
    for finding in translation.findings:
        assert 1 <= finding.line <= len(lines) and finding.column >= 1, finding
        assert finding.reason and "\n" not in finding.describe(), finding


@pytest.mark.parametrize("sample", [CORPUS, LAB], ids=lambda p: p.name)
def test_what_is_written_parses_as_bigquery_with_no_redshift_keyword_left(sample):
    translation = translate(sample.read_text(), dataset="analytics")
    assert sqlglot.parse(translation.sql(), read="bigquery")
    for statement in translation.runnable:
        trees = [t for t in sqlglot.parse(statement, read="bigquery") if t is not None]
        assert len(trees) == 1, statement
        words = {
            token.text.upper()
            for token in sqlglot.tokenize(statement, read="bigquery")
            if token.token_type != sqlglot.TokenType.STRING
        }
        assert not words & REDSHIFT_ONLY, (words & REDSHIFT_ONLY, statement)


def test_an_untranslatable_statement_is_written_only_as_a_comment(corpus):
    _, translation = corpus
    untranslated = [s for s in translation.statements if s.untranslatable]
    assert len(untranslated) >= 10
    for statement in untranslated:
        rendered = statement.render()
        assert all(line.startswith("--") for line in rendered.splitlines()), rendered
        assert f"UNTRANSLATED: the Redshift statement of line {statement.line}" in rendered
    assert len(translation.runnable) + len(untranslated) + 2 == len(translation.statements)


# Lab 6.2


def test_the_lab_6_2_sample_is_the_sql_a_run_of_the_lab_issues(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="churn-lake")
    customers = churn_data.make_customers(20)
    activity = churn_data.make_activity(customers)
    for table, frame in (("customers", customers), ("activity", activity)):
        body = frame.to_csv(index=False, date_format="%Y-%m-%d").encode()
        s3.put_object(Bucket="churn-lake", Key=f"raw/{table}/part-0.csv", Body=body)
    warehouse = Warehouse(clock=datetime(2026, 1, 29, 6, 0))
    engine = create_engine(warehouse)
    try:
        ingest = ingest_model.RedshiftIngest(
            engine, iam_role="arn:aws:iam::123456789012:role/RedshiftMLPipeline"
        )
        ingest_model.load_sample_schema(ingest, "s3://churn-lake/raw/")
        ingest_model.prepare_redshift_training(ingest, "s3://churn-lake/staged/churn_training_")
        issued = proof.issued_statements(engine)
    finally:
        engine.dispose()
        warehouse.close()
    sample = [[t.text for t in s.tokens] for s in split(LAB.read_text())]
    ran = [[t.text for t in s.tokens] for s in split(proof.script(issued))]
    assert sample == ran


def test_lab_6_2_translates_with_nothing_left_for_a_person():
    translation = translate(LAB.read_text(), dataset="churn")
    assert translation.untranslatable == []
    assert len(translation.runnable) == len(translation.statements) == 13
    written = [one_line(s) for s in translation.runnable]
    assert sum(s.startswith("LOAD DATA INTO churn.") for s in written) == 2
    assert sum(s.startswith("EXPORT DATA OPTIONS") for s in written) == 1
    assert "CALL BQ.REFRESH_MATERIALIZED_VIEW('churn.mv_activity_28d')" in written
    view = next(s for s in written if s.startswith("CREATE MATERIALIZED VIEW"))
    assert "allow_non_incremental_definition=TRUE" in view  # COUNT(DISTINCT) is not incremental
    assert all("CLUSTER BY customer_id" in s for s in written if s.startswith("CREATE TABLE"))


# What sqlglot gets wrong or leaves out


@pytest.mark.parametrize(
    ("redshift", "expected"),
    [
        ("SELECT GETDATE()", "SELECT CURRENT_DATETIME()"),
        ("SELECT SYSDATE", "SELECT CURRENT_DATETIME()"),
        (
            "SELECT DATEADD(day, -28, GETDATE())",
            "SELECT DATETIME_ADD(CURRENT_DATETIME(), INTERVAL -28 DAY)",
        ),
        (
            "SELECT DATEADD(month, 1, d) FROM t",
            "DATETIME_ADD(CAST(d AS DATETIME), INTERVAL 1 MONTH)",
        ),
        (
            "SELECT DATEDIFF(day, a, b) FROM t",
            "DATETIME_DIFF(CAST(b AS DATETIME), CAST(a AS DATETIME), DAY)",
        ),
        ("SELECT NVL(a, 0) FROM t", "COALESCE(a, 0)"),
        ("SELECT LISTAGG(x) FROM t", "STRING_AGG(x, '')"),
        (
            "SELECT LISTAGG(x, ',') WITHIN GROUP (ORDER BY y DESC) FROM t",
            "STRING_AGG(x, ',' ORDER BY y DESC)",
        ),
        (
            "SELECT LISTAGG(DISTINCT x, '|') WITHIN GROUP (ORDER BY x) FROM t",
            "STRING_AGG(DISTINCT x, '|' ORDER BY x)",
        ),
        ("CREATE TABLE t (a TIMESTAMP, b TIMESTAMPTZ)", "a DATETIME, b TIMESTAMP )"),
        ("CREATE TABLE t (a DECIMAL(38, 0), b DECIMAL)", "a BIGNUMERIC(38, 0), b NUMERIC(18, 0) )"),
        ("CREATE TABLE t (a VARCHAR(MAX), b SUPER)", "a STRING, b JSON )"),
        ("DELETE FROM t", "DELETE FROM t WHERE TRUE"),
        ("SELECT a FROM t WHERE b = %s", "WHERE b = ?"),
        ("SELECT a FROM t ORDER BY a", "ORDER BY a NULLS LAST"),
        ("SELECT TO_CHAR(d, 'YYYY-MM') FROM t", "FORMAT_DATETIME('%Y-%m', CAST(d AS DATETIME))"),
        (
            "SELECT CONVERT_TIMEZONE('UTC', 'Europe/Paris', ts) FROM t",
            "DATETIME(TIMESTAMP(CAST(ts AS DATETIME), 'UTC'), 'Europe/Paris')",
        ),
    ],
)
def test_what_sqlglot_gets_wrong_is_fixed(redshift, expected):
    assert expected in bigquery(redshift)


def test_a_temporary_table_is_never_put_in_a_dataset():
    written = translate(
        "CREATE TEMP TABLE recent (id INT); INSERT INTO recent SELECT id FROM events",
        dataset="d",
    ).runnable
    assert one_line(written[0]).startswith("CREATE TEMPORARY TABLE recent (")
    assert one_line(written[1]) == "INSERT INTO recent SELECT id FROM d.events"


def test_keys_become_at_most_four_clusterable_columns_and_a_partition_suggestion():
    translation = translate(
        "CREATE TABLE t (a INT, b DATE, c VARCHAR(5), d INT, e INT, f FLOAT) "
        "DISTKEY (f) COMPOUND SORTKEY (b, a, c, d, e)",
        dataset="d",
    )
    (written,) = translation.runnable
    assert "CLUSTER BY b, a, c, d" in one_line(written)
    reported = {(f.outcome, f.construct) for f in translation.findings}
    assert (Outcome.SUGGESTION, "PARTITION BY b") in reported
    assert (Outcome.DROPPED, "DISTKEY (f)") in reported  # FLOAT64 cannot cluster
    sortkey = next(f for f in translation.findings if "SORTKEY" in f.construct)
    assert "e left out" in sortkey.reason


def test_an_incremental_materialized_view_gets_no_staleness():
    written = bigquery("CREATE MATERIALIZED VIEW mv AS SELECT a, SUM(b) AS s FROM t GROUP BY a")
    assert "allow_non_incremental_definition" not in written and "max_staleness" not in written
    outer = bigquery(
        "CREATE MATERIALIZED VIEW mv AS SELECT t.a, u.b FROM t LEFT JOIN u ON t.a = u.a"
    )
    assert "allow_non_incremental_definition=TRUE" in outer


def test_copy_and_unload_options_and_bucket_renames():
    load = bigquery(
        "COPY sales FROM 's3://lake/sales/' IAM_ROLE default DELIMITER '|' IGNOREHEADER 2 "
        "NULL AS '\\\\N' CSV",
        dataset="d",
        buckets={"lake": "lake-gcs"},
    )
    assert load == (
        "LOAD DATA INTO d.sales FROM FILES ( format = 'CSV', uris = ['gs://lake-gcs/sales/*'], "
        "skip_leading_rows = 2, field_delimiter = '|', null_marker = '\\\\N' )"
    )
    export = bigquery(
        "UNLOAD ('SELECT * FROM sales') TO 's3://lake/out/sales_' IAM_ROLE default "
        "FORMAT PARQUET ALLOWOVERWRITE",
        dataset="d",
    )
    assert export == (
        "EXPORT DATA OPTIONS ( uri = 'gs://lake/out/sales_*.parquet', format = 'PARQUET', "
        "overwrite = TRUE ) AS SELECT * FROM d.sales"
    )


def test_credentials_are_named_never_repeated():
    secret = "aws_access_key_id=AKIAEXAMPLEKEY;aws_secret_access_key=not-a-real-secret"
    translation = translate(
        f"COPY t FROM 's3://b/p/' CREDENTIALS '{secret}' MANIFEST;\n"
        "COPY t FROM 's3://b/p/' SECRET_ACCESS_KEY AS 'not-a-real-secret' CSV;"
    )
    written = translation.sql() + "\n".join(f.describe() for f in translation.findings)
    assert "AKIAEXAMPLEKEY" not in written and "not-a-real-secret" not in written
    assert "CREDENTIALS '***'" in written


# Bad input


@pytest.mark.parametrize(
    ("sql", "error", "message"),
    [
        ("SELECT customer_id\nFROM WHERE churned", SqlSyntaxError, "x.sql:2:6: syntax error"),
        ("SELECT 1;\nSELEC 2", SqlSyntaxError, "x.sql:2:1: syntax error: 'SELEC'"),
        ("SELECT 'never closed", SqlSyntaxError, "x.sql:1:8: syntax error"),
        ("UNLOAD ('SELECT FROM') TO 's3://b/p'", SqlSyntaxError, "x.sql:1:"),
        ("", EmptyScript, "x.sql holds no SQL statement"),
        ("  -- a comment\n\n", EmptyScript, "x.sql holds no SQL statement"),
    ],
)
def test_input_that_cannot_be_read_is_refused_with_its_place(sql, error, message):
    with pytest.raises(error) as refused:
        translate(sql, name="x.sql")
    assert message in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize(("source", "target"), [("postgres", "bigquery"), ("redshift", "duckdb")])
def test_an_unknown_dialect_is_refused_with_the_known_ones(source, target):
    with pytest.raises(UnknownDialect) as refused:
        translate("SELECT 1", source=source, target=target)
    assert "reads redshift (--from) and writes bigquery (--to)" in str(refused.value)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["translate", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_command_writes_sql_and_reports_every_finding(capsys):
    code, out, err = _run(capsys, str(LAB), "--dataset", "churn")
    assert code == 0
    assert "LOAD DATA INTO churn.customers" in out and out.endswith(";\n")
    lines = err.strip().splitlines()
    assert lines[-1].endswith("0 untranslatable")
    assert all(line.startswith(f"{LAB}:") for line in lines)
    assert any(
        ":25:1: translated: SORTKEY (customer_id): CLUSTER BY customer_id" in line for line in lines
    )


def test_the_command_exits_one_when_something_is_left_for_a_person(capsys):
    code, out, err = _run(capsys, str(CORPUS), "--dataset", "analytics")
    assert code == 1
    assert "-- UNTRANSLATED" in out
    assert f"{CORPUS}:9:" in err and "untranslatable: IDENTITY" in err


@pytest.mark.parametrize(
    ("argv", "content", "message"),
    [
        (["{file}"], b"SELECT a FROM WHERE", "1:15: syntax error"),
        (["{file}"], b"", "holds no SQL statement"),
        (["{file}"], b"SELECT '\xff'", "not UTF-8 text"),
        (["{missing}"], None, "no such file"),
        (["{dir}"], None, "is a folder"),
        (["--from", "oracle", "{file}"], b"SELECT 1", "unknown dialect 'oracle' for --from"),
        (["--to", "snowflake", "{file}"], b"SELECT 1", "writes bigquery (--to)"),
        (["--bucket", "lake", "{file}"], b"SELECT 1", "is not S3_BUCKET=GCS_BUCKET"),
        (["--dataset", "my-set", "{file}"], b"SELECT 1", "not a BigQuery dataset name"),
    ],
)
def test_bad_input_is_one_line_and_exit_two(capsys, tmp_path, argv, content, message):
    file = tmp_path / "input.sql"
    if content is not None:
        file.write_bytes(content)
    names = {"file": file, "missing": tmp_path / "missing.sql", "dir": tmp_path}
    code, out, err = _run(capsys, *[a.format(**names) for a in argv])
    assert code == 2
    assert out == ""
    assert err.startswith("mlops-labs: error: ") and len(err.strip().splitlines()) == 1, err
    assert message in err and "Traceback" not in err


def test_the_installed_command_reads_standard_input():
    done = subprocess.run(
        [sys.executable, "-m", "mlops_labs.course.cli", "translate", "-", "--dataset", "d"],
        input="SELECT NVL(a, 0) FROM t;\nSELECT * FROM WHERE",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "mlops-labs: error: <stdin>:2:15: syntax error: Expected table name but got 'WHERE' "
        "near 'WHERE'\n"
    )
