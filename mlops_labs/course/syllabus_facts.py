"""What the workshop text says about each lab, and the AWS -> Google Cloud rows, as data.

Transcribed from the workshop text (``workshop-phase2-data-services.txt``), whose copy lost the
spaces around inline code: they are put back here, nothing else is changed. What the text does
not say stays ``None`` and is rendered as not stated; no value here is made up.
"""

from __future__ import annotations

from dataclasses import dataclass

WORKSHOP = "workshop text"
NOT_STATED = "not stated in the workshop text"

# The en dash is the text's own.
WORKSHOP_TITLE = (
    "Machine Learning Operations Playbook Adoption Workshop \N{EN DASH} Phase 2: Data Services "
    "Integration Architecture - Hands-On Workshop"
)

WORKSHOP_OBJECTIVES = (
    "Review knowledge of Amazon S3 integration with SageMaker workflows",
    "Review knowledge of Amazon Redshift integration with ML pipelines",
    "Review how EC2/SageMaker models use S3 for artifact persistence and CSV/flat file "
    "input/output",
    "Review how Redshift pipelines use COPY/UNLOAD and SQL transformations for ML data preparation",
    "Prepare for migration by mapping AWS data service patterns to Google Cloud equivalents "
    "(Vertex AI, GCS, BigQuery)",
    "Practice searching for and interpreting # TODO: Lab 6.X.X.X.X markers in code files "
    "(model.py, ingest_model.py)",
)

WORKSHOP_PREREQUISITES = (
    "AWS Management Console access with SageMaker and Redshift permissions",
    "IAM role with AmazonSageMakerFullAccess, AmazonS3FullAccess, and Redshift query permissions",
    "Python 3.9+ environment with boto3, joblib, pandas, and psycopg2 or sqlalchemy installed",
    "Access to the GitHub Training Repo containing model.py and ingest_model.py files with "
    "embedded TODO markers",
    "Pre-created S3 bucket for input/output artifacts and Redshift cluster with sample schema",
)

# The text gives these after Lab 6.2 and before Lab 6.4, under no lab of its own.
GOOGLE_CLOUD_OBJECTIVES = (
    "Understand Cloud Storage integration with Vertex AI workflows",
    "Learn how BigQuery ML can train models directly using SQL",
)

GOOGLE_CLOUD_PREREQUISITES = (
    "GCP project with Vertex AI, BigQuery, and Cloud Storage enabled",
    "Service account with Storage Admin, BigQuery Admin, and Vertex AI Admin roles",
    "Python 3.9+ environment with google-cloud-aiplatform, google-cloud-bigquery, "
    "google-cloud-storage installed",
    "Access to BigQuery public datasets (e.g., Penguins dataset)",
    "GitHub Training Repo containing starter notebook code",
)

WORKSHOP_SUMMARY = (
    "Lab 6.5 teaches BigQuery ML integration with Vertex AI, mirroring Redshift + AWS ML workflows",
    "Both labs use the scavenger hunt style with # TODO anchors, guiding learners to record "
    "WHERE, WHAT, and WHY for each integration step.",
)

# Tasks the workshop text lists; the catalogue's others (6.5.4-6.5.6) are the kit's own tasks
# for the integration the text names.
WORKSHOP_TASK_IDS = frozenset(
    [f"6.1.{n}" for n in range(1, 7)]
    + [f"6.2.{n}" for n in range(1, 7)]
    + [f"6.4.{n}" for n in range(1, 7)]
    + [f"6.5.{n}" for n in range(1, 4)]
)

WORKSHOP_INTEGRATION = (
    "BigQuery ML → Cloud Storage → Vertex AI Model Registry → Endpoint deployment"
)


@dataclass(frozen=True)
class LabFacts:
    """A lab as the workshop text describes it; ``None`` where the text says nothing."""

    difficulty: str | None
    tools: str | None
    objectives: tuple[str, ...]
    prerequisites: tuple[str, ...]
    duration: str | None = None  # the text gives no lab a duration


