"""Lab 6.2 — Redshift in an ML pipeline: load, transform, stage and hand data to a trainer.

``RedshiftIngest`` (the pipeline's "ingest object") runs the Redshift side over any SQLAlchemy
engine: a real cluster (``redshift+redshift_connector://...``) or the kit's embedded warehouse.
The functions below read features into pandas, build the training table with CTAS and a
materialized view, stage it to S3 with UNLOAD or client-side, describe the pipeline as a
dependency graph, and list what to monitor and what costs money, with this run's numbers.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
import pandas as pd
import sqlalchemy

from . import dat

# The sample schema of the churn story, with the physical design Lab 6.2 discusses:
# DISTKEY co-locates the join key on one slice, SORTKEY lets scans skip blocks, ENCODE
# compresses each column its own way.
CUSTOMERS_DDL = """
CREATE TABLE customers (
    customer_id VARCHAR(16) NOT NULL ENCODE zstd,
    country CHAR(2) ENCODE bytedict,
    tenure_months INTEGER ENCODE az64,
    contract VARCHAR(20) ENCODE bytedict,
    internet_service VARCHAR(10) ENCODE bytedict,
    monthly_charges DECIMAL(8, 2) ENCODE az64,
    total_charges DECIMAL(10, 2) ENCODE az64,
    support_calls INTEGER ENCODE az64,
    paperless_billing VARCHAR(3),
    payment_method VARCHAR(20) ENCODE bytedict,
    cancellation_reason VARCHAR(20),
    churned SMALLINT
)
DISTKEY (customer_id)
SORTKEY (customer_id)
"""

ACTIVITY_DDL = """
CREATE TABLE activity (
    customer_id VARCHAR(16) NOT NULL ENCODE zstd,
    activity_date DATE ENCODE az64,
    minutes_used DECIMAL(8, 1) ENCODE az64,
    data_gb DECIMAL(10, 3) ENCODE az64,
    support_tickets INTEGER ENCODE az64
)
DISTKEY (customer_id)
COMPOUND SORTKEY (customer_id, activity_date)
"""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,126}$")


def quote_identifier(name: str) -> str:
    """``name`` double-quoted, after checking it is a plain Redshift identifier."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(
            f"{name!r} is not a valid table or column name: use letters, digits, _ or $, "
            "starting with a letter or _"
        )
    return f'"{name}"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class StagedData:
    """Rows staged to S3: where, in which files, and what it cost to move them."""

    uri: str
    files: tuple[str, ...]
    rows: int
    bytes: int
    seconds: float
    method: str
    requests: int = 0


class RedshiftError(RuntimeError):
    """Redshift refused a statement; the message is the database's own, on one line."""


def _database_error(exc: Exception) -> RedshiftError:
    cause = exc
    while cause.__cause__ is not None and not isinstance(cause, sqlalchemy.exc.DBAPIError):
        cause = cause.__cause__
    original = getattr(cause, "orig", None) or cause
    lines = [line for line in str(original).splitlines() if line.strip()]
    return RedshiftError(lines[0] if lines else type(original).__name__)


