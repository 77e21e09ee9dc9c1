"""BigQuery ML in the BigQuery sandbox, driven only through google-cloud-bigquery's real Client.

Every exchange is checked on the wire against BigQuery's discovery document, as in
``test_bigquery_sandbox.py``: responses fit their method's schema, errors the error envelope.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import bigquery

from tests.bigquery_wire import (
    PROJECT,
    RecordingSandbox,
    assert_wire_fits_discovery,
    client_for,
)

PENGUINS = "bigquery-public-data.ml_datasets.penguins"
# The workshop's three statements, exactly as it writes them.
WORKSHOP_SCHEMA = "CREATE SCHEMA penguins"
WORKSHOP_MODEL = (
    "CREATE OR REPLACE MODEL penguins OPTIONS(model_type='DNN_CLASSIFIER', labels=['species']) "
    "AS SELECT * FROM `bigquery-public-data.ml_datasets.penguins`"
)
WORKSHOP_EVALUATE = "SELECT * FROM ML.EVALUATE(MODEL penguins) ORDER BY roc_auc DESC LIMIT 1"
# A small table: numbers, a category, a boolean, a numeric and a string label.
SMALL = """
SELECT x1, x2, colour, x1 + 0.5 * x2 + IF(colour = 'red', 1.0, 0.0) AS amount,
       x1 + 0.5 * x2 > 0.2 AS bought,
       IF(x1 > 0.5, 'gold', IF(x1 > -0.5, 'silver', 'bronze')) AS tier
FROM (
  SELECT MOD(n * 37, 101) / 50.0 - 1.0 AS x1, MOD(n * 53, 97) / 48.0 - 1.0 AS x2,
         ['red', 'green', 'blue'][OFFSET(MOD(n, 3))] AS colour
  FROM UNNEST(GENERATE_ARRAY(1, 120)) AS n
)
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RecordingSandbox]:
    with RecordingSandbox(bigquery_ml=True) as running:
        yield running


@pytest.fixture(scope="module")
def client(sandbox: RecordingSandbox) -> Iterator[bigquery.Client]:
    with client_for(sandbox) as real_client:
        yield real_client


@pytest.fixture(autouse=True)
def _responses_fit_the_discovery_document(sandbox: RecordingSandbox) -> Iterator[None]:
    sandbox.reset()
    sandbox.wire.clear()
    yield
    assert_wire_fits_discovery(sandbox)


@pytest.fixture
def lab(client: bigquery.Client) -> bigquery.Dataset:
    return client.create_dataset("lab")


def in_dataset(dataset: str) -> bigquery.QueryJobConfig:
    return bigquery.QueryJobConfig(default_dataset=f"{PROJECT}.{dataset}")


def rows_of(client: bigquery.Client, sql: str, **config: Any) -> list[dict[str, Any]]:
    job_config = bigquery.QueryJobConfig(**config) if config else None
    return [dict(row.items()) for row in client.query(sql, job_config=job_config).result()]


def train(client: bigquery.Client, name: str, options: str, query: str = SMALL) -> Any:
    job = client.query(f"CREATE MODEL {name} OPTIONS({options}) AS {query}")
    job.result()
    return job


# The workshop