LAB_FACTS: dict[str, LabFacts] = {
    "6.1": LabFacts(
        difficulty="Introductory Review",
        tools="GitHub Training Repo (model.py)",
        objectives=(
            "Review how ML models running on EC2 or SageMaker use S3 for artifacts",
            "Identify boto3 usage patterns for uploading/downloading models and data",
            "Understand local staging → S3 upload → SageMaker registry integration",
            "Explore logging and metrics evolution from print/MLflow → CloudWatch/SageMaker "
            "metrics",
        ),
        prerequisites=(
            "AWS account with SageMaker Studio or Notebook access",
            "IAM role with AmazonSageMakerFullAccess and AmazonS3FullAccess",
            "Python 3.9+ environment with boto3 and joblib installed",
            "Access to model.py in the GitHub Training Repo",
        ),
    ),
    "6.2": LabFacts(
        difficulty="Introductory Review",
        tools="GitHub Training Repo (ingest_model.py)",
        objectives=(
            "Review Redshift ingestion/extraction patterns (COPY, UNLOAD, Data API)",
            "Identify ETL task mapping (CTAS, materialized views, pre-aggregation)",
            "Understand orchestration and dependency mapping (Step Functions, Airflow, "
            "SageMaker Pipelines)",
            "Explore data movement and performance considerations (distribution/sort keys, "
            "compression, cluster sizing)",
            "Review model training integration with Redshift outputs staged to S3 or streamed "
            "via Data API",
            "Discuss monitoring and cost trade-offs",
        ),
        prerequisites=(
            "AWS account with Redshift cluster access",
            "IAM role with AmazonRedshiftFullAccess and AmazonS3FullAccess",
            "Python 3.9+ environment with psycopg2 or sqlalchemy installed",
            "Access to ingest_model.py in the GitHub Training Repo",
        ),
    ),
    "6.4": LabFacts(
        difficulty="Intermediate",
        tools="Google Cloud Console, Cloud Storage, Vertex AI SDK for Python",
        objectives=(
            "Install and configure Vertex AI and BigQuery SDKs",
            "Authenticate and set up project information",
            "Create and configure a Cloud Storage bucket for ML artifacts",
            "Assign service accounts for pipeline execution",
            "Initialize Vertex AI SDK with Cloud Storage staging bucket",
            "Compare Cloud Storage integration to Amazon S3 workflows from Lab 6.1",
        ),
        prerequisites=(
            "GCP project with Vertex AI and Cloud Storage enabled",
            "Service account with Storage Admin and Vertex AI Admin roles",
            "Python environment with required SDKs installed",
        ),
    ),
    "6.5": LabFacts(
        difficulty="Intermediate to Advanced",
        tools="Google Cloud Console, BigQuery, Vertex AI SDK for Python",
        objectives=(
            "Train ML models directly in BigQuery using SQL",
            "Evaluate BigQuery ML models with SQL functions",
        ),
        prerequisites=(
            "GCP project with BigQuery and Vertex AI enabled",
            "Service account with BigQuery Admin and Vertex AI Admin roles",
            "Python environment with required SDKs installed",
            "Access to BigQuery public datasets (e.g., Penguins dataset)",
        ),
    ),
}

UNKNOWN_LAB = LabFacts(difficulty=None, tools=None, objectives=(), prerequisites=())


def lab_facts(lab_id: str) -> LabFacts:
    """What the workshop text says about lab ``lab_id`` (nothing, for a lab it does not have)."""
    return LAB_FACTS.get(lab_id, UNKNOWN_LAB)


@dataclass(frozen=True)
class Source:
    """Where a comparison row comes from: the workshop text or a project file, and its words."""

    origin: str  # WORKSHOP, or a path relative to the project root
    quote: str


@dataclass(frozen=True)
class Counterpart:
    """One AWS service or pattern, its Google Cloud counterpart, and the tasks that show it."""

    aws: str
    google_cloud: str
    note: str
    tasks: tuple[str, ...]
    sources: tuple[Source, ...]
    unsourced: str | None = None  # what the row says that neither the text nor the labs do


_INGEST = "mlops_labs/labs/ingest_model.py"
_BQML = "mlops_labs/labs/bqml.py"
_SETUP = "mlops_labs/labs/vertex_setup.py"

