"""Lab 6.5 — BigQuery ML: train a model in SQL, evaluate it, then serve it from Vertex AI.

The workshop's three statements, run through the official BigQuery client: the model trains
where the data lives, no export, no training cluster, just a query job. Then the integration
the workshop names ("exported models can be uploaded to Vertex AI for deployment"): export to
Cloud Storage, register in the Vertex AI Model Registry, deploy to an endpoint and predict.
Vertex AI calls use the defaults ``aiplatform.init`` set (Lab 6.4.6).
"""

from __future__ import annotations

from typing import Any

from google.cloud import aiplatform, bigquery

PENGUINS_TABLE = "bigquery-public-data.ml_datasets.penguins"
# Public datasets live in the US multi-region, and a query reads one location only: the
# dataset that holds the model must be in the US too (us-east1 would fail to see the data).
DATA_LOCATION = "US"
# BigQuery exports DNN models as TensorFlow SavedModels: Vertex AI serves them with its
# prebuilt TensorFlow container (a boosted tree export needs BigQuery ML's XGBoost one).
SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-15:latest"


def create_dataset(client: bigquery.Client, dataset: str = "penguins") -> bigquery.Dataset:
    """``CREATE SCHEMA penguins``: the dataset that holds the model (kept if it exists)."""
    # TODO: Lab 6.5.1 - Create BigQuery Dataset
    # WHERE: this function.
    # WHAT:  CREATE SCHEMA (BigQuery's DDL for a dataset) in the data's location, IF NOT EXISTS
    #        so a rerun keeps it; the client's get_dataset shows what was made.
    # WHY:   datasets organise tables and models, and carry their location and access; like a
    #        Redshift schema, but also the unit of IAM and of data location.
    # BEGIN SOLUTION
    client.query_and_wait(
        f"CREATE SCHEMA IF NOT EXISTS `{client.project}.{dataset}` "
        f"OPTIONS(location = '{DATA_LOCATION}')",
        location=DATA_LOCATION,
    )
    return client.get_dataset(f"{client.project}.{dataset}")
    # END SOLUTION


def create_model_sql(dataset: str = "penguins", model: str = "penguins") -> str:
    """The CREATE MODEL statement of Lab 6.5.2, as BigQuery ML takes it."""
    # TODO: Lab 6.5.2 - Train BigQuery ML Model
    # WHERE: this function and train_model() below.
    # WHAT:  CREATE OR REPLACE MODEL ... OPTIONS(model_type='DNN_CLASSIFIER',
    #        input_label_cols=['species']) AS SELECT * FROM the public penguins table. The
    #        workshop's text writes labels=['species']: in BigQuery ML `labels` are resource
    #        labels (key/value pairs), and BigQuery refuses that statement; the label column
    #        option is input_label_cols.
    # WHY:   SQL-based training: BigQuery splits the data, preprocesses the columns and trains
    #        where the data lives (compare Redshift ML's CREATE MODEL, or exporting to SageMaker).
    # BEGIN SOLUTION
    return (
        f"CREATE OR REPLACE MODEL `{dataset}.{model}`\n"
        "OPTIONS(model_type = 'DNN_CLASSIFIER', input_label_cols = ['species'])\n"
        f"AS SELECT * FROM `{PENGUINS_TABLE}`"
    )
    # END SOLUTION


def train_model(
    client: bigquery.Client, dataset: str = "penguins", model: str = "penguins"
) -> bigquery.Model:
    """Run the CREATE MODEL query job and return the trained model's resource."""
    # BEGIN SOLUTION
    client.query_and_wait(create_model_sql(dataset, model), location=DATA_LOCATION)
    return client.get_model(f"{client.project}.{dataset}.{model}")
    # END SOLUTION


def evaluate_model(
    client: bigquery.Client, dataset: str = "penguins", model: str = "penguins"
) -> dict[str, Any]:
    """``SELECT * FROM ML.EVALUATE(MODEL ...) ORDER BY roc_auc DESC LIMIT 1`` as a dict."""
    # TODO: Lab 6.5.3 - Evaluate Model
    # WHERE: this function.
    # WHAT:  ML.EVALUATE scores the model on the evaluation split BigQuery kept aside: precision,
    #        recall, accuracy, f1_score, log_loss and roc_auc (macro-averaged for the three
    #        species); the workshop's ORDER BY roc_auc DESC LIMIT 1 keeps the best row.
    #        Penguins has under 500 rows, so AUTO_SPLIT kept none aside and these are scores on
    #        the training rows: add DATA_SPLIT_METHOD='RANDOM' to see held-out numbers.
    # WHY:   a model is only as good as its evaluation on data it did not train on; these are
    #        the numbers a registry entry or a deployment decision quotes.
    # BEGIN SOLUTION
    rows = list(
        client.query_and_wait(
            f"SELECT * FROM ML.EVALUATE(MODEL `{dataset}.{model}`) ORDER BY roc_auc DESC LIMIT 1",
            location=DATA_LOCATION,
        )
    )
    if not rows:
        raise LookupError(f"ML.EVALUATE returned no row for model {dataset}.{model}")
    return dict(rows[0].items())
    # END SOLUTION