def test_the_workshops_statements_run_as_written_with_the_label_option_corrected(client):
    client.query(WORKSHOP_SCHEMA).result()
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query(WORKSHOP_MODEL, job_config=in_dataset("penguins")).result()
    assert caught.value.errors[0]["message"] == (
        "Option labels value has type ARRAY<STRING> which cannot be coerced to expected type "
        "ARRAY<STRUCT<STRING, STRING>> at [1:78]"
    )
    assert caught.value.errors[0]["reason"] == "invalidQuery"
    corrected = WORKSHOP_MODEL.replace("labels=", "input_label_cols=")
    job = client.query(corrected, job_config=in_dataset("penguins"))
    job.result()
    assert (job.statement_type, job.ddl_operation_performed) == ("CREATE_MODEL", "CREATE")
    statistics = job._properties["statistics"]["query"]
    assert statistics["mlStatistics"]["modelType"] == "DNN_CLASSIFIER"
    assert statistics["mlStatistics"]["iterationResults"][0]["index"] == 0
    assert statistics["referencedTables"] == [
        {"projectId": "bigquery-public-data", "datasetId": "ml_datasets", "tableId": "penguins"}
    ]
    frame = client.query(WORKSHOP_EVALUATE, job_config=in_dataset("penguins")).to_dataframe()
    assert list(frame.columns) == [
        "precision",
        "recall",
        "accuracy",
        "f1_score",
        "log_loss",
        "roc_auc",
    ]
    assert len(frame) == 1 and frame["accuracy"][0] > 0.85
    again = client.query(corrected, job_config=in_dataset("penguins"))
    again.result()
    assert again.ddl_operation_performed == "REPLACE"
    same = client.query(WORKSHOP_EVALUATE, job_config=in_dataset("penguins")).to_dataframe()
    assert same.to_dict() == frame.to_dict()  # a fixed seed: the same model, the same metrics


def test_a_one_part_model_name_needs_a_default_dataset(client):
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query(WORKSHOP_EVALUATE).result()
    assert (
        'Model name "penguins" missing dataset while no default dataset is set in the request.'
        in caught.value.message
    )


# Model types on small data


def test_logistic_regression_trains_evaluates_and_predicts(client, lab):
    train(client, "lab.buyer", "model_type='LOGISTIC_REG', input_label_cols=['bought']")
    (evaluation,) = rows_of(client, "SELECT * FROM ML.EVALUATE(MODEL lab.buyer)")
    assert set(evaluation) == {"precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc"}
    assert evaluation["accuracy"] > 0.8
    predicted = rows_of(
        client,
        "SELECT predicted_bought, predicted_bought_probs, bought FROM "
        f"ML.PREDICT(MODEL lab.buyer, ({SMALL})) LIMIT 5",
    )
    assert len(predicted) == 5
    probs = predicted[0]["predicted_bought_probs"]
    assert [p["label"] for p in probs] == [True, False]
    assert sum(p["prob"] for p in probs) == pytest.approx(1.0)
    assert isinstance(predicted[0]["predicted_bought"], bool)


def test_linear_regression_trains_evaluates_and_predicts(client, lab):
    train(client, "lab.spend", "model_type='LINEAR_REG', input_label_cols=['amount']")
    (evaluation,) = rows_of(client, "SELECT * FROM ML.EVALUATE(MODEL lab.spend)")
    assert evaluation["r2_score"] > 0.99 and evaluation["mean_absolute_error"] < 0.05
    client.query(f"CREATE TABLE lab.fresh AS {SMALL} LIMIT 4").result()
    rows = rows_of(
        client, "SELECT predicted_amount, amount FROM ML.PREDICT(MODEL lab.spend, TABLE lab.fresh)"
    )
    assert len(rows) == 4
    for row in rows:
        assert row["predicted_amount"] == pytest.approx(row["amount"], abs=0.1)


def test_boosted_trees_classify_three_classes(client, lab):
    train(
        client,
        "lab.tiers",
        "model_type='BOOSTED_TREE_CLASSIFIER', input_label_cols=['tier'], max_iterations=5",
        f"SELECT x1, x2, colour, tier FROM ({SMALL})",
    )
    (evaluation,) = rows_of(client, "SELECT accuracy, roc_auc FROM ML.EVALUATE(MODEL lab.tiers)")
    assert evaluation["accuracy"] > 0.9
    (row,) = rows_of(
        client,
        "SELECT predicted_tier, ARRAY_LENGTH(predicted_tier_probs) AS classes FROM "
        "ML.PREDICT(MODEL lab.tiers, (SELECT 0.9 AS x1, 0.0 AS x2, 'red' AS colour))",
    )
    assert row == {"predicted_tier": "gold", "classes": 3}


