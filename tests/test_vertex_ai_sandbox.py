"""The Vertex AI sandbox, driven only through google-cloud-aiplatform with its REST transport.

Models are uploaded from the Cloud Storage sandbox, deployed to endpoints and asked for
predictions, as lab code does. Every response the SDK receives is also checked on the wire
against the aiplatform v1 discovery document (the one google-api-python-client ships): no
member the schema lacks, every member of its type; errors in the API's JSON error envelope.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import google.auth
import joblib
import pytest
from google.api_core import exceptions
from google.cloud import aiplatform, storage

from mlops_labs.cloud import aiplatform_state
from mlops_labs.cloud.discovery import DiscoveryDocument
from mlops_labs.cloud.environment import applied
from mlops_labs.cloud.gcp_sandbox import GoogleCloudSandbox
from mlops_labs.vertex_ai.server import ENDPOINT_VARIABLE, VertexAISandbox
from tests.vertex_predictors import ChurnScorer
from tests.wire import Exchange, WireRecorder, assert_fits

LOCATION = "us-central1"
BUCKET = "churn-vertex-models"
IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"
CUSTOMER = {"tenure": 3, "monthly_charges": 70.0}


class RecordingVertexAISandbox(WireRecorder, VertexAISandbox):
    """The sandbox with every exchange kept, for the discovery-document check."""


@pytest.fixture(scope="module")
def gcp() -> Iterator[GoogleCloudSandbox]:
    sandbox = GoogleCloudSandbox()
    sandbox.vertex_ai = RecordingVertexAISandbox(storage=sandbox._storage_client)
    with aiplatform_state.restored(), sandbox, applied(sandbox.environment()):
        credentials, _ = google.auth.default()
        aiplatform.init(
            project=sandbox.project,
            location=LOCATION,
            api_endpoint=sandbox.environment()[ENDPOINT_VARIABLE],
            api_transport="rest",
            credentials=credentials,
        )
        yield sandbox


@pytest.fixture
def wire(gcp: GoogleCloudSandbox) -> Iterator[list[Exchange]]:
    gcp.reset()
    recorded: list[Exchange] = gcp.vertex_ai.wire
    recorded.clear()
    storage.Client().create_bucket(BUCKET)
    yield recorded
    for exchange in recorded:
        assert_fits_discovery(*exchange)


@pytest.fixture(autouse=True)
def _responses_fit_the_discovery_document(wire: list[Exchange]) -> None:
    """Every test runs on an empty project with a bucket, and has its wire checked after."""


def assert_fits_discovery(method: str, path: str, status: int, body: bytes) -> None:
    """A success fits its method's response schema; an error fits the error envelope."""
    # The REST transport polls operations under /ui/, which the document lists under /v1/.
    assert_fits("aiplatform.v1", method, path.replace("/ui/", "/v1/", 1), status, body)


def put_model(directory: str, predictor: Any = None, name: str = "model.joblib") -> str:
    """Write a pickled predictor into the bucket; the gs:// URI of its directory."""
    buffer = io.BytesIO()
    joblib.dump(predictor or ChurnScorer(), buffer)
    storage.Client().bucket(BUCKET).blob(f"{directory}/{name}").upload_from_string(
        buffer.getvalue()
    )
    return f"gs://{BUCKET}/{directory}"


def status_of(error: exceptions.GoogleAPICallError) -> str:
    """The google.rpc status an HTTP error carried (REST maps exceptions by HTTP code alone)."""
    return error.response.json()["error"]["status"]


def upload(directory: str = "churn/v1", **kwargs: Any) -> aiplatform.Model:
    kwargs.setdefault("display_name", "churn")
    kwargs.setdefault("serving_container_image_uri", IMAGE)
    return aiplatform.Model.upload(artifact_uri=f"gs://{BUCKET}/{directory}", **kwargs)


def deployed(version: int = 1) -> tuple[aiplatform.Model, aiplatform.Endpoint]:
    put_model("churn/v1", ChurnScorer(version))
    model = upload()
    endpoint = aiplatform.Endpoint.create(display_name="churn-endpoint")
    model.deploy(endpoint=endpoint, machine_type="n1-standard-2")
    return model, endpoint


# The check itself


def test_the_discovery_check_catches_stray_members_and_wrong_types(wire):
    put_model("churn/v1")
    model = upload()
    method, path, _, body = next(e for e in wire if e[1] == f"/v1/{model.versioned_resource_name}")
    document = DiscoveryDocument.load("aiplatform.v1")
    assert document.find_method(method, path).id == "aiplatform.projects.locations.models.get"
    tampered = json.loads(body)
    assert tampered["name"] == model.resource_name
    tampered["framework"] = "sklearn"
    tampered["versionAliases"] = "default"
    assert document.check("GoogleCloudAiplatformV1Model", tampered) == [
        "GoogleCloudAiplatformV1Model.versionAliases should be an array, got str",
        "GoogleCloudAiplatformV1Model.framework is not a property of the schema",
    ]


