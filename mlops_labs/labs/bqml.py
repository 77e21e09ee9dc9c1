"""Lab 6.5 — BigQuery ML: create a dataset, train a model in SQL, evaluate it, from Python.

The workshop's three statements, run through the official BigQuery client. The model trains
where the data lives: no export, no training cluster, just a query job.
"""

from __future__ import annotations

from typing import Any

from google.cloud import bigquery

PENGUINS_TABLE = "bigquery-public-data.ml_datasets.penguins"
# Public datasets live in the US multi-region, and a query reads one location only: the
# dataset that holds the model must be in the US too (us-east1 would fail to see the data).
DATA_LOCATION = "US"


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
