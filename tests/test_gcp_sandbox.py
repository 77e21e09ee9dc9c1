"""Offline Google Cloud: credentials without an account, Cloud Storage as the labs need it."""

from __future__ import annotations

import google.auth
import google.auth.transport.requests
import pytest
from google.api_core import exceptions
from google.cloud import storage

from mlops_labs.cloud.gcs_fixes import bucket_name_problem
from mlops_labs.labs import churn_data, dat, model


def test_application_default_credentials_work_offline(gcp):
    credentials, project = google.auth.default(
        scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    before = gcp.auth.token_requests
    credentials.refresh(google.auth.transport.requests.Request())
    assert project == gcp.project
    assert credentials.token and credentials.valid
    assert gcp.auth.token_requests == before + 1, "the token did not come from the sandbox"
    assert gcp.auth.key_file.stat().st_mode & 0o077 == 0, "the offline key is readable by others"


def test_buckets_keep_the_location_asked_for(gcp):
    client = storage.Client()
    created = client.create_bucket("churn-user19-tests-unique", location="us-east1")
    assert client.get_bucket(created.name).location == "US-EAST1"
    assert client.get_bucket(created.name).location_type == "region"
    with pytest.raises(exceptions.Conflict):
        client.create_bucket("churn-user19-tests-unique")


@pytest.mark.parametrize(
    "name", ["Churn_Bucket", "ab", "goog-models", "my-google-bucket", "1.2.3.4"]
)
def test_names_cloud_storage_refuses_are_refused(gcp, name):
    assert bucket_name_problem(name)
    with pytest.raises(exceptions.BadRequest, match=f"Invalid bucket name: '{name}'"):
        storage.Client().create_bucket(name)


def test_reset_empties_the_project(gcp):
    storage.Client().create_bucket("left-over-bucket")
    gcp.reset()
    assert list(storage.Client().list_buckets()) == []


def test_gs_handles_read_and_write_through_the_same_interface(gcp):
    storage.Client().create_bucket("dat-gs-tests")
    handle = dat.get_handle("gs://dat-gs-tests/rows/a.csv")
    assert not handle.exists()
    handle.write_bytes(b"x\n1\n")
    assert handle.exists()
    assert handle.read_csv().x.tolist() == [1]


def test_gs_missing_bucket_and_object_say_what_to_do(gcp):
    with pytest.raises(dat.NotFoundError, match="Cloud Storage bucket 'nowhere-bucket' does not"):
        dat.get_handle("gs://nowhere-bucket/k").read_bytes()
    with pytest.raises(
        dat.NotFoundError, match="gcloud storage buckets create gs://nowhere-bucket"
    ):
        dat.get_handle("gs://nowhere-bucket/k").check_writable()
    storage.Client().create_bucket("dat-gs-tests")
    with pytest.raises(dat.NotFoundError, match=r"no object at gs://dat-gs-tests/missing\.csv"):
        dat.get_handle("gs://dat-gs-tests/missing.csv").read_bytes()


def test_the_lab_6_1_trainer_persists_to_cloud_storage_unchanged(gcp, tmp_path):
    """Lab 6.4's comparison with 6.1: the same storage handle carries the model to gs://."""
    storage.Client().create_bucket("churn-models-gs")
    data = tmp_path / "customers.csv"
    churn_data.make_customers(200).to_csv(data, index=False)
    run = model.train(str(data), "gs://churn-models-gs/models/churn/")
    assert run.artifact.uri == f"gs://churn-models-gs/models/churn/{run.artifact_name}"
    stored = dat.get_handle(run.artifact.uri).read_bytes()
    assert len(stored) == run.artifact.size_bytes
    assert run.model_package_arn is None, "a gs:// run must not touch the SageMaker registry"