# The model registry


def test_upload_from_cloud_storage_registers_a_model_through_a_polled_operation(gcp, wire):
    put_model("churn/v1")
    model = upload(
        description="Churn classifier",
        labels={"team": "ml"},
        version_description="first cut",
    )
    assert model.resource_name.startswith(f"projects/{gcp.project}/locations/{LOCATION}/models/")
    assert (model.version_id, model.version_aliases) == ("1", ["default"])
    assert (model.display_name, model.description) == ("churn", "Churn classifier")
    assert model.uri == f"gs://{BUCKET}/churn/v1"
    assert model.labels == {"team": "ml"}
    assert model.container_spec.image_uri == IMAGE
    assert model.version_description == "first cut"
    assert model.supported_deployment_resources_types == [
        aiplatform.gapic.Model.DeploymentResourcesType.DEDICATED_RESOURCES
    ]
    operation = json.loads(next(e[3] for e in wire if e[1].endswith("models:upload")))
    assert operation["name"].startswith(f"{model.resource_name}/operations/")
    assert "done" not in operation, "the upload answers a running operation, as Vertex AI does"
    polls = [e for e in wire if e[0] == "GET" and e[1].endswith(operation["name"])]
    assert len(polls) == 1, "the SDK polled the operation once"
    done = json.loads(polls[0][3])
    assert done["done"] is True
    assert done["metadata"]["@type"].endswith("v1.UploadModelOperationMetadata")
    assert done["response"] == {
        "@type": "type.googleapis.com/google.cloud.aiplatform.v1.UploadModelResponse",
        "model": model.resource_name,
        "modelVersionId": "1",
    }
    again = aiplatform.Model(model.resource_name.rsplit("/", 1)[1])
    assert (again.resource_name, again.display_name) == (model.resource_name, "churn")


def test_models_list_with_a_display_name_filter_and_pages(wire):
    put_model("churn/v1")
    for name in ("alpha", "beta", "gamma"):
        upload(display_name=name)
    assert [m.display_name for m in aiplatform.Model.list()] == ["alpha", "beta", "gamma"]
    assert [m.display_name for m in aiplatform.Model.list(filter='display_name="beta"')] == ["beta"]
    assert aiplatform.Model.list(filter='display_name="delta"') == []
    beta = aiplatform.Model.list(filter='displayName="beta"')[0].name
    assert [m.display_name for m in aiplatform.Model.list(filter=f"model!={beta}")] == [
        "alpha",
        "gamma",
    ]
    backwards = aiplatform.Model.list(order_by="display_name desc")
    assert [m.display_name for m in backwards] == ["gamma", "beta", "alpha"]
    with pytest.raises(exceptions.BadRequest, match="Unsupported filter field 'framework'"):
        aiplatform.Model.list(filter='framework="sklearn"')
    client = aiplatform.Model.list()[0].api_client
    parent = f"projects/{aiplatform.initializer.global_config.project}/locations/{LOCATION}"
    pages = client.list_models(request={"parent": parent, "page_size": 2}).pages
    assert [[m.display_name for m in p.models] for p in pages] == [["alpha", "beta"], ["gamma"]]


def test_a_new_version_through_parent_model_takes_the_default_alias(wire):
    put_model("churn/v1", ChurnScorer(1))
    put_model("churn/v2", ChurnScorer(2))
    first = upload()
    second = upload("churn/v2", parent_model=first.resource_name, version_aliases=["challenger"])
    assert second.resource_name == first.resource_name
    assert (second.version_id, sorted(second.version_aliases)) == ("2", ["challenger", "default"])
    assert aiplatform.Model(first.resource_name).version_id == "2", "default moved to v2"
    older = aiplatform.Model(first.resource_name, version="1")
    assert (older.version_id, older.version_aliases, older.uri) == ("1", [], first.uri)
    assert aiplatform.Model(f"{first.resource_name}@challenger").version_id == "2"
    registry = aiplatform.models.ModelRegistry(first.resource_name)
    assert [v.version_id for v in registry.list_versions()] == ["1", "2"]
    registry.add_version_aliases(["champion"], version="1")
    assert aiplatform.Model(first.resource_name, version="champion").version_id == "1"
    registry.remove_version_aliases(["champion"], version="1")
    assert aiplatform.Model(first.resource_name, version="1").version_aliases == []
    third = upload("churn/v2", parent_model=first.resource_name, is_default_version=False)
    assert (third.version_id, third.version_aliases) == ("3", [])
    assert aiplatform.Model(first.resource_name).version_id == "2", "default stayed on v2"
    assert [m.version_id for m in aiplatform.Model.list()] == ["2"], "list shows defaults"
    registry.delete_version("3")
    assert [v.version_id for v in registry.list_versions()] == ["1", "2"]
    with pytest.raises(exceptions.BadRequest, match="is the default version"):
        registry.delete_version("default")