COUNTERPARTS: tuple[Counterpart, ...] = (
    Counterpart(
        "Amazon S3",
        "Cloud Storage",
        "The durable store of data files and model artifacts: s3:// URIs become gs:// URIs, "
        "and the Lab 6.1 trainer writes to either through the same storage handle.",
        ("6.1.4", "6.4.4"),
        (
            Source(
                WORKSHOP,
                "Cloud Storage replaces S3 in AWS workflows, but the integration pattern is "
                "nearly identical",
            ),
            Source(
                WORKSHOP, "Compare Cloud Storage integration to Amazon S3 workflows from Lab 6.1"
            ),
            Source(
                "features/lab_6_4_vertex_setup.feature",
                "pipelines pass gs:// URIs between steps, as S3 URIs do on AWS",
            ),
            Source(
                "features/lab_6_4_vertex_setup.feature",
                "The Lab 6.1 trainer persists to the bucket through the same storage handle",
            ),
        ),
    ),
    Counterpart(
        "SageMaker Model Registry (model package group, model package, approval status)",
        "Vertex AI Model Registry (model, version, version alias)",
        "Each registers a model file kept in its cloud's storage and numbers the first version "
        "1; SageMaker holds a new version for manual approval, Vertex AI marks it default.",
        ("6.1.5", "6.5.5"),
        (
            Source(WORKSHOP, WORKSHOP_INTEGRATION),
            Source(
                "mlops_labs/coursework/catalogue.py",
                "Versioned, discoverable models: SageMaker's model registry on Google Cloud",
            ),
            Source(
                "features/lab_6_5_bqml.feature",
                "SageMaker holds its version for manual approval, where Vertex AI marks its "
                'version "default"',
            ),
        ),
    ),
    Counterpart(
        "SageMaker endpoints",
        "Vertex AI endpoints",
        "Online serving, paid for while a model is deployed: deploy, predict, then undeploy "
        "and delete.",
        ("6.5.6",),
        (
            Source(WORKSHOP, "Exported models can be uploaded to Vertex AI for deployment"),
            Source(
                _BQML,
                "an endpoint is online serving you pay for per node-hour while a model is "
                "deployed (a SageMaker endpoint's twin)",
            ),
        ),
    ),
    Counterpart(
        "Amazon Redshift",
        "BigQuery",
        "The warehouse where ML data is prepared in SQL: CTAS and materialized views carry "
        "over; distribution and sort keys give way to clustering.",
        ("6.2.2", "6.5.1"),
        (
            Source(
                WORKSHOP,
                "Prepare for migration by mapping AWS data service patterns to Google Cloud "
                "equivalents (Vertex AI, GCS, BigQuery)",
            ),
            Source(_INGEST, "In BigQuery: the same CTAS, a materialized view, and clustering."),
        ),
    ),
    Counterpart(
        "Redshift schema",
        "BigQuery dataset",
        "Organises tables and models; a dataset is also the unit of access and of data location.",
        ("6.5.1",),
        (
            Source(
                _BQML,
                "datasets organise tables and models, and carry their location and access; like "
                "a Redshift schema, but also the unit of IAM and of data location.",
            ),
        ),
    ),
    Counterpart(
        "Redshift COPY from S3",
        "BigQuery load jobs (LOAD DATA) from Cloud Storage",
        "Bulk loading of files into the warehouse: the pipeline's extract step.",
        ("6.2.3",),
        (
            Source(_INGEST, "COPY the raw customers and activity files from S3 into Redshift"),
            Source(_INGEST, '"vertex_ai_pipelines": "BigqueryQueryJobOp (LOAD DATA)"'),
        ),
    ),
    Counterpart(
        "Redshift UNLOAD to S3",
        "BigQuery EXPORT DATA to Cloud Storage",
        "The warehouse writes the files itself, in parallel, instead of every row passing "
        "through a client.",
        ("6.2.4",),
        (
            Source(
                WORKSHOP,
                "Review how Redshift pipelines use COPY/UNLOAD and SQL transformations for ML "
                "data preparation",
            ),
            Source(_INGEST, "BigQuery's EXPORT DATA is UNLOAD's twin."),
        ),
    ),
    Counterpart(
        "pd.read_sql over a Redshift connection, or the Redshift Data API",
        "The BigQuery client: client.query(...).to_dataframe()",
        "Warehouse rows into a DataFrame for a trainer.",
        ("6.2.1",),
        (
            Source(
                WORKSHOP,
                "Data access patterns include COPY from S3, UNLOAD to S3, and direct queries "
                "via JDBC/Data API.",
            ),
            Source(_INGEST, "BigQuery's client.query(...).to_dataframe() is the Google Cloud twin"),
        ),
    ),
    Counterpart(
        "Redshift ML / SageMaker training jobs",
        "BigQuery ML (CREATE MODEL in SQL); Vertex AI custom training jobs for a Python trainer",
        "BigQuery ML trains where the data lives, with no export and no training cluster; a "
        "Python trainer such as Lab 6.1's becomes a Vertex AI custom training job.",
        ("6.2.3", "6.5.2"),
        (
            Source(
                WORKSHOP,
                "Lab 6.5 teaches BigQuery ML integration with Vertex AI, mirroring Redshift + AWS "
                "ML workflows",
            ),
            Source(_BQML, "compare Redshift ML's CREATE MODEL, or exporting to SageMaker"),
            Source(_BQML, "the model trains where the data lives, no export, no training cluster"),
            Source(
                _INGEST, '"step_functions": "arn:aws:states:::sagemaker:createTrainingJob.sync"'
            ),
            Source(_INGEST, '"vertex_ai_pipelines": "CustomTrainingJobOp"'),
        ),
    ),
    Counterpart(
        "Step Functions, Airflow, SageMaker Pipelines",
        "Vertex AI Pipelines, Cloud Composer, Workflows",
        "Each pipeline step (extract, transform, stage, train, register) has a task in every "
        "orchestrator; the dependency graph decides order and reruns.",
        ("6.2.3",),
        (
            Source(
                WORKSHOP,
                "Understand orchestration and dependency mapping (Step Functions, Airflow, "
                "SageMaker Pipelines)",
            ),
            Source(
                "features/lab_6_2_redshift.feature",
                "every task names its Step Functions, Airflow and SageMaker Pipelines task",
            ),
            Source(
                "features/lab_6_2_redshift.feature",
                "every task names its Vertex AI Pipelines, Cloud Composer and Workflows task",
            ),
        ),
    ),
    Counterpart(
        "CloudWatch",
        "Cloud Monitoring, Cloud Logging",
        "Where run metrics, query time and cluster use are watched.",
        ("6.1.6", "6.2.6"),
        (
            Source(
                WORKSHOP,
                "Logging evolves from local print statements to CloudWatch metrics and "
                "SageMaker structured metrics.",
            ),
            Source(_INGEST, "SYS_QUERY_HISTORY elapsed_time; CloudWatch QueryDuration"),
            Source(_INGEST, "INFORMATION_SCHEMA.JOBS total_slot_ms; Cloud Monitoring"),
        ),
        unsourced="Cloud Logging",
    ),
    Counterpart(
        "IAM roles (the role a SageMaker job assumes)",
        "Service accounts, with roles granted to them",
        "Jobs act with the roles of their identity, not the user's: auditable, least privilege.",
        ("6.4.5",),
        (
            Source(WORKSHOP, "Service accounts provide secure, auditable access"),
            Source(WORKSHOP, "IAM role with AmazonSageMakerFullAccess and AmazonS3FullAccess"),
            Source(
                WORKSHOP,
                "Service account with Storage Admin, BigQuery Admin, and Vertex AI Admin roles",
            ),
            Source(
                _SETUP,
                "jobs act with the roles granted to this account, not yours: auditable and least "
                "privilege, like the IAM role a SageMaker job assumes.",
            ),
        ),
    ),
    Counterpart(
        "boto3's credential chain",
        "Application-default credentials (auth.authenticate_user() in Colab)",
        "What authorises every SDK call.",
        ("6.4.2",),
        (
            Source(
                _SETUP,
                "every Google Cloud call is authorised by these credentials, as boto3's "
                "credential chain authorises every AWS call in Labs 6.1 and 6.2.",
            ),
            Source(WORKSHOP, "auth.authenticate_user() (Colab only)"),
        ),
    ),
)
