"""EXPORT MODEL and model extract jobs write a servable model to the Cloud Storage sandbox.

Driven through google-cloud-bigquery and google-cloud-storage only; every BigQuery exchange is
checked against the discovery document, as in tests/test_bigquery_sandbox.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from google.api_core import exceptions
from google.cloud import bigquery, storage

from mlops_labs.bigquery_ml import serving
from mlops_labs.cloud.gcs_sandbox import GcsSandbox
from tests.bigquery_wire import (
    PROJECT,
    RecordingSandbox,
    assert_wire_fits_discovery,
    client_for,
    storage_client_for,
)

BUCKET = "lab-models"
PENGUINS = "`bigquery-public-data.ml_datasets.penguins`"
FEATURES = ["island", "culmen_length_mm", "culmen_depth_mm", "flipper_length_mm"]
FEATURES += ["body_mass_g", "sex"]


@pytest.fixture(scope="module")
def gcs() -> Iterator[GcsSandbox]:
    with GcsSandbox() as running:
        yield running


@pytest.fixture(scope="module")
def sandbox(gcs: GcsSandbox) -> Iterator[RecordingSandbox]:
    with RecordingSandbox(bigquery_ml=True, storage=lambda: storage_client_for(gcs)) as running:
        yield running


@pytest.fixture(scope="module")
def client(sandbox: RecordingSandbox) -> Iterator[bigquery.Client]:
    with client_for(sandbox) as real_client:
        yield real_client


@pytest.fixture(scope="module")
def trained(client: bigquery.Client, sandbox: RecordingSandbox, gcs: GcsSandbox) -> None:
    # One model for the module: training is the slow part, exports are cheap.
    sandbox.reset()
    gcs.reset()
    client.create_dataset("lab")
    client.query_and_wait(
        "CREATE MODEL lab.penguins OPTIONS(model_type = 'DNN_CLASSIFIER', "
        f"input_label_cols = ['species']) AS SELECT * FROM {PENGUINS}"
    )


@pytest.fixture
def bucket(gcs: GcsSandbox, sandbox: RecordingSandbox, trained: None) -> Iterator[storage.Bucket]:
    existing = storage_client_for(gcs).lookup_bucket(BUCKET)
    if existing is not None:
        for blob in existing.list_blobs():
            blob.delete()
        existing.delete()
    sandbox.wire.clear()
    yield storage_client_for(gcs).create_bucket(BUCKET)
    assert_wire_fits_discovery(sandbox)


def names_in(bucket: storage.Bucket) -> list[str]:
    return sorted(blob.name for blob in bucket.list_blobs())


def test_export_model_writes_a_model_that_predicts_like_ml_predict(client, bucket):
    job = client.query(f"EXPORT MODEL lab.penguins OPTIONS(URI = 'gs://{BUCKET}/penguins/')")
    job.result()
    assert job.statement_type == "EXPORT_MODEL"
    assert names_in(bucket) == ["penguins/assets/model_metadata.json", "penguins/model.joblib"]

    metadata = json.loads(bucket.blob("penguins/assets/model_metadata.json").download_as_bytes())
    assert metadata["model_type"] == "DNN_CLASSIFIER" and metadata["label_col"] == "species"
    assert [f["name"] for f in metadata["features"]] == FEATURES

    model = serving.load(bucket.blob("penguins/model.joblib").download_as_bytes())
    rows = [
        dict(row.items())
        for row in client.query_and_wait(
            f"SELECT * FROM ML.PREDICT(MODEL lab.penguins, (SELECT * FROM {PENGUINS} LIMIT 5))"
        )
    ]
    instances = [{name: row[name] for name in FEATURES} for row in rows]
    predictions = model.predict(instances)
    assert [p["classes"][0] for p in predictions] == [r["predicted_species"] for r in rows]
    first = predictions[0]
    assert set(first) == {
        "all_class_ids", "all_classes", "class_ids", "classes", "logits", "probabilities",
    }  # fmt: skip
    assert first["all_class_ids"] == [0, 1, 2] and len(first["all_classes"]) == 3
    assert sum(first["probabilities"]) == pytest.approx(1.0)
    # The exported file carries no training rows.
    assert model.trained.evaluation_rows.empty


def test_the_clients_extract_job_exports_a_model_too(client, bucket):
    job = client.extract_table(
        f"{PROJECT}.lab.penguins", f"gs://{BUCKET}/by-job", source_type="Model"
    )
    job.result()
    assert job.job_type == "extract"
    assert names_in(bucket) == ["by-job/assets/model_metadata.json", "by-job/model.joblib"]


def test_a_failed_export_writes_nothing(client, bucket):
    with pytest.raises(exceptions.NotFound) as caught:
        client.query_and_wait("EXPORT MODEL lab.nothing OPTIONS(URI = 'gs://lab-models/x')")
    assert f"Not found: Model {PROJECT}:lab.nothing" in caught.value.message
    with pytest.raises(exceptions.NotFound) as caught:
        client.query_and_wait("EXPORT MODEL lab.penguins OPTIONS(URI = 'gs://no-bucket/x')")
    assert "Not found: Bucket no-bucket" in caught.value.message
    with pytest.raises(exceptions.BadRequest) as caught:
        client.query_and_wait("EXPORT MODEL lab.penguins OPTIONS(URI = 's3://lab-models/x')")
    assert "EXPORT MODEL requires OPTIONS(URI = 'gs://bucket/path')" in caught.value.message
    config = bigquery.ExtractJobConfig(destination_format="ML_XGBOOST_BOOSTER")
    with pytest.raises(exceptions.BadRequest) as caught:
        client.extract_table(
            f"{PROJECT}.lab.penguins", f"gs://{BUCKET}/x", source_type="Model", job_config=config
        ).result()
    assert "only boosted tree models can" in caught.value.message
    assert names_in(bucket) == []