# Endpoints, deployments and predictions


def test_deploy_predict_undeploy_and_delete(wire):
    put_model("churn/v1")
    model = upload()
    endpoint = aiplatform.Endpoint.create(display_name="churn-endpoint")
    assert endpoint.display_name == "churn-endpoint"
    assert [e.resource_name for e in aiplatform.Endpoint.list()] == [endpoint.resource_name]
    model.deploy(endpoint=endpoint, machine_type="n1-standard-2")
    (deployment,) = endpoint.list_models()
    assert deployment.model == model.resource_name
    assert deployment.model_version_id == "1"
    assert deployment.dedicated_resources.machine_spec.machine_type == "n1-standard-2"
    assert endpoint.traffic_split == {deployment.id: 100}
    refs = aiplatform.Model(model.resource_name).gca_resource.deployed_models
    assert [(r.endpoint, r.deployed_model_id) for r in refs] == [
        (endpoint.resource_name, deployment.id)
    ]
    answer = endpoint.predict(instances=[CUSTOMER, {"tenure": 24, "monthly_charges": 20.0}])
    assert answer.predictions == [
        {"churn_probability": 0.56, "model_version": 1},
        {"churn_probability": 0.0667, "model_version": 1},
    ]
    assert answer.deployed_model_id == deployment.id
    assert (answer.model_resource_name, answer.model_version_id) == (model.resource_name, "1")
    endpoint.undeploy_all()
    assert endpoint.list_models() == []
    assert endpoint.traffic_split == {}
    endpoint.delete()
    assert aiplatform.Endpoint.list() == []
    model.delete()
    assert aiplatform.Model.list() == []


def test_endpoints_take_an_id_and_labels_and_deploy_on_accelerators(wire):
    put_model("churn/v1")
    model = upload()
    endpoint = aiplatform.Endpoint.create(
        display_name="churn-gpu", endpoint_id="churn-prod", labels={"tier": "gpu"}
    )
    assert endpoint.name == "churn-prod"
    aiplatform.Endpoint.create(display_name="churn-cpu")
    assert [e.name for e in aiplatform.Endpoint.list(filter='labels.tier="gpu"')] == ["churn-prod"]
    with pytest.raises(exceptions.Conflict, match="already exists"):
        aiplatform.Endpoint.create(display_name="again", endpoint_id="churn-prod")
    # The REST transport sends the accelerator, an enum, as a number; it comes back by name.
    model.deploy(
        endpoint=endpoint,
        machine_type="a2-highgpu-1g",
        accelerator_type="NVIDIA_TESLA_A100",
        accelerator_count=1,
        min_replica_count=1,
        max_replica_count=3,
    )
    resources = endpoint.list_models()[0].dedicated_resources
    assert resources.machine_spec.accelerator_type.name == "NVIDIA_TESLA_A100"
    assert (resources.min_replica_count, resources.max_replica_count) == (1, 3)
    assert endpoint.predict(instances=[CUSTOMER]).predictions[0]["churn_probability"] == 0.56


def test_the_largest_traffic_share_answers_and_ties_go_to_the_earliest(wire):
    put_model("churn/v2", ChurnScorer(2))
    first, endpoint = deployed(version=1)
    second = upload("churn/v2", parent_model=first.resource_name)
    second.deploy(endpoint=endpoint, machine_type="n1-standard-2", traffic_percentage=50)
    assert sorted(endpoint.traffic_split.values()) == [50, 50]
    assert endpoint.predict(instances=[CUSTOMER]).predictions[0]["model_version"] == 1
    new = next(d.id for d in endpoint.list_models() if d.model_version_id == "2")
    old = next(d.id for d in endpoint.list_models() if d.model_version_id == "1")
    endpoint.undeploy(old, traffic_split={new: 100})
    answer = endpoint.predict(instances=[CUSTOMER])
    assert (answer.deployed_model_id, answer.model_version_id) == (new, "2")
    assert answer.predictions[0]["model_version"] == 2


# Bad input


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], r"gs://churn-vertex-models/empty is expected to contain exactly one of: \["),
        (["notes.txt"], r"contain exactly one of: \[model\.joblib\], but it holds \['notes"),
        (["saved_model.pb"], "cannot serve TensorFlow SavedModel or XGBoost artifacts"),
        (["model.bst"], r"holds model\.bst, an XGBoost model"),
        (["model.pkl"], r"serves only model\.joblib; save the model with joblib\.dump"),
    ],
)
def test_upload_from_a_directory_without_model_joblib_registers_nothing(wire, files, message):
    for name in files:
        put_model("empty", name=name)
    with pytest.raises(exceptions.FailedPrecondition, match=message):
        upload("empty")
    assert aiplatform.Model.list() == []


