"""The Lab 6.1 trainer beyond its scenarios: failures leave nothing half-done behind."""

from __future__ import annotations

import tempfile

import boto3
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from mlops_labs.labs import churn_data, dat, model

BUCKET = "model-tests"


@pytest.fixture
def customers_csv(tmp_path):
    path = tmp_path / "customers.csv"
    churn_data.make_customers(200).to_csv(path, index=False)
    return path


@pytest.fixture
def bucket(aws):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    return BUCKET


def _keys() -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET)
    return [item["Key"] for item in listing.get("Contents", [])]


def test_the_data_set_is_the_same_for_the_same_seed():
    pd.testing.assert_frame_equal(churn_data.make_customers(50), churn_data.make_customers(50))
    assert not churn_data.make_customers(50).equals(churn_data.make_customers(50, seed=8))


def test_the_data_set_needs_enough_rows():
    with pytest.raises(ValueError, match="at least 20"):
        churn_data.make_customers(5)


def test_a_corrupted_upload_is_removed_and_reported(bucket, tmp_path, monkeypatch):
    local = tmp_path / "m.joblib"
    local.write_bytes(b"model bytes")
    monkeypatch.setattr(model, "_remote_sha256", lambda s3, location: "0" * 64)
    with pytest.raises(model.ArtifactIntegrityError, match="S3 holds different bytes"):
        model._s3_persist(local, f"s3://{bucket}/models/m.joblib")
    assert _keys() == []


def test_a_multipart_checksum_is_verified_from_the_stored_bytes(bucket, tmp_path):
    local = tmp_path / "m.joblib"
    local.write_bytes(b"model bytes")
    s3 = boto3.client("s3")
    s3.upload_file(str(local), bucket, "m.joblib")
    location = dat.parse_uri(f"s3://{bucket}/m.joblib")
    assert model._remote_sha256(s3, location) == model._sha256_file(local)


def test_a_failed_registration_removes_the_uploaded_artifact(
    bucket, customers_csv, tmp_path, monkeypatch
):
    staging = tmp_path / "staging"
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))

    def refuse(*args, **kwargs):
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "no"}}, "CreateModelPackage"
        )

    monkeypatch.setattr(model, "_register_model_package", refuse)
    with pytest.raises(ClientError):
        model.train(str(customers_csv), f"s3://{bucket}/models/")
    assert _keys() == []
    assert list(staging.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is not a readable CSV"),
        ("a,churned\n1,0\n2,0\n", "needs exactly two classes, found 1"),
        ("a,b\n1,0\n", "has no label column 'churned'; its columns are: a, b"),
    ],
)
def test_unusable_training_data_is_refused(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(model.DataError, match=message):
        model.train(str(path), str(tmp_path / "models"))
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_data_with_nothing_but_identifiers_is_refused():
    frame = pd.DataFrame({"customer_id": ["a", "b"], "churned": [0, 1]})
    with pytest.raises(model.DataError, match="no usable feature columns"):
        model._select_features(frame, "churned")


def test_different_data_gives_a_different_artifact_name(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    churn_data.make_customers(100).to_csv(first, index=False)
    churn_data.make_customers(100, seed=9).to_csv(second, index=False)
    name_a = model.train(str(first), str(tmp_path / "m")).artifact_name
    name_b = model.train(str(second), str(tmp_path / "m")).artifact_name
    assert name_a != name_b


def test_scoring_data_without_the_features_is_refused(customers_csv, tmp_path):
    run = model.train(str(customers_csv), str(tmp_path / "models"))
    thin = tmp_path / "thin.csv"
    pd.DataFrame({"customer_id": ["x"]}).to_csv(thin, index=False)
    with pytest.raises(model.DataError, match="lacks columns: tenure_months"):
        model.predict(run.artifact.uri, str(thin), str(tmp_path / "out.csv"))
    assert not (tmp_path / "out.csv").exists()


def test_a_region_without_a_known_image_is_refused(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-2")
    monkeypatch.setenv("AWS_REGION", "ap-south-2")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    with pytest.raises(dat.StorageError, match="no SageMaker scikit-learn image known for region"):
        model._sklearn_image()