def export_model(
    client: bigquery.Client, bucket_uri: str, dataset: str = "penguins", model: str = "penguins"
) -> str:
    """``EXPORT MODEL`` to ``<bucket_uri>/models/<model>/``; the folder's URI."""
    if not bucket_uri.startswith("gs://") or len(bucket_uri.rstrip("/")) <= len("gs://"):
        raise ValueError(
            f"bucket_uri {bucket_uri!r} is not a Cloud Storage bucket: pass gs://<bucket>, the "
            "bucket made in Lab 6.4.4"
        )
    # TODO: Lab 6.5.4 - Export Model to Cloud Storage
    # WHERE: this function.
    # WHAT:  EXPORT MODEL `dataset.model` OPTIONS(URI = 'gs://<bucket>/models/<model>/') as a
    #        query job; BigQuery writes the model files under that folder (a TensorFlow
    #        SavedModel for a DNN; the sandbox writes model.joblib, see docs/sandboxes.md).
    # WHY:   a model inside BigQuery answers ML.PREDICT in SQL; exported, it is a file any
    #        serving stack can load: the same artifact story as Lab 6.1's model in S3.
    # BEGIN SOLUTION
    destination = f"{bucket_uri.rstrip('/')}/models/{model}/"
    client.query_and_wait(
        f"EXPORT MODEL `{dataset}.{model}` OPTIONS(URI = '{destination}')",
        location=DATA_LOCATION,
    )
    return destination
    # END SOLUTION


def register_model(
    artifact_uri: str,
    display_name: str = "penguins",
    parent_model: str | None = None,
) -> aiplatform.Model:
    """Upload the exported model to the Vertex AI Model Registry (a new version of a parent)."""
    # TODO: Lab 6.5.5 - Register in Vertex AI Model Registry
    # WHERE: this function.
    # WHAT:  aiplatform.Model.upload(display_name=, artifact_uri=<the export folder>,
    #        serving_container_image_uri=SERVING_IMAGE, labels={"source": "bigquery-ml"});
    #        with parent_model= the upload becomes that model's next version, and
    #        is_default_version=True moves the "default" alias to it.
    # WHY:   the registry is where models are versioned, labelled and found (SageMaker's model
    #        package group + package in Lab 6.1.5); deployment starts from a registered version.
    # BEGIN SOLUTION
    return aiplatform.Model.upload(
        display_name=display_name,
        artifact_uri=artifact_uri,
        serving_container_image_uri=SERVING_IMAGE,
        parent_model=parent_model,
        is_default_version=True,
        labels={"source": "bigquery-ml"},
    )
    # END SOLUTION


def deploy_and_predict(
    model: aiplatform.Model,
    instances: list[dict[str, Any]],
    machine_type: str = "n1-standard-2",
) -> list[dict[str, Any]]:
    """Deploy to a new endpoint, predict ``instances``, then undeploy and delete the endpoint."""
    # TODO: Lab 6.5.6 - Deploy and Predict
    # WHERE: this function.
    # WHAT:  aiplatform.Endpoint.create(display_name=...), model.deploy(endpoint=,
    #        machine_type=, min_replica_count=1, max_replica_count=1), endpoint.predict(
    #        instances=[{column: value}, ...]).predictions; in a finally block
    #        endpoint.undeploy_all() and endpoint.delete(), so nothing is left running.
    # WHY:   an endpoint is online serving you pay for per node-hour while a model is deployed
    #        (a SageMaker endpoint's twin): always tear it down, even when predict fails.
    # BEGIN SOLUTION
    endpoint = aiplatform.Endpoint.create(display_name=f"{model.display_name}-endpoint")
    try:
        model.deploy(
            endpoint=endpoint,
            machine_type=machine_type,
            min_replica_count=1,
            max_replica_count=1,
        )
        return [dict(p) for p in endpoint.predict(instances=instances).predictions]
    finally:
        endpoint.undeploy_all()
        endpoint.delete()
    # END SOLUTION