def test_upload_from_a_missing_bucket_fails_and_says_so(wire):
    with pytest.raises(exceptions.FailedPrecondition, match="bucket no-such-bucket does not"):
        aiplatform.Model.upload(
            display_name="churn",
            artifact_uri="gs://no-such-bucket/churn",
            serving_container_image_uri=IMAGE,
        )


def test_predict_on_an_endpoint_with_no_deployed_model_fails_its_precondition(wire):
    endpoint = aiplatform.Endpoint.create(display_name="empty-endpoint")
    with pytest.raises(exceptions.BadRequest, match="does not have any deployed model") as err:
        endpoint.predict(instances=[CUSTOMER])
    assert status_of(err.value) == "FAILED_PRECONDITION"


def test_instances_of_the_wrong_shape_are_refused_with_the_predictor_message(wire):
    _, endpoint = deployed()
    with pytest.raises(exceptions.BadRequest, match="instance 1 must be an object") as err:
        endpoint.predict(instances=[CUSTOMER, [3, 70.0]])
    assert status_of(err.value) == "INVALID_ARGUMENT"


def test_deleting_a_deployed_model_or_an_endpoint_serving_one_is_refused(wire):
    model, endpoint = deployed()
    with pytest.raises(exceptions.BadRequest, match="deployed or being deployed at") as err:
        model.delete()
    assert status_of(err.value) == "FAILED_PRECONDITION"
    with pytest.raises(exceptions.BadRequest, match="has deployed model") as err:
        endpoint.delete()
    assert status_of(err.value) == "FAILED_PRECONDITION"
    assert [m.resource_name for m in aiplatform.Model.list()] == [model.resource_name]
    assert len(endpoint.list_models()) == 1
    endpoint.delete(force=True)
    model.delete()
    assert aiplatform.Model.list() == [] and aiplatform.Endpoint.list() == []


def test_unknown_models_and_endpoints_are_not_found(wire):
    with pytest.raises(exceptions.NotFound, match=r"Model .*/models/1234 not found"):
        aiplatform.Model("1234")
    # Endpoint() reads its resource lazily: the first call that needs it finds it missing.
    with pytest.raises(exceptions.NotFound, match=r"Endpoint .*/endpoints/5678 not found"):
        aiplatform.Endpoint("5678").list_models()
    with pytest.raises(exceptions.NotFound, match=r"Endpoint .*/endpoints/5678 not found"):
        aiplatform.Endpoint("5678").predict(instances=[CUSTOMER])
    put_model("churn/v1")
    model = upload()
    with pytest.raises(exceptions.NotFound, match="versions \\['1'\\] and aliases"):
        aiplatform.Model(model.resource_name, version="7")


def test_a_deploy_whose_model_file_is_gone_fails_like_a_model_server_that_cannot_start(wire):
    put_model("churn/v1")
    model = upload()
    storage.Client().bucket(BUCKET).blob("churn/v1/model.joblib").delete()
    endpoint = aiplatform.Endpoint.create(display_name="churn-endpoint")
    with pytest.raises(exceptions.FailedPrecondition, match=r"no longer holds model\.joblib"):
        model.deploy(endpoint=endpoint, machine_type="n1-standard-2")
    assert endpoint.list_models() == []


# The sandbox


def test_reset_forgets_everything_and_ids_start_again(gcp, wire):
    model, _ = deployed()
    gcp.reset()
    assert aiplatform.Model.list() == [] and aiplatform.Endpoint.list() == []
    storage.Client().create_bucket(BUCKET)
    again, _ = deployed()
    assert again.resource_name == model.resource_name, "ids come from a counter per sandbox"


def test_the_sandbox_settings_name_its_endpoint(gcp):
    assert gcp.environment()[ENDPOINT_VARIABLE] == gcp.vertex_ai.endpoint
    assert gcp.vertex_ai.endpoint.startswith("http://127.0.0.1:")


def test_labels_are_patched_on_a_model_and_an_endpoint_and_a_mask_is_required(gcp, wire):
    put_model("churn/v1")
    model = upload()
    model.update(labels={"team": "churn"})
    assert aiplatform.Model(model.resource_name).labels == {"team": "churn"}
    endpoint = aiplatform.Endpoint.create(display_name="churn-endpoint")
    endpoint.update(labels={"run": "a1b2c3"}, description="for the labs")
    again = aiplatform.Endpoint(endpoint.resource_name)
    assert again.labels == {"run": "a1b2c3"}
    assert again.gca_resource.description == "for the labs"

    import requests

    answer = requests.patch(
        f"{gcp.vertex_ai.endpoint}/v1/{endpoint.resource_name}", json={"labels": {}}, timeout=10
    )
    assert answer.status_code == 400 and "update_mask is required" in answer.text