def test_kmeans_clusters_and_assigns_centroids(client, lab):
    train(
        client,
        "lab.groups",
        "model_type='KMEANS', num_clusters=3",
        f"SELECT x1, x2 FROM ({SMALL})",
    )
    (evaluation,) = rows_of(client, "SELECT * FROM ML.EVALUATE(MODEL lab.groups)")
    assert set(evaluation) == {"davies_bouldin_index", "mean_squared_distance"}
    rows = rows_of(
        client,
        "SELECT CENTROID_ID, NEAREST_CENTROIDS_DISTANCE FROM ML.PREDICT(MODEL lab.groups, "
        "(SELECT 0.1 AS x1, 0.2 AS x2)) ",
    )
    assert rows[0]["CENTROID_ID"] in (1, 2, 3)
    distances = rows[0]["NEAREST_CENTROIDS_DISTANCE"]
    assert distances[0]["CENTROID_ID"] == rows[0]["CENTROID_ID"]
    assert [d["DISTANCE"] for d in distances] == sorted(d["DISTANCE"] for d in distances)


# Result schemas, ML.TRAINING_INFO


def test_predict_types_its_columns_as_bigquery_does(client, lab):
    train(client, "lab.buyer", "model_type='LOGISTIC_REG', input_label_cols=['bought']")
    job = client.query(
        f"SELECT * FROM ML.PREDICT(MODEL `{PROJECT}.lab.buyer`, ({SMALL})) WHERE x1 > 0"
    )
    rows = list(job.result())
    schema = [(f.name, f.field_type, f.mode) for f in job.result().schema]
    assert schema[:3] == [
        ("predicted_bought", "BOOLEAN", "NULLABLE"),
        ("predicted_bought_probs", "RECORD", "REPEATED"),
        ("x1", "FLOAT", "NULLABLE"),
    ]
    probs = job.result().schema[1]
    assert [(f.name, f.field_type) for f in probs.fields] == [
        ("label", "BOOLEAN"),
        ("prob", "FLOAT"),
    ]
    assert rows and all(row["x1"] > 0 for row in rows)
    assert [n for n, *_ in schema[2:]] == ["x1", "x2", "colour", "amount", "bought", "tier"]


def test_training_info_has_a_row_per_iteration(client, lab):
    train(client, "lab.buyer", "model_type='LOGISTIC_REG', input_label_cols=['bought']")
    job = client.query(
        "SELECT * FROM ML.TRAINING_INFO(MODEL lab.buyer) ORDER BY iteration", job_config=None
    )
    rows = [dict(r.items()) for r in job.result()]
    assert [f.name for f in job.result().schema] == [
        "training_run",
        "iteration",
        "loss",
        "eval_loss",
        "learning_rate",
        "duration_ms",
    ]
    assert [r["iteration"] for r in rows] == list(range(len(rows)))
    assert rows[-1]["loss"] < rows[0]["loss"]
    assert [f.field_type for f in job.result().schema][:2] == ["INTEGER", "INTEGER"]


# The Models API and DROP MODEL


def test_models_are_read_listed_patched_and_deleted(client, lab):
    train(client, "lab.buyer", "model_type='LOGISTIC_REG', input_label_cols=['bought']")
    train(client, "lab.spend", "model_type='LINEAR_REG', input_label_cols=['amount']")
    model = client.get_model("lab.buyer")
    assert (model.model_type, model.location) == ("LOGISTIC_REGRESSION", "US")
    assert [c.name for c in model.label_columns] == ["bought"]
    assert [c.name for c in model.feature_columns] == ["x1", "x2", "colour", "amount", "tier"]
    assert len(model.training_runs) == 1
    assert [m.model_id for m in client.list_models("lab")] == ["buyer", "spend"]
    model.description = "Who buys"
    model.labels = {"team": "mlops"}
    updated = client.update_model(model, ["description", "labels"])
    assert (updated.description, updated.labels) == ("Who buys", {"team": "mlops"})
    client.delete_model("lab.spend")
    assert [m.model_id for m in client.list_models("lab")] == ["buyer"]
    with pytest.raises(exceptions.NotFound) as caught:
        client.get_model("lab.spend")
    assert f"Not found: Model {PROJECT}:lab.spend" in caught.value.message


