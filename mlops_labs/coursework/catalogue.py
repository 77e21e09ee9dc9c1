"""The workshop's labs and tasks as data: ids, titles, and the WHERE / WHAT / WHY of each."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnknownTask


@dataclass(frozen=True)
class Task:
    """One lab task: its marker sits in ``file`` inside ``function`` (None: at module level)."""

    id: str
    title: str
    file: str
    function: str | None
    where: str
    what: str
    why: str
    kind: str = "code"  # "code": learners write it; "reading": learners explain it

    @property
    def tag(self) -> str:
        """The Gherkin tag and pytest marker that name this task, e.g. ``lab_6_1_4``."""
        return "lab_" + self.id.replace(".", "_")

    @property
    def marker(self) -> str:
        """The comment learners search for."""
        return f"# TODO: Lab {self.id} - {self.title}"

    @property
    def lab_id(self) -> str:
        """The id of the lab this task belongs to."""
        return self.id.rsplit(".", 1)[0]


@dataclass(frozen=True)
class Lab:
    """One lab of the workshop and its tasks, in order."""

    id: str
    title: str
    module: str
    tasks: tuple[Task, ...]

    @property
    def tag(self) -> str:
        """The Gherkin tag of the whole lab, e.g. ``lab_6_1``."""
        return "lab_" + self.id.replace(".", "_")


LAB_6_1 = Lab(
    id="6.1",
    title="S3 artifacts from an EC2/SageMaker trainer",
    module="model",
    tasks=(
        Task(
            "6.1.1",
            "Line-by-Line Import Exploration",
            "model.py",
            None,
            "Top of model.py imports",
            "Inspect joblib, boto3 references",
            "Understand which libraries enable local vs S3 persistence",
            kind="reading",
        ),
        Task(
            "6.1.2",
            "Execution Model Translation",
            "model.py",
            "train",
            "train() function signature and persistence branches",
            "Compare dat.get_handle() vs manual S3 upload",
            "Distinguish local dev vs orchestrated SageMaker workflows",
        ),
        Task(
            "6.1.3",
            "Parameter and Artifact Evolution",
            "model.py",
            "_select_features",
            "_select_features() and artifact naming logic",
            "Observe feature selection rules and artifact naming conventions",
            "Understand reproducibility and artifact compatibility",
        ),
        Task(
            "6.1.4",
            "S3 Data Loading Conversion",
            "model.py",
            "_s3_persist",
            "_s3_persist() function",
            "Inspect boto3.upload_file usage",
            "Learn durable storage and IAM/cost implications",
        ),
        Task(
            "6.1.5",
            "Artifact Persistence and Model Registry Integration",
            "model.py",
            "train",
            "Branch where model_path starts with s3://",
            "Inspect local temp file -> S3 upload pattern",
            "Understand registry integration and artifact governance",
        ),
        Task(
            "6.1.6",
            "Logging and Metrics Evolution",
            "model.py",
            "train",
            "End of train() function",
            "Inspect LOG.info statements for elapsed time, feature count, artifact path",
            "Understand structured logging for reproducibility and monitoring",
        ),
    ),
)

LAB_6_2 = Lab(
    id="6.2",
    title="Redshift in an ML pipeline",
    module="ingest_model",
    tasks=(
        Task(
            "6.2.1",
            "Data Access Pattern Conversion",
            "ingest_model.py",
            "_read_from_redshift",
            "_read_from_redshift() function",
            "Inspect select_sql_from_dict or pd.read_sql usage",
            "Understand Redshift -> DataFrame conversion patterns",
        ),
        Task(
            "6.2.2",
            "ETL Task Mapping",
            "ingest_model.py",
            "prepare_redshift_training",
            "prepare_redshift_training() function",
            "Inspect ingest_obj methods and SQL transformations",
            "Map SQL queries to ETL tasks",
        ),
        Task(
            "6.2.3",
            "Orchestration and Dependency Mapping",
            "ingest_model.py",
            "orchestration_hint_tasks",
            "orchestration_hint_tasks() function",
            "Inspect documented task list (extract, transform, stage, train, register)",
            "Understand DAG dependencies and orchestration",
        ),
        Task(
            "6.2.4",
            "Data Movement and Performance Considerations",
            "ingest_model.py",
            "stage_table_to_s3",
            "stage_table_to_s3() and quick_sample_pipeline() functions",
            "Inspect UNLOAD vs client-side upload patterns",
            "Learn efficiency vs cost trade-offs",
        ),
        Task(
            "6.2.5",
            "Model Training Integration",
            "ingest_model.py",
            "prepare_redshift_training",
            "Return of prepare_redshift_training()",
            "Inspect (df, s3_uri) outputs",
            "Understand training consumption patterns (in-memory vs staged artifacts)",
        ),
        Task(
            "6.2.6",
            "Monitoring and Cost Trade-offs",
            "ingest_model.py",
            "teaching_checklist",
            "teaching_checklist() function",
            "Inspect listed monitoring signals and cost drivers",
            "Understand observability and economics of Redshift pipelines",
        ),
    ),
)

LAB_6_4 = Lab(
    id="6.4",
    title="Cloud Storage and Vertex AI set-up",
    module="vertex_setup",
    tasks=(
        Task(
            "6.4.1",
            "Install SDKs",
            "vertex_setup.py",
            "preflight",
            "preflight() function",
            "pip3 install --upgrade --quiet pyarrow google-cloud-aiplatform "
            "google-cloud-bigquery google-cloud-bigquery-storage db-dtypes",
            "Enable Python environment to interact with Vertex AI and BigQuery",
        ),
        Task(
            "6.4.2",
            "Authenticate Environment",
            "vertex_setup.py",
            "authenticate",
            "authenticate() function",
            "auth.authenticate_user() (Colab only)",
            "Ensure secure access to GCP resources",
        ),
        Task(
            "6.4.3",
            "Set Project Information",
            "vertex_setup.py",
            "project_info",
            "project_info() function",
            'PROJECT_ID = "...", LOCATION = "us-east1"',
            "Required for all GCP API calls",
        ),
        Task(
            "6.4.4",
            "Create Cloud Storage Bucket",
            "vertex_setup.py",
            "create_bucket",
            "create_bucket() function",
            'BUCKET_URI = f"gs://churn-user19-{PROJECT_ID}-unique"; gsutil mb -l {LOCATION}',
            "Buckets store datasets and exported models",
        ),
        Task(
            "6.4.5",
            "Configure Service Account",
            "vertex_setup.py",
            "service_account",
            "service_account() function",
            'SERVICE_ACCOUNT = "vertex-pipeline-executor@..."',
            "Service accounts provide secure, auditable access",
        ),
        Task(
            "6.4.6",
            "Initialize SDKs",
            "vertex_setup.py",
            "init_sdks",
            "init_sdks() function",
            "aiplatform.init(project=PROJECT_ID, staging_bucket=BUCKET_URI); "
            "bqclient = bigquery.Client(project=PROJECT_ID)",
            "Required for pipeline jobs and queries",
        ),
    ),
)

LAB_6_5 = Lab(
    id="6.5",
    title="BigQuery ML",
    module="bqml",
    tasks=(
        Task(
            "6.5.1",
            "Create BigQuery Dataset",
            "bqml.py",
            "create_dataset",
            "create_dataset() function",
            "CREATE SCHEMA penguins",
            "Organize tables and models in BigQuery",
        ),
        Task(
            "6.5.2",
            "Train BigQuery ML Model",
            "bqml.py",
            "create_model_sql",
            "create_model_sql() and train_model() functions",
            "CREATE OR REPLACE MODEL penguins OPTIONS(model_type='DNN_CLASSIFIER', "
            "input_label_cols=['species']) AS SELECT * FROM "
            "`bigquery-public-data.ml_datasets.penguins`",
            "Learn SQL-based training",
        ),
        Task(
            "6.5.3",
            "Evaluate Model",
            "bqml.py",
            "evaluate_model",
            "evaluate_model() function",
            "SELECT * FROM ML.EVALUATE(MODEL penguins) ORDER BY roc_auc DESC LIMIT 1",
            "Validate model performance",
        ),
        Task(
            "6.5.4",
            "Export Model to Cloud Storage",
            "bqml.py",
            "export_model",
            "export_model() function",
            "EXPORT MODEL penguins.penguins OPTIONS(URI = 'gs://BUCKET/models/penguins/')",
            "Exported models can be uploaded to Vertex AI for deployment",
        ),
        Task(
            "6.5.5",
            "Register in Vertex AI Model Registry",
            "bqml.py",
            "register_model",
            "register_model() function",
            "aiplatform.Model.upload(display_name=, artifact_uri=, serving_container_image_uri=)",
            "Versioned, discoverable models: SageMaker's model registry on Google Cloud",
        ),
        Task(
            "6.5.6",
            "Deploy and Predict",
            "bqml.py",
            "deploy_and_predict",
            "deploy_and_predict() function",
            "model.deploy(endpoint=...); endpoint.predict(instances=[...]); undeploy and delete",
            "Online serving from the registry, torn down after use",
        ),
    ),
)

LABS: tuple[Lab, ...] = (LAB_6_1, LAB_6_2, LAB_6_4, LAB_6_5)


def all_tasks() -> tuple[Task, ...]:
    """Every task of every lab, in course order."""
    return tuple(task for lab in LABS for task in lab.tasks)


def task(task_id: str) -> Task:
    """The task with ``task_id`` (e.g. ``6.1.4``)."""
    for candidate in all_tasks():
        if candidate.id == task_id:
            return candidate
    raise UnknownTask(f"unknown task '{task_id}': valid tasks are {_ids(all_tasks())}")


def select(ids: list[str] | tuple[str, ...]) -> tuple[Task, ...]:
    """The tasks named by lab ids (``6.1``) or task ids (``6.1.4``); all of them for none."""
    if not ids:
        return all_tasks()
    chosen: list[Task] = []
    for wanted in ids:
        text = wanted.strip().removeprefix("lab_").replace("_", ".")
        lab = next((lab for lab in LABS if lab.id == text), None)
        found = lab.tasks if lab else tuple(t for t in all_tasks() if t.id == text)
        if not found:
            raise UnknownTask(
                f"unknown lab or task '{wanted}': valid labs are {_ids(LABS)}, "
                f"valid tasks are {_ids(all_tasks())}"
            )
        chosen.extend(t for t in found if t not in chosen)
    return tuple(chosen)


def _ids(items: tuple[Lab, ...] | tuple[Task, ...]) -> str:
    return ", ".join(item.id for item in items)