class RedshiftIngest:
    """The Redshift operations of one ML pipeline, over one SQLAlchemy engine."""

    def __init__(self, engine: sqlalchemy.Engine, *, iam_role: str = "default") -> None:
        self.engine = engine
        self.iam_role = iam_role

    def _role(self) -> str:
        return (
            "IAM_ROLE default"
            if self.iam_role == "default"
            else f"IAM_ROLE {_literal(self.iam_role)}"
        )

    def run(self, sql: str, params: Sequence[Any] | None = None) -> int:
        """Run one statement; return the rows it affected (-1 when the driver cannot tell)."""
        try:
            with self.engine.begin() as connection:
                return connection.exec_driver_sql(sql, tuple(params or ())).rowcount
        except sqlalchemy.exc.DBAPIError as exc:
            raise _database_error(exc) from exc

    def read_sql(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """A query's rows as a DataFrame; ``%s`` placeholders are bound, never pasted."""
        try:
            return pd.read_sql(sql, self.engine, params=tuple(params or ()))
        except (pd.errors.DatabaseError, sqlalchemy.exc.DBAPIError) as exc:
            raise _database_error(exc) from exc

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """The single value a query returns."""
        try:
            with self.engine.connect() as connection:
                return connection.exec_driver_sql(sql, tuple(params or ())).scalar()
        except sqlalchemy.exc.DBAPIError as exc:
            raise _database_error(exc) from exc

    def last_query_id(self) -> int:
        """The id of this session's last statement, for the SYS monitoring views."""
        return int(self.scalar("SELECT pg_last_query_id()"))

    def copy_from_s3(
        self,
        table: str,
        s3_uri: str,
        *,
        fmt: str = "CSV",
        ignore_header: int = 1,
        gzip: bool = False,
        manifest: bool = False,
    ) -> int:
        """COPY files under ``s3_uri`` (or listed in a manifest) into ``table``."""
        options = [self._role(), "FORMAT AS " + _format(fmt)]
        if fmt.upper() == "CSV" and ignore_header:
            options.append(f"IGNOREHEADER {int(ignore_header)}")
        if gzip:
            options.append("GZIP")
        if manifest:
            options.append("MANIFEST")
        sql = f"COPY {quote_identifier(table)} FROM {_literal(s3_uri)} {' '.join(options)}"
        return self.run(sql)

    def ctas(
        self,
        table: str,
        query: str,
        *,
        distkey: str | None = None,
        sortkey: Sequence[str] = (),
        replace: bool = True,
    ) -> int:
        """CREATE TABLE ``table`` AS ``query``, with its distribution and sort keys."""
        if replace:
            self.run(f"DROP TABLE IF EXISTS {quote_identifier(table)}")
        design = f" DISTKEY ({quote_identifier(distkey)})" if distkey else " DISTSTYLE EVEN"
        if sortkey:
            design += f" SORTKEY ({', '.join(quote_identifier(k) for k in sortkey)})"
        return self.run(f"CREATE TABLE {quote_identifier(table)}{design} AS {query}")

    def create_materialized_view(self, name: str, query: str) -> None:
        """CREATE MATERIALIZED VIEW ``name``: stored results, refreshed on demand."""
        self.run(f"DROP MATERIALIZED VIEW IF EXISTS {quote_identifier(name)}")
        self.run(f"CREATE MATERIALIZED VIEW {quote_identifier(name)} AS {query}")

    def refresh_materialized_view(self, name: str) -> None:
        """Bring a materialized view up to date with its base tables."""
        self.run(f"REFRESH MATERIALIZED VIEW {quote_identifier(name)}")

    def pre_aggregate(
        self, source: str, *, keys: Sequence[str], measures: Mapping[str, str]
    ) -> str:
        """The query rolling ``source`` up to a row per ``keys``; ``measures``: alias -> SQL."""
        for alias in measures:
            quote_identifier(alias)
        select = [quote_identifier(k) for k in keys]
        select += [
            f"{expression} AS {quote_identifier(alias)}" for alias, expression in measures.items()
        ]
        group = ", ".join(quote_identifier(k) for k in keys)
        return f"SELECT {', '.join(select)} FROM {quote_identifier(source)} GROUP BY {group}"

    def unload(
        self,
        query: str,
        s3_prefix: str,
        *,
        fmt: str = "PARQUET",
        parallel: bool = True,
        header: bool = False,
        manifest: bool = True,
        allow_overwrite: bool = False,
    ) -> int:
        """UNLOAD ``query``'s rows to files under ``s3_prefix``; return the rows unloaded."""
        options = [self._role(), "FORMAT AS " + _format(fmt)]
        if header and fmt.upper() == "CSV":
            options.append("HEADER")
        if manifest:
            options.append("MANIFEST")
        options.append(f"PARALLEL {'ON' if parallel else 'OFF'}")
        if allow_overwrite:
            options.append("ALLOWOVERWRITE")
        return self.run(f"UNLOAD ({_literal(query)}) TO {_literal(s3_prefix)} {' '.join(options)}")


def _format(fmt: str) -> str:
    if fmt.upper() not in ("CSV", "PARQUET"):
        raise ValueError(f"unsupported file format {fmt!r}: use CSV or PARQUET")
    return fmt.upper()


def load_sample_schema(ingest: RedshiftIngest, s3_prefix: str) -> dict[str, int]:
    """Create the churn schema and COPY its CSVs from ``s3_prefix`` (customers/, activity/)."""
    prefix = s3_prefix.rstrip("/") + "/"
    loaded = {}
    for table, ddl in (("customers", CUSTOMERS_DDL), ("activity", ACTIVITY_DDL)):
        ingest.run(f"DROP TABLE IF EXISTS {table}")
        ingest.run(ddl)
        loaded[table] = ingest.copy_from_s3(table, f"{prefix}{table}/")
    return loaded


def _read_from_redshift(
    ingest: RedshiftIngest, table: str, spec: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Read ``table`` into a DataFrame, as ``spec`` selects (see select_sql_from_dict)."""
    # TODO: Lab 6.2.1 - Data Access Pattern Conversion
    # WHERE: this function and select_sql_from_dict() below.
    # WHAT:  a dict describes the read (columns, filters, order, limit); select_sql_from_dict
    #        turns it into SQL with every identifier checked and quoted and every value a bound
    #        %s parameter; pd.read_sql runs it over the engine and returns a DataFrame. Below,
    #        read_with_data_api() does the same through the Redshift Data API: no driver or
    #        connection, an asynchronous statement polled to completion, typed result pages.
    # WHY:   this is the Redshift -> DataFrame step of every trainer; pasting names or values
    #        into SQL text invites injection, and pandas reads any SQLAlchemy engine the same
    #        way (BigQuery's client.query(...).to_dataframe() is the Google Cloud twin).
    # BEGIN SOLUTION
    sql, params = select_sql_from_dict(table, spec or {})
    return ingest.read_sql(sql, params)
    # END SOLUTION


def select_sql_from_dict(table: str, spec: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """SQL and parameters for ``{"columns": [...], "where": {col: value | [values]},
    "order_by": [...], "limit": n}``; unknown keys are refused."""
    # BEGIN SOLUTION
    unknown = set(spec) - {"columns", "where", "order_by", "limit"}
    if unknown:
        raise ValueError(
            f"unknown read options {sorted(unknown)}: use columns, where, order_by, limit"
        )
    columns = spec.get("columns") or []
    projection = ", ".join(quote_identifier(c) for c in columns) if columns else "*"
    sql = f"SELECT {projection} FROM {quote_identifier(table)}"
    params: list[Any] = []
    conditions = []
    for column, value in (spec.get("where") or {}).items():
        if isinstance(value, list | tuple | set):
            if not value:
                raise ValueError(f"the filter on {column!r} lists no values")
            conditions.append(f"{quote_identifier(column)} IN ({', '.join(['%s'] * len(value))})")
            params.extend(value)
        elif value is None:
            conditions.append(f"{quote_identifier(column)} IS NULL")
        else:
            conditions.append(f"{quote_identifier(column)} = %s")
            params.append(value)
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    if spec.get("order_by"):
        sql += " ORDER BY " + ", ".join(quote_identifier(c) for c in spec["order_by"])
    if spec.get("limit") is not None:
        limit = spec["limit"]
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"limit must be a non-negative whole number, got {limit!r}")
        sql += f" LIMIT {limit}"
    return sql, params
    # END SOLUTION


def read_with_data_api(
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    database: str,
    cluster_identifier: str | None = None,
    workgroup_name: str | None = None,
    db_user: str | None = None,
    secret_arn: str | None = None,
    timeout_s: float = 300.0,
    poll_s: float = 0.25,
) -> pd.DataFrame:
    """Run a query through the Redshift Data API (no driver, no open connection) into pandas.

    ``:name`` placeholders in ``sql`` are bound from ``params``; the statement runs
    asynchronously, so it is polled until it finishes, fails, or ``timeout_s`` passes.
    """
    # BEGIN SOLUTION
    target: dict[str, Any] = {"Database": database}
    for key, value in (
        ("ClusterIdentifier", cluster_identifier),
        ("WorkgroupName", workgroup_name),
        ("DbUser", db_user),
        ("SecretArn", secret_arn),
    ):
        if value is not None:
            target[key] = value
    if params:
        target["Parameters"] = [{"name": k, "value": str(v)} for k, v in params.items()]
    client = boto3.client("redshift-data")
    statement_id = client.execute_statement(Sql=sql, **target)["Id"]
    deadline = time.monotonic() + timeout_s
    while True:
        described = client.describe_statement(Id=statement_id)
        if described["Status"] == "FINISHED":
            break
        if described["Status"] in ("FAILED", "ABORTED"):
            raise RedshiftError(described.get("Error") or f"statement {described['Status']}")
        if time.monotonic() > deadline:
            client.cancel_statement(Id=statement_id)
            raise RedshiftError(f"statement {statement_id} did not finish in {timeout_s:g} s")
        time.sleep(poll_s)
    if not described.get("HasResultSet"):
        return pd.DataFrame()
    columns: list[str] = []
    rows: list[list[Any]] = []
    for page in client.get_paginator("get_statement_result").paginate(Id=statement_id):
        columns = columns or [column["name"] for column in page["ColumnMetadata"]]
        rows.extend([_field_value(field) for field in record] for record in page["Records"])
    return pd.DataFrame(rows, columns=columns)
    # END SOLUTION


def _field_value(field: Mapping[str, Any]) -> Any:
    """The Python value of one Data API result field."""
    if field.get("isNull"):
        return None
    for kind in ("longValue", "doubleValue", "booleanValue", "stringValue", "blobValue"):
        if kind in field:
            return field[kind]
    return None


TRAINING_TABLE = "churn_training"
ACTIVITY_VIEW = "mv_activity_28d"


def prepare_redshift_training(ingest: RedshiftIngest, s3_prefix: str) -> tuple[pd.DataFrame, str]:
    """Build the training table in Redshift, stage it to S3; return ``(df, s3_uri)``."""
    # TODO: Lab 6.2.2 - ETL Task Mapping
    # WHERE: this function's SQL steps.
    # WHAT:  ingest methods map SQL to ETL tasks: pre_aggregate() rolls daily activity up per
    #        customer; a materialized view stores that roll-up (REFRESH keeps it current);
    #        CTAS joins it to the customers into churn_training, distributed and sorted on
    #        customer_id so the join stays on each slice.
    # WHY:   the warehouse does the heavy set work where the data lives; only the result
    #        leaves it. In BigQuery: the same CTAS, a materialized view, and clustering.
    # BEGIN SOLUTION
    rollup = ingest.pre_aggregate(
        "activity",
        keys=["customer_id"],
        measures={
            "active_days": "COUNT(DISTINCT activity_date)",
            "minutes_28d": "SUM(minutes_used)",
            "data_gb_28d": "SUM(data_gb)",
            "tickets_28d": "SUM(support_tickets)",
            "last_active": "MAX(activity_date)",
        },
    )
    ingest.create_materialized_view(ACTIVITY_VIEW, rollup)
    ingest.refresh_materialized_view(ACTIVITY_VIEW)
    ingest.ctas(
        TRAINING_TABLE,
        "SELECT c.customer_id, c.tenure_months, c.contract, c.internet_service, "
        "c.monthly_charges, c.support_calls, c.payment_method, "
        "NVL(a.active_days, 0) AS active_days, NVL(a.minutes_28d, 0) AS minutes_28d, "
        "NVL(a.data_gb_28d, 0) AS data_gb_28d, NVL(a.tickets_28d, 0) AS tickets_28d, "
        "c.churned "
        f"FROM customers c LEFT JOIN {ACTIVITY_VIEW} a ON a.customer_id = c.customer_id",
        distkey="customer_id",
        sortkey=["customer_id"],
    )
    # END SOLUTION

    # TODO: Lab 6.2.5 - Model Training Integration
    # WHERE: the return of prepare_redshift_training().
    # WHAT:  (df, s3_uri): the table in memory for a notebook or a small trainer, and one CSV
    #        with a header staged in S3 for an orchestrated trainer (Lab 6.1's train() reads it).
    # WHY:   in-memory is quick but bounded by one machine; a staged artifact is durable,
    #        shareable and what SageMaker (or Vertex AI) training jobs read.
    # BEGIN SOLUTION
    frame = _read_from_redshift(ingest, TRAINING_TABLE, {"order_by": ["customer_id"]})
    staged = stage_table_to_s3(
        ingest, TRAINING_TABLE, s3_prefix, fmt="CSV", parallel=False, header=True
    )
    return frame, staged.files[0]
    # END SOLUTION


@dataclass(frozen=True)
class PipelineTask:
    """One step of the ML pipeline, what it needs first, and how each orchestrator runs it."""

    name: str
    does: str
    depends_on: tuple[str, ...]
    aws: Mapping[str, str] = field(default_factory=dict)
    google_cloud: Mapping[str, str] = field(default_factory=dict)


def orchestration_hint_tasks() -> list[PipelineTask]:
    """The pipeline as a dependency graph, in an order that runs every task after its inputs."""
    # TODO: Lab 6.2.3 - Orchestration and Dependency Mapping
    # WHERE: this function.
    # WHAT:  extract -> transform -> stage -> train -> register, each with what it depends on and
    #        its task in Step Functions, Airflow and SageMaker Pipelines, and in Vertex AI
    #        Pipelines, Cloud Composer and Workflows.
    # WHY:   an orchestrator runs a DAG: the edges decide order, retries and what reruns after a
    #        failure; the mapping is the migration plan for each step.
    # BEGIN SOLUTION
    tasks = [
        PipelineTask(
            "extract",
            "COPY the raw customers and activity files from S3 into Redshift",
            (),
            aws={
                "step_functions": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement (COPY)",
                "airflow": "S3ToRedshiftOperator",
                "sagemaker_pipelines": "ProcessingStep running the COPY through the Data API",
            },
            google_cloud={
                "vertex_ai_pipelines": "BigqueryQueryJobOp (LOAD DATA)",
                "cloud_composer": "GCSToBigQueryOperator",
                "workflows": "googleapis.bigquery.v2.jobs.insert (load job)",
            },
        ),
        PipelineTask(
            "transform",
            "refresh the activity materialized view and rebuild churn_training with CTAS",
            ("extract",),
            aws={
                "step_functions": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement (CTAS)",
                "airflow": "RedshiftDataOperator",
                "sagemaker_pipelines": "ProcessingStep running the SQL through the Data API",
            },
            google_cloud={
                "vertex_ai_pipelines": "BigqueryQueryJobOp (CREATE TABLE AS SELECT)",
                "cloud_composer": "BigQueryInsertJobOperator",
                "workflows": "googleapis.bigquery.v2.jobs.query",
            },
        ),
        PipelineTask(
            "stage",
            "UNLOAD churn_training to S3 for the trainer",
            ("transform",),
            aws={
                "step_functions": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement (UNLOAD)",
                "airflow": "RedshiftToS3Operator",
                "sagemaker_pipelines": "ProcessingStep running the UNLOAD",
            },
            google_cloud={
                "vertex_ai_pipelines": "BigqueryQueryJobOp (EXPORT DATA)",
                "cloud_composer": "BigQueryToGCSOperator",
                "workflows": "googleapis.bigquery.v2.jobs.insert (extract job)",
            },
        ),
        PipelineTask(
            "train",
            "fit the churn model on the staged file (Lab 6.1's train())",
            ("stage",),
            aws={
                "step_functions": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                "airflow": "SageMakerTrainingOperator",
                "sagemaker_pipelines": "TrainingStep",
            },
            google_cloud={
                "vertex_ai_pipelines": "CustomTrainingJobOp",
                "cloud_composer": "CreateCustomTrainingJobOperator",
                "workflows": "googleapis.aiplatform.v1.projects.locations.customJobs.create",
            },
        ),
        PipelineTask(
            "register",
            "register the trained artifact in the model registry, pending approval",
            ("train",),
            aws={
                "step_functions": "arn:aws:states:::aws-sdk:sagemaker:createModelPackage",
                "airflow": "SageMakerRegisterModelVersionOperator",
                "sagemaker_pipelines": "ModelStep (register)",
            },
            google_cloud={
                "vertex_ai_pipelines": "ModelUploadOp",
                "cloud_composer": "UploadModelOperator",
                "workflows": "googleapis.aiplatform.v1.projects.locations.models.upload",
            },
        ),
    ]
    order = topological_order(tasks)
    by_name = {task.name: task for task in tasks}
    return [by_name[name] for name in order]
    # END SOLUTION


def topological_order(tasks: Iterable[PipelineTask]) -> list[str]:
    """Task names with every task after its dependencies; a cycle or unknown task raises."""
    tasks = list(tasks)
    names = [task.name for task in tasks]
    if len(set(names)) != len(names):
        raise ValueError(f"task names repeat: {names}")
    waiting = {task.name: set(task.depends_on) for task in tasks}
    for task, needs in waiting.items():
        unknown = needs - set(names)
        if unknown:
            raise ValueError(f"task {task!r} depends on unknown tasks {sorted(unknown)}")
    order: list[str] = []
    while waiting:
        ready = sorted(name for name, needs in waiting.items() if not needs - set(order))
        if not ready:
            raise ValueError(f"the tasks {sorted(waiting)} depend on each other in a cycle")
        for name in ready:
            order.append(name)
            del waiting[name]
    return order


def step_functions_definition(tasks: Sequence[PipelineTask]) -> dict[str, Any]:
    """An Amazon States Language skeleton that runs ``tasks`` in dependency order."""
    order = topological_order(tasks)
    by_name = {task.name: task for task in tasks}
    states: dict[str, Any] = {}
    for position, name in enumerate(order):
        state: dict[str, Any] = {"Type": "Task", "Comment": by_name[name].does}
        # The mapping reads "<resource ARN> (what it runs)": the ARN is the state's Resource.
        state["Resource"] = by_name[name].aws.get("step_functions", "").split(" ")[0]
        if position + 1 < len(order):
            state["Next"] = order[position + 1]
        else:
            state["End"] = True
        states[name] = state
    return {
        "Comment": "ML pipeline from orchestration_hint_tasks()",
        "StartAt": order[0],
        "States": states,
    }


def stage_table_to_s3(
    ingest: RedshiftIngest,
    table: str,
    s3_prefix: str,
    *,
    fmt: str = "PARQUET",
    parallel: bool = True,
    header: bool = False,
    allow_overwrite: bool = False,
) -> StagedData:
    """UNLOAD ``table`` to files under ``s3_prefix``: the cluster writes them itself."""
    # TODO: Lab 6.2.4 - Data Movement and Performance Considerations
    # WHERE: stage_table_to_s3() and quick_sample_pipeline() below.
    # WHAT:  UNLOAD has every slice write its own files to S3 in parallel (PARALLEL ON), with
    #        a manifest listing them; the client-side path pulls every row through the client,
    #        serialises it there and uploads one object.
    # WHY:   UNLOAD moves data inside AWS at cluster speed and scales with slices; the client
    #        path is simple for samples but bounded by one machine and its network (egress
    #        when the client is outside the region). BigQuery's EXPORT DATA is UNLOAD's twin.
    # BEGIN SOLUTION
    started = time.perf_counter()
    rows = ingest.unload(
        f"SELECT * FROM {quote_identifier(table)}",
        s3_prefix,
        fmt=fmt,
        parallel=parallel,
        header=header,
        manifest=True,
        allow_overwrite=allow_overwrite,
    )
    manifest = dat.get_handle(s3_prefix + "manifest").read_bytes()
    entries = json.loads(manifest)["entries"]
    files = tuple(entry["url"] for entry in entries)
    size = sum(entry.get("meta", {}).get("content_length", 0) for entry in entries)
    return StagedData(
        uri=s3_prefix,
        files=files,
        rows=rows,
        bytes=size,
        seconds=time.perf_counter() - started,
        method="unload",
    )
    # END SOLUTION


def quick_sample_pipeline(
    ingest: RedshiftIngest,
    table: str,
    s3_uri: str,
    *,
    fmt: str = "PARQUET",
    limit: int | None = None,
) -> StagedData:
    """Stage ``table`` (or its first ``limit`` rows) client-side: read it, write it, upload it."""
    # BEGIN SOLUTION
    started = time.perf_counter()
    spec = {"limit": limit} if limit is not None else {}
    frame = _read_from_redshift(ingest, table, spec)
    buffer = io.BytesIO()
    if _format(fmt) == "PARQUET":
        frame.to_parquet(buffer, index=False)
    else:
        frame.to_csv(buffer, index=False)
    dat.get_handle(s3_uri).write_bytes(buffer.getvalue())
    return StagedData(
        uri=s3_uri,
        files=(s3_uri,),
        rows=len(frame),
        bytes=len(buffer.getvalue()),
        seconds=time.perf_counter() - started,
        method="client-side",
        requests=1,
    )
    # END SOLUTION


@dataclass(frozen=True)
class ChecklistItem:
    """One thing to watch or pay for: where AWS shows it, its Google Cloud twin, the numbers."""

    kind: str  # "monitoring" or "cost"
    signal: str
    aws: str
    google_cloud: str
    measured: Mapping[str, float]

    @property
    def summary(self) -> str:
        """The measurements in words, e.g. ``rows=600, bytes=20820``."""
        return ", ".join(f"{name}={value:g}" for name, value in self.measured.items())


def teaching_checklist(
    ingest: RedshiftIngest, *, since_query_id: int, staged: Sequence[StagedData] = ()
) -> list[ChecklistItem]:
    """Monitoring signals and cost drivers, each with what this run measured after a query id."""

    # TODO: Lab 6.2.6 - Monitoring and Cost Trade-offs
    # WHERE: this function.
    # WHAT:  the signals (query time, rows loaded) and the cost drivers (bytes scanned, bytes
    #        unloaded, client-side transfer, cluster use), each measured from Redshift's SYS
    #        views (sys_query_history, sys_query_detail, sys_load_history, sys_unload_history)
    #        for the statements issued after ``since_query_id``, or from the staged uploads.
    # WHY:   a provisioned cluster bills node hours, Serverless RPU-seconds and BigQuery bytes
    #        scanned (or slots): the same pipeline costs differently after a migration.
    # BEGIN SOLUTION
    def totals(sql: str) -> dict[str, float]:
        row = ingest.read_sql(sql, [since_query_id]).iloc[0]
        return {name: float(value or 0) for name, value in row.items()}

    queries = totals(
        "SELECT count(*) AS statements, sum(elapsed_time) / 1000000.0 AS seconds, "
        "sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed "
        "FROM sys_query_history WHERE query_id > %s"
    )
    scanned = totals(
        "SELECT sum(input_rows) AS rows, sum(input_bytes) AS bytes "
        "FROM sys_query_detail WHERE step_name = 'scan' AND query_id > %s"
    )
    loaded = totals(
        "SELECT sum(loaded_rows) AS rows, sum(loaded_bytes) AS bytes "
        "FROM sys_load_history WHERE query_id > %s"
    )
    unloaded = totals(
        "SELECT sum(unloaded_rows) AS rows, sum(unloaded_files_count) AS files, "
        "sum(unloaded_files_size) AS bytes FROM sys_unload_history WHERE query_id > %s"
    )
    client = [s for s in staged if s.method == "client-side"]
    return [
        ChecklistItem(
            "monitoring",
            "query time",
            "SYS_QUERY_HISTORY elapsed_time; CloudWatch QueryDuration",
            "INFORMATION_SCHEMA.JOBS total_slot_ms; Cloud Monitoring",
            queries,
        ),
        ChecklistItem(
            "monitoring",
            "rows and bytes loaded",
            "SYS_LOAD_HISTORY loaded_rows, loaded_bytes",
            "INFORMATION_SCHEMA.JOBS for LOAD jobs (load jobs are free)",
            loaded,
        ),
        ChecklistItem(
            "cost",
            "bytes scanned",
            "SYS_QUERY_DETAIL input_bytes of scan steps; Serverless bills RPU-seconds",
            "INFORMATION_SCHEMA.JOBS total_bytes_billed; on-demand bills bytes scanned",
            scanned,
        ),
        ChecklistItem(
            "cost",
            "bytes unloaded to S3",
            "SYS_UNLOAD_HISTORY unloaded_files_size; S3 PUT requests and storage",
            "EXPORT DATA jobs; Cloud Storage operations and storage",
            unloaded,
        ),
        ChecklistItem(
            "cost",
            "client-side transfer (egress outside the region)",
            "data transfer out of AWS; the client's memory and network",
            "network egress; BigQuery Storage Read API",
            {"bytes": float(sum(s.bytes for s in client)), "uploads": float(len(client))},
        ),
        ChecklistItem(
            "cost",
            "cluster use",
            "CloudWatch CPUUtilization and PercentageDiskSpaceUsed; node hours",
            "slot utilisation of a reservation, or on-demand bytes",
            {"query_seconds": queries["seconds"]},
        ),
    ]
    # END SOLUTION