def test_drop_model_and_a_dataset_holding_models(client, lab):
    train(client, "lab.buyer", "model_type='LOGISTIC_REG', input_label_cols=['bought']")
    with pytest.raises(exceptions.BadRequest) as caught:
        client.delete_dataset("lab")
    assert "is still in use" in caught.value.message
    job = client.query("DROP MODEL lab.buyer")
    job.result()
    assert (job.statement_type, job.ddl_operation_performed) == ("DROP_MODEL", "DROP")
    skipped = client.query("DROP MODEL IF EXISTS lab.buyer")
    skipped.result()
    assert skipped.ddl_operation_performed == "SKIP"
    with pytest.raises(exceptions.NotFound):
        client.query("DROP MODEL lab.buyer").result()
    train(client, "lab.buyer", "model_type='LOGISTIC_REG', input_label_cols=['bought']")
    client.delete_dataset("lab", delete_contents=True)
    client.create_dataset("lab")
    assert list(client.list_models("lab")) == []


# Errors


def test_an_unknown_model_is_not_found(client, lab):
    with pytest.raises(exceptions.NotFound) as caught:
        client.query("SELECT * FROM ML.EVALUATE(MODEL lab.nothing)").result()
    assert f"Not found: Model {PROJECT}:lab.nothing" in caught.value.message


def test_an_existing_model_is_replaced_only_when_asked(client, lab):
    options = "model_type='LOGISTIC_REG', input_label_cols=['bought']"
    train(client, "lab.buyer", options)
    with pytest.raises(exceptions.Conflict) as caught:
        train(client, "lab.buyer", options)
    assert f"Already Exists: Model {PROJECT}:lab.buyer" in caught.value.message
    job = client.query(f"CREATE MODEL IF NOT EXISTS lab.buyer OPTIONS({options}) AS {SMALL}")
    job.result()
    assert job.ddl_operation_performed == "SKIP"


def test_bad_options_and_a_missing_label_are_invalid_queries(client, lab):
    with pytest.raises(exceptions.BadRequest) as caught:
        train(client, "lab.m", "model_type='LOGISTIC_REG', foo=1")
    assert "Unknown option: foo" in caught.value.message
    with pytest.raises(exceptions.BadRequest) as caught:
        train(client, "lab.m", "model_type='LOGISTIC_REG'")
    assert "Unable to identify the label column" in caught.value.message
    assert caught.value.errors[0]["reason"] == "invalidQuery"


def test_export_model_without_cloud_storage_is_refused_by_name(client, lab):
    train(client, "lab.buyer", "model_type='LOGISTIC_REG', input_label_cols=['bought']")
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query("EXPORT MODEL lab.buyer OPTIONS(URI = 'gs://bucket/buyer')").result()
    assert "EXPORT MODEL is not supported by the BigQuery sandbox without Cloud Storage" in (
        caught.value.message
    )


def test_query_and_wait_trains_and_evaluates_through_jobs_query(client, lab):
    created = client.query_and_wait(
        f"CREATE OR REPLACE MODEL lab.buyer OPTIONS(model_type='LOGISTIC_REG', "
        f"input_label_cols=['bought']) AS {SMALL}"
    )
    assert list(created) == []
    rows = client.query_and_wait(
        "SELECT ROUND(accuracy, 6) AS accuracy FROM ML.EVALUATE(MODEL buyer, "
        f"(SELECT * FROM ({SMALL}) WHERE colour = 'red'))",
        job_config=in_dataset("lab"),
    )
    (row,) = [dict(r.items()) for r in rows]
    assert 0.5 < row["accuracy"] <= 1.0


def test_a_dry_run_trains_nothing_and_types_the_function_result(client, lab):
    dry = bigquery.QueryJobConfig(dry_run=True)
    options = "model_type='LOGISTIC_REG', input_label_cols=['bought']"
    client.query(f"CREATE MODEL lab.buyer OPTIONS({options}) AS {SMALL}", job_config=dry)
    assert list(client.list_models("lab")) == []
    train(client, "lab.buyer", options)
    job = client.query("SELECT * FROM ML.EVALUATE(MODEL lab.buyer)", job_config=dry)
    assert [f.name for f in job.schema][:2] == ["precision", "recall"]
