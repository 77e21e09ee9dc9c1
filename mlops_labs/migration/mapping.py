"""Each AWS pattern the labs use, its Google Cloud equivalent, and the API calls on both sides.

One row per pattern, as data: the syllabus shows every row, the Lab 6.2.6 checklist names the
same places to watch (a scenario checks that they agree), and ``mlops-labs translate`` turns the
warehouse rows' SQL from one side into the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import KitError


@dataclass(frozen=True)
class Side:
    """One cloud's side of a pattern: the service (or where a signal shows) and its API calls."""

    service: str
    calls: tuple[str, ...]


@dataclass(frozen=True)
class Pattern:
    """An AWS pattern of the labs and its Google Cloud equivalent."""

    key: str
    area: str  # one of AREAS
    what: str
    aws: Side
    google_cloud: Side
    tasks: tuple[str, ...]
    note: str = ""


class UnknownPattern(KitError):
    """A pattern key the mapping does not hold."""


# Areas in the order the syllabus shows them; "monitoring" and "cost" are the 6.2.6 checklist.
AREAS = (
    "storage",
    "registry",
    "metrics",
    "warehouse",
    "orchestration",
    "identity",
    "monitoring",
    "cost",
)

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "object-upload",
        "storage",
        "Upload a model artifact or a data file, integrity checked",
        Side(
            "Amazon S3",
            (
                'boto3.client("s3").upload_file(Filename, Bucket, Key, '
                'ExtraArgs={"ChecksumAlgorithm": "SHA256"})',
            ),
        ),
        Side(
            "Cloud Storage",
            (
                "storage.Client().bucket(BUCKET).blob(KEY)"
                '.upload_from_filename(FILENAME, checksum="crc32c")',
            ),
        ),
        ("6.1.4", "6.4.4"),
        "s3://bucket/key becomes gs://bucket/key; both verify the bytes they store.",
    ),
    Pattern(
        "model-registry",
        "registry",
        "Register a trained model version that points at its artifact",
        Side(
            "SageMaker Model Registry",
            (
                "sagemaker.create_model_package_group(ModelPackageGroupName=...)",
                "sagemaker.create_model_package(ModelPackageGroupName=..., "
                "InferenceSpecification=..., ModelApprovalStatus='PendingManualApproval')",
            ),
        ),
        Side(
            "Vertex AI Model Registry",
            (
                "aiplatform.Model.upload(display_name=..., artifact_uri='gs://...', "
                "serving_container_image_uri=..., parent_model=...)",
            ),
        ),
        ("6.1.5", "6.5.5"),
        "Package group / package / approval status line up with model / version / alias.",
    ),
    Pattern(
        "training-metrics",
        "metrics",
        "Publish a training run's metrics",
        Side(
            "CloudWatch, SageMaker metrics",
            ("cloudwatch.put_metric_data(Namespace=..., MetricData=[...])",),
        ),
        Side(
            "Cloud Monitoring, Vertex AI metrics",
            (
                "monitoring_v3.MetricServiceClient().create_time_series(name=..., "
                "time_series=[...])",
                "aiplatform.log_metrics({...})",
            ),
        ),
        ("6.1.6",),
        "aiplatform.log_metrics records into a Vertex AI Experiments run; the run's structured "
        "log record carries the same numbers on either cloud.",
    ),
    Pattern(
        "warehouse-read",
        "warehouse",
        "Read warehouse rows into a DataFrame for a trainer",
        Side(
            "Redshift over a driver, or the Redshift Data API",
            (
                "pd.read_sql(sql, engine, params=...)",
                "redshift_data.execute_statement(Sql=..., Database=...); "
                "describe_statement(Id=...); get_statement_result(Id=...)",
            ),
        ),
        Side(
            "BigQuery jobs API",
            (
                "bigquery.Client().query(sql, job_config=bigquery.QueryJobConfig("
                "query_parameters=[...])).to_dataframe()",
                "jobs.query; jobs.getQueryResults (REST)",
            ),
        ),
        ("6.2.1",),
        "Both take bound parameters; the Data API and the jobs API need no open connection.",
    ),
    Pattern(
        "warehouse-load",
        "warehouse",
        "Bulk-load files from object storage into a table",
        Side(
            "Redshift COPY",
            ("COPY t FROM 's3://bucket/prefix/' IAM_ROLE '...' FORMAT AS CSV IGNOREHEADER 1",),
        ),
        Side(
            "BigQuery LOAD DATA (a load job)",
            (
                "LOAD DATA INTO dataset.t FROM FILES (format = 'CSV', "
                "uris = ['gs://bucket/prefix/*'], skip_leading_rows = 1)",
                "bigquery.Client().load_table_from_uri('gs://bucket/prefix/*', 'dataset.t', ...)",
            ),
        ),
        ("6.2.3", "6.2.4"),
        "COPY loads every object under a prefix; the wildcard does the same. Load jobs are free.",
    ),
    Pattern(
        "warehouse-unload",
        "warehouse",
        "Write a query's rows to files in object storage",
        Side(
            "Redshift UNLOAD",
            ("UNLOAD ('SELECT ...') TO 's3://bucket/prefix_' IAM_ROLE '...' FORMAT AS PARQUET",),
        ),
        Side(
            "BigQuery EXPORT DATA",
            (
                "EXPORT DATA OPTIONS (uri = 'gs://bucket/prefix_*.parquet', format = 'PARQUET') "
                "AS SELECT ...",
                "bigquery.Client().extract_table('dataset.t', 'gs://bucket/prefix_*.parquet')",
            ),
        ),
        ("6.2.4", "6.2.5"),
        "The warehouse writes the files itself, in parallel; BigQuery writes no manifest.",
    ),
    Pattern(
        "ctas",
        "warehouse",
        "Build a training table from a query, laid out for its joins and filters",
        Side(
            "Redshift CREATE TABLE AS",
            ("CREATE TABLE t DISTKEY (k) SORTKEY (k) AS SELECT ...",),
        ),
        Side(
            "BigQuery CREATE TABLE AS",
            ("CREATE TABLE dataset.t CLUSTER BY k AS SELECT ...",),
        ),
        ("6.2.2",),
        "Distribution and sort keys give way to clustering (at most 4 columns) and partitioning.",
    ),
    Pattern(
        "materialized-view",
        "warehouse",
        "Keep a pre-aggregation stored and current",
        Side(
            "Redshift materialized views",
            ("CREATE MATERIALIZED VIEW mv AS SELECT ...", "REFRESH MATERIALIZED VIEW mv"),
        ),
        Side(
            "BigQuery materialized views",
            (
                "CREATE MATERIALIZED VIEW dataset.mv AS SELECT ...",
                "CALL BQ.REFRESH_MATERIALIZED_VIEW('dataset.mv')",
            ),
        ),
        ("6.2.2",),
        "BigQuery refreshes on its own; aggregates it cannot maintain incrementally "
        "(COUNT(DISTINCT) among them) need allow_non_incremental_definition and max_staleness.",
    ),
    Pattern(
        "orchestration",
        "orchestration",
        "Run the pipeline's steps as a dependency graph",
        Side(
            "Step Functions, Airflow (MWAA), SageMaker Pipelines",
            (
                "stepfunctions.create_state_machine(name=..., definition=..., roleArn=...)",
                "airflow.DAG(...) of S3ToRedshiftOperator, RedshiftDataOperator, "
                "SageMakerTrainingOperator",
                "sagemaker.workflow.pipeline.Pipeline(steps=[...]).upsert(role_arn=...)",
            ),
        ),
        Side(
            "Vertex AI Pipelines, Cloud Composer, Workflows",
            (
                "aiplatform.PipelineJob(display_name=..., template_path=...).submit()",
                "airflow.DAG(...) in Cloud Composer, of GCSToBigQueryOperator, "
                "BigQueryInsertJobOperator, CreateCustomTrainingJobOperator",
                "workflows_v1.WorkflowsClient().create_workflow(...); "
                "executions_v1.ExecutionsClient().create_execution(...)",
            ),
        ),
        ("6.2.3",),
        "Each step (extract, transform, stage, train, register) has a task in every orchestrator.",
    ),
    Pattern(
        "service-identity",
        "identity",
        "The identity a job runs as, and what it may touch",
        Side(
            "IAM roles",
            (
                "iam.create_role(RoleName=..., AssumeRolePolicyDocument=...); "
                "iam.attach_role_policy(...)",
                "COPY ... IAM_ROLE 'arn:aws:iam::ACCOUNT:role/NAME'",
            ),
        ),
        Side(
            "Service accounts with IAM roles",
            (
                "projects.serviceAccounts.create; projects.setIamPolicy(... "
                "roles/bigquery.dataEditor, roles/storage.objectViewer ...)",
                "aiplatform.init(service_account=...)",
            ),
        ),
        ("6.4.5",),
        "Jobs act with the roles of their identity, not the user's; BigQuery loads and exports "
        "read and write Cloud Storage as the identity running them.",
    ),
    # The Lab 6.2.6 checklist: what to watch and what costs money, and where each shows.
    Pattern(
        "query time",
        "monitoring",
        "How long queries take",
        Side(
            "SYS_QUERY_HISTORY elapsed_time; CloudWatch QueryDuration",
            ("SELECT elapsed_time FROM sys_query_history WHERE query_id > ...",),
        ),
        Side(
            "INFORMATION_SCHEMA.JOBS total_slot_ms; Cloud Monitoring",
            (
                "SELECT total_slot_ms, end_time - start_time "
                "FROM `region-us`.INFORMATION_SCHEMA.JOBS",
            ),
        ),
        ("6.2.6",),
    ),
    Pattern(
        "rows and bytes loaded",
        "monitoring",
        "What each load brought in",
        Side(
            "SYS_LOAD_HISTORY loaded_rows, loaded_bytes",
            ("SELECT loaded_rows, loaded_bytes FROM sys_load_history",),
        ),
        Side(
            "INFORMATION_SCHEMA.JOBS for LOAD jobs (load jobs are free)",
            ("SELECT * FROM `region-us`.INFORMATION_SCHEMA.JOBS WHERE job_type = 'LOAD'",),
        ),
        ("6.2.6",),
    ),
    Pattern(
        "bytes scanned",
        "cost",
        "The data queries read",
        Side(
            "SYS_QUERY_DETAIL input_bytes of scan steps; Serverless bills RPU-seconds",
            ("SELECT input_bytes FROM sys_query_detail WHERE step_name = 'scan'",),
        ),
        Side(
            "INFORMATION_SCHEMA.JOBS total_bytes_billed; on-demand bills bytes scanned",
            ("SELECT total_bytes_billed FROM `region-us`.INFORMATION_SCHEMA.JOBS",),
        ),
        ("6.2.6",),
    ),
    Pattern(
        "bytes unloaded to S3",
        "cost",
        "The files the warehouse writes to object storage",
        Side(
            "SYS_UNLOAD_HISTORY unloaded_files_size; S3 PUT requests and storage",
            ("SELECT unloaded_files_size FROM sys_unload_history",),
        ),
        Side(
            "EXPORT DATA jobs; Cloud Storage operations and storage",
            (
                "SELECT * FROM `region-us`.INFORMATION_SCHEMA.JOBS "
                "WHERE statement_type = 'EXPORT_DATA'",
            ),
        ),
        ("6.2.6",),
    ),
    Pattern(
        "client-side transfer (egress outside the region)",
        "cost",
        "Rows pulled through a client and uploaded by it",
        Side(
            "data transfer out of AWS; the client's memory and network",
            ("pd.read_sql(...); s3.put_object(...)",),
        ),
        Side(
            "network egress; BigQuery Storage Read API",
            ("client.query(...).to_dataframe(); blob.upload_from_string(...)",),
        ),
        ("6.2.6",),
    ),
    Pattern(
        "cluster use",
        "cost",
        "The compute the warehouse keeps busy",
        Side(
            "CloudWatch CPUUtilization and PercentageDiskSpaceUsed; node hours",
            (
                "cloudwatch.get_metric_statistics(Namespace='AWS/Redshift', "
                "MetricName='CPUUtilization', ...)",
            ),
        ),
        Side(
            "slot utilisation of a reservation, or on-demand bytes",
            ("SELECT SUM(total_slot_ms) FROM `region-us`.INFORMATION_SCHEMA.JOBS",),
        ),
        ("6.2.6",),
    ),
)


def pattern(key: str) -> Pattern:
    """The pattern named ``key`` (for the checklist, the signal's name, e.g. ``query time``)."""
    for candidate in PATTERNS:
        if candidate.key == key:
            return candidate
    known = ", ".join(p.key for p in PATTERNS)
    raise UnknownPattern(f"the migration mapping has no pattern {key!r}: it has {known}")


def by_area(area: str) -> tuple[Pattern, ...]:
    """The patterns of one area, in mapping order."""
    return tuple(p for p in PATTERNS if p.area == area)
