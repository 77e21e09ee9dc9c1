"""The Vertex AI sandbox's behaviour: the model registry, endpoints, deployments and predictions.

Request bodies arrive checked against the discovery document and in its JSON shape; what a
method needs beyond that (a required field, a resource that must exist, a state that must
allow the change) is checked here, with Vertex AI's error codes. Ids come from one counter
per sandbox, as numeric strings like the service's, so a run is the same every time.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

from .artifacts import ArtifactStore, StorageFactory, split_uri
from .errors import (
    AlreadyExists,
    FailedPrecondition,
    InternalError,
    InvalidArgument,
    NotFound,
)
from .listing import matcher, ordered, page
from .models import (
    DEFAULT_ALIAS,
    DeployedModel,
    Endpoint,
    ModelVersion,
    RegisteredModel,
    now,
)
from .operations import EMPTY, Operation, Operations, typed
from .resources import deployed_model_resource, endpoint_resource, model_resource

# Ids look like the service's: 19 digits.
_ID_BASE = 1_000_000_000_000_000_000
_ALIAS = re.compile(r"[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]")
_MODEL_ID = re.compile(r"[a-z_][a-z0-9_-]{0,62}")
# As endpoints.create documents its endpointId.
_ENDPOINT_ID = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?|[1-9][0-9]{0,8}")
_MODEL_NAME = re.compile(r"projects/([^/]+)/locations/([^/]+)/models/([^/@]+)(?:@([^/]+))?")
Page = tuple[list[dict[str, Any]], str | None]


class VertexAIBackend:
    """Models, endpoints and operations of every project and location, in memory."""

    def __init__(self, storage: StorageFactory | None = None) -> None:
        self.lock = threading.RLock()
        self.artifacts = ArtifactStore(storage)
        self.operations = Operations()
        self.models: dict[str, RegisteredModel] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self._counter = 0

    def reset(self) -> None:
        """Forget every model, endpoint and operation; ids start again from the first."""
        self.models.clear()
        self.endpoints.clear()
        self.operations.reset()
        self._counter = 0

    def new_id(self) -> str:
        """The next id of the sandbox: a resource's, a deployed model's or an operation's."""
        self._counter += 1
        return str(_ID_BASE + self._counter)

    # Models

    def upload_model(self, parent: str, body: dict[str, Any]) -> Operation:
        """models.upload: a new model, or a new version of ``parentModel``."""
        spec = body.get("model") or {}
        parent_name = body.get("parentModel")
        existing = self._model(parent_name) if parent_name else None
        if existing is not None and not existing.name.startswith(parent + "/"):
            raise InvalidArgument(
                f"parentModel {parent_name} is not in {parent}: a new version must be uploaded "
                "to the parent model's location"
            )
        display_name = spec.get("displayName") or (existing and existing.default.display_name)
        if not display_name:
            raise InvalidArgument("Required field model.displayName is not set")
        artifact_uri = spec.get("artifactUri")
        if not artifact_uri:
            raise InvalidArgument(
                "Required field model.artifactUri is not set: the Vertex AI sandbox serves "
                "models from a Cloud Storage directory (gs://...) holding model.joblib"
            )
        split_uri(artifact_uri)
        container = spec.get("containerSpec") or {}
        if not container.get("imageUri"):
            raise InvalidArgument(
                "Required field model.containerSpec.imageUri is not set: give the serving "
                "container, e.g. a prebuilt scikit-learn image"
            )
        aliases = _checked_aliases(spec.get("versionAliases") or [])
        if existing is None:
            name = f"{parent}/models/{self._new_model_id(parent, body.get('modelId'))}"
        else:
            name = existing.name
        version = ModelVersion(
            version_id="",  # given when the operation registers it
            display_name=display_name,
            artifact_uri=artifact_uri,
            container_spec=dict(container),
            created=now(),
            description=spec.get("description"),
            version_description=spec.get("versionDescription"),
            labels=dict(spec.get("labels") or {}),
            aliases=aliases,
        )

        def register() -> dict[str, Any]:
            self.artifacts.check_model_directory(artifact_uri)
            model = self.models.get(name) or RegisteredModel(name, created=version.created)
            self.models[name] = model
            self._add_version(model, version)
            body = {"model": name, "modelVersionId": version.version_id}
            return typed("UploadModelResponse", body)

        operation_name = f"{name}/operations/{self.new_id()}"
        return self.operations.run(operation_name, "UploadModelOperationMetadata", register)

    def _new_model_id(self, parent: str, model_id: str | None) -> str:
        if not model_id:
            return self.new_id()
        if not _MODEL_ID.fullmatch(model_id):
            raise InvalidArgument(
                f"Invalid modelId {model_id!r}: up to 63 characters of [a-z0-9_-], not starting "
                "with a number or a hyphen"
            )
        if f"{parent}/models/{model_id}" in self.models:
            raise AlreadyExists(f"Model {parent}/models/{model_id} already exists.")
        return model_id

    def _add_version(self, model: RegisteredModel, version: ModelVersion) -> None:
        version.version_id = str(model.next_version)
        model.next_version += 1
        if not model.versions and DEFAULT_ALIAS not in version.aliases:
            # The first version is always the default one.
            version.aliases.insert(0, DEFAULT_ALIAS)
        for other in model.versions.values():
            moved = [a for a in other.aliases if a in version.aliases]
            if moved:
                other.aliases = [a for a in other.aliases if a not in moved]
                other.updated = version.created
        model.versions[version.version_id] = version

    def model_resource(self, model: RegisteredModel, version: ModelVersion) -> dict[str, Any]:
        """The Model resource of one version, with the endpoints it is deployed to."""
        deployments = [
            (endpoint.name, deployed.id)
            for endpoint in self.endpoints.values()
            for deployed in endpoint.deployed
            if deployed.model == model.name and deployed.version_id == version.version_id
        ]
        return model_resource(model, version, deployments)

    def get_model(self, name: str) -> dict[str, Any]:
        """models.get: the default version, or the version ``@id`` or ``@alias`` names."""
        model, version = self._version(name)
        return self.model_resource(model, version)

    def patch_model(
        self, name: str, body: dict[str, Any], update_mask: str | None
    ) -> dict[str, Any]:
        """models.patch of the version ``name`` names (the default one without ``@``)."""
        model, version = self._version(name)
        _patch(version, body, update_mask, "Model")
        return self.model_resource(model, version)

    def list_models(self, parent: str, args: Any) -> Page:
        """models.list: each model's default version."""
        resources = [
            self.model_resource(model, model.default)
            for name, model in self.models.items()
            if name.startswith(parent + "/")
        ]
        return _listed(resources, args)

    def list_versions(self, name: str, args: Any) -> Page:
        """models.listVersions: every version of one model, oldest first."""
        model = self._model(name)
        resources = [self.model_resource(model, v) for v in model.versions.values()]
        return _listed(resources, args)

    def merge_version_aliases(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """models.mergeVersionAliases: add aliases (moving them here), or remove ``-alias``."""
        model, version = self._version(name)
        requested = body.get("versionAliases") or []
        removed = [a[1:] for a in requested if a.startswith("-")]
        added = _checked_aliases([a for a in requested if not a.startswith("-")])
        for alias in removed:
            _checked_aliases([alias])
        # The API documents that adding and removing one alias in a request cancel out.
        cancelled = set(removed) & set(added)
        removed = [a for a in removed if a not in cancelled]
        added = [a for a in added if a not in cancelled]
        if DEFAULT_ALIAS in removed:
            raise InvalidArgument(
                "The default alias can't be removed: a model always has exactly one default "
                "version. Add 'default' to another version to move it there"
            )
        stamp = now()
        for other in model.versions.values():
            if other is not version and any(a in other.aliases for a in added):
                other.aliases = [a for a in other.aliases if a not in added]
                other.updated = stamp
        kept = [a for a in version.aliases if a not in removed]
        version.aliases = kept + [a for a in added if a not in kept]
        version.updated = stamp
        return self.model_resource(model, version)

    def delete_model(self, name: str) -> Operation:
        """models.delete: the model and all its versions, unless one of them is deployed."""
        if "@" in name:
            raise InvalidArgument(
                f"models.delete takes a model name without a version, got {name}: delete one "
                "version with models.deleteVersion"
            )
        model = self._model(name)
        deployed_at = self._deployed_at(model.name)
        if deployed_at:
            raise FailedPrecondition(
                f"The model \"{model.name}\" can't be deleted because it's deployed or being "
                f"deployed at the following endpoint(s): {', '.join(deployed_at)}. Undeploy it "
                "from every endpoint first (endpoint.undeploy_all())"
            )

        def delete() -> dict[str, Any]:
            del self.models[model.name]
            return EMPTY

        return self._deletion(name, delete)

    def delete_version(self, name: str) -> Operation:
        """models.deleteVersion: one version that is neither deployed, the default, nor the last."""
        model, version = self._version(name)
        if "@" not in name:
            raise InvalidArgument(
                f"models.deleteVersion takes a versioned name such as {model.name}@2, got {name}"
            )
        label = f"{model.name}@{version.version_id}"
        if len(model.versions) == 1:
            raise FailedPrecondition(
                f"Model version {label} is the only version of the model: delete the model instead"
            )
        if DEFAULT_ALIAS in version.aliases:
            raise FailedPrecondition(
                f"Model version {label} is the default version: make another version the "
                "default (mergeVersionAliases) before deleting it"
            )
        deployed_at = self._deployed_at(model.name, version.version_id)
        if deployed_at:
            raise FailedPrecondition(
                f"The model version \"{label}\" can't be deleted because it's deployed or "
                f"being deployed at the following endpoint(s): {', '.join(deployed_at)}"
            )

        def delete() -> dict[str, Any]:
            del model.versions[version.version_id]
            return EMPTY

        return self._deletion(name, delete)

    def _model(self, name: str) -> RegisteredModel:
        base = name.split("@", 1)[0]
        if not _MODEL_NAME.fullmatch(name):
            raise InvalidArgument(
                f"Invalid model name {name!r}: expected projects/PROJECT/locations/LOCATION/"
                "models/MODEL_ID"
            )
        model = self.models.get(base)
        if model is None:
            raise NotFound(f"Model {base} not found.")
        return model

    def _version(self, name: str) -> tuple[RegisteredModel, ModelVersion]:
        model = self._model(name)
        if "@" not in name:
            return model, model.default
        reference = name.split("@", 1)[1]
        version = model.find(reference)
        if version is None:
            aliases = sorted({a for v in model.versions.values() for a in v.aliases})
            raise NotFound(
                f"Model version {name} not found: the model has versions "
                f"{list(model.versions)} and aliases {aliases}"
            )
        return model, version

    def _deployed_at(self, model_name: str, version_id: str | None = None) -> list[str]:
        return [
            endpoint.name
            for endpoint in self.endpoints.values()
            if any(
                d.model == model_name and version_id in (None, d.version_id)
                for d in endpoint.deployed
            )
        ]

    def _deletion(self, name: str, delete: Callable[[], dict[str, Any]]) -> Operation:
        # A deletion's operation outlives its resource, so it is named after the location.
        location = "/".join(name.split("/")[:4])
        operation_name = f"{location}/operations/{self.new_id()}"
        return self.operations.run(operation_name, "DeleteOperationMetadata", delete)

    # Endpoints

    def create_endpoint(
        self, parent: str, body: dict[str, Any], endpoint_id: str | None
    ) -> Operation:
        """endpoints.create: an endpoint with nothing deployed."""
        if not body.get("displayName"):
            raise InvalidArgument("Required field endpoint.displayName is not set")
        if endpoint_id:
            if not _ENDPOINT_ID.fullmatch(endpoint_id):
                raise InvalidArgument(
                    f"Invalid endpointId {endpoint_id!r}: either a letter then up to 62 of "
                    "[a-z0-9-] ending in a letter or digit, or up to 9 digits without a leading 0"
                )
            if f"{parent}/endpoints/{endpoint_id}" in self.endpoints:
                raise AlreadyExists(f"Endpoint {parent}/endpoints/{endpoint_id} already exists.")
        stamp = now()
        endpoint = Endpoint(
            name=f"{parent}/endpoints/{endpoint_id or self.new_id()}",
            display_name=body["displayName"],
            created=stamp,
            updated=stamp,
            description=body.get("description"),
            labels=dict(body.get("labels") or {}),
        )

        def create() -> dict[str, Any]:
            self.endpoints[endpoint.name] = endpoint
            return typed("Endpoint", endpoint_resource(endpoint))

        operation_name = f"{endpoint.name}/operations/{self.new_id()}"
        return self.operations.run(operation_name, "CreateEndpointOperationMetadata", create)

    def get_endpoint(self, name: str) -> dict[str, Any]:
        """endpoints.get."""
        return endpoint_resource(self._endpoint(name))

    def patch_endpoint(
        self, name: str, body: dict[str, Any], update_mask: str | None
    ) -> dict[str, Any]:
        """endpoints.patch."""
        endpoint = self._endpoint(name)
        _patch(endpoint, body, update_mask, "Endpoint")
        return endpoint_resource(endpoint)

    def list_endpoints(self, parent: str, args: Any) -> Page:
        """endpoints.list."""
        resources = [
            endpoint_resource(endpoint)
            for name, endpoint in self.endpoints.items()
            if name.startswith(parent + "/")
        ]
        return _listed(resources, args)

    def delete_endpoint(self, name: str) -> Operation:
        """endpoints.delete: only an endpoint with no model deployed."""
        endpoint = self._endpoint(name)
        if endpoint.deployed:
            ids = ", ".join(d.id for d in endpoint.deployed)
            raise FailedPrecondition(
                f"Endpoint {endpoint.name} can't be deleted because it has deployed model(s): "
                f"{ids}. Undeploy them first (endpoint.undeploy_all(), or "
                "endpoint.delete(force=True))"
            )

        def delete() -> dict[str, Any]:
            del self.endpoints[endpoint.name]
            return EMPTY

        return self._deletion(name, delete)

    def deploy_model(self, name: str, body: dict[str, Any]) -> Operation:
        """endpoints.deployModel: a model version on dedicated resources, and a traffic split."""
        endpoint = self._endpoint(name)
        spec = body.get("deployedModel") or {}
        if not spec.get("model"):
            raise InvalidArgument("Required field deployedModel.model is not set")
        model, version = self._version(spec["model"])
        if model.name.split("/")[3] != endpoint.name.split("/")[3]:
            raise InvalidArgument(
                f"Model {model.name} and endpoint {endpoint.name} are in different locations: "
                "deploy a model to an endpoint of its own location"
            )
        resources = _dedicated_resources(spec, model.name)
        deployed_id = spec.get("id") or ""
        if deployed_id and not re.fullmatch(r"[0-9]{1,10}", deployed_id):
            raise InvalidArgument(
                f"Invalid deployedModel.id {deployed_id!r}: 1 to 10 digits, or none to have "
                "Vertex AI choose one"
            )
        if deployed_id and endpoint.find(deployed_id):
            raise AlreadyExists(
                f"DeployedModel {deployed_id} already exists in endpoint {endpoint.name}."
            )
        split = body.get("trafficSplit") or {}
        _check_split(split, {d.id for d in endpoint.deployed} | {"0"}, endpoint.name)

        def deploy() -> dict[str, Any]:
            predictor = self.artifacts.load_predictor(version.artifact_uri)
            deployed = DeployedModel(
                id=deployed_id or self.new_id(),
                model=model.name,
                version_id=version.version_id,
                display_name=spec.get("displayName") or version.display_name,
                created=now(),
                resources=resources,
                predictor=predictor,
            )
            endpoint.deployed.append(deployed)
            if split:
                endpoint.traffic_split = {
                    (deployed.id if key == "0" else key): int(share) for key, share in split.items()
                }
            endpoint.updated = deployed.created
            response = {"deployedModel": deployed_model_resource(deployed)}
            return typed("DeployModelResponse", response)

        operation_name = f"{endpoint.name}/operations/{self.new_id()}"
        return self.operations.run(operation_name, "DeployModelOperationMetadata", deploy)

    def undeploy_model(self, name: str, body: dict[str, Any]) -> Operation:
        """endpoints.undeployModel: only a deployed model the new traffic split leaves out."""
        endpoint = self._endpoint(name)
        deployed_id = body.get("deployedModelId")
        if not deployed_id:
            raise InvalidArgument("Required field deployedModelId is not set")
        deployed = endpoint.find(deployed_id)
        if deployed is None:
            raise NotFound(f"DeployedModel {deployed_id} not found in endpoint {endpoint.name}.")
        remaining = [d.id for d in endpoint.deployed if d.id != deployed_id]
        split = {k: int(v) for k, v in (body.get("trafficSplit") or endpoint.traffic_split).items()}
        if remaining and split.get(deployed_id, 0) > 0:
            raise FailedPrecondition(
                f"DeployedModel {deployed_id} still receives {split[deployed_id]}% of endpoint "
                f"{endpoint.name}'s traffic: give a trafficSplit that assigns it none"
            )
        split.pop(deployed_id, None)
        if remaining:
            _check_split(split, set(remaining), endpoint.name)
        else:
            split = {}  # undeploying the last model always empties the split

        def undeploy() -> dict[str, Any]:
            endpoint.deployed.remove(deployed)
            endpoint.traffic_split = split
            endpoint.updated = now()
            return typed("UndeployModelResponse", {})

        operation_name = f"{endpoint.name}/operations/{self.new_id()}"
        return self.operations.run(operation_name, "UndeployModelOperationMetadata", undeploy)

    def predict(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """endpoints.predict: the deployed model with the largest share of traffic answers."""
        endpoint = self._endpoint(name)
        if not endpoint.deployed:
            raise FailedPrecondition(
                f"Endpoint {endpoint.name} does not have any deployed model: deploy one first "
                "(model.deploy(endpoint=...))"
            )
        serving = [
            (endpoint.traffic_split.get(d.id, 0), -index, d)
            for index, d in enumerate(endpoint.deployed)
            if endpoint.traffic_split.get(d.id, 0) > 0
        ]
        if not serving:
            raise FailedPrecondition(
                f"Endpoint {endpoint.name} sends no traffic to its deployed models "
                f"{[d.id for d in endpoint.deployed]}: give one of them a share of its trafficSplit"
            )
        # Deterministic routing: the largest share serves, the earliest deployed on a tie.
        deployed = max(serving, key=lambda entry: entry[:2])[2]
        instances = body.get("instances")
        if not isinstance(instances, list) or not instances:
            raise InvalidArgument("Required field instances is not set: send a list of instances")
        if deployed.predictor is None:
            version = self.models[deployed.model].versions[deployed.version_id]
            deployed.predictor = self.artifacts.load_predictor(version.artifact_uri)
        predictions = _predictions(deployed.predictor, instances)
        model = self.models[deployed.model]
        return {
            "predictions": predictions,
            "deployedModelId": deployed.id,
            "model": deployed.model,
            "modelDisplayName": model.versions[deployed.version_id].display_name,
            "modelVersionId": deployed.version_id,
        }

    def _endpoint(self, name: str) -> Endpoint:
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            raise NotFound(f"Endpoint {name} not found.")
        return endpoint


def _listed(resources: list[dict[str, Any]], args: Any) -> Page:
    kept = [r for r in resources if matcher(args.get("filter"))(r)]
    return page(ordered(kept, args.get("orderBy")), args.get("pageSize"), args.get("pageToken"))


def _checked_aliases(aliases: list[str]) -> list[str]:
    for alias in aliases:
        if not isinstance(alias, str) or not _ALIAS.fullmatch(alias):
            raise InvalidArgument(
                f"Invalid version alias {alias!r}: an alias matches [a-z][a-zA-Z0-9-]{{0,126}}"
                "[a-z0-9] (a version id is a number, an alias is not)"
            )
    if len(set(aliases)) != len(aliases):
        raise InvalidArgument(f"Duplicate version aliases in {aliases}")
    return list(aliases)


def _dedicated_resources(spec: dict[str, Any], model_name: str) -> dict[str, Any]:
    dedicated = spec.get("dedicatedResources")
    if not dedicated:
        raise InvalidArgument(
            f"Model {model_name} does not support automatic resources: deploy it on dedicated "
            'resources with a machine type, e.g. model.deploy(machine_type="n1-standard-2")'
        )
    machine = dedicated.get("machineSpec") or {}
    if not machine.get("machineType"):
        raise InvalidArgument(
            "Required field deployedModel.dedicatedResources.machineSpec.machineType is not set"
        )
    low = int(dedicated.get("minReplicaCount") or 0)
    if low < 1:
        raise InvalidArgument("deployedModel.dedicatedResources.minReplicaCount must be at least 1")
    high = int(dedicated.get("maxReplicaCount") or low)
    if high < low:
        raise InvalidArgument(
            f"deployedModel.dedicatedResources.maxReplicaCount ({high}) is less than "
            f"minReplicaCount ({low})"
        )
    kept = {**dedicated, "minReplicaCount": low, "maxReplicaCount": high}
    return {"dedicatedResources": kept}


def _check_split(split: dict[str, Any], known: set[str], endpoint: str) -> None:
    if not split:
        return
    unknown = sorted(set(split) - known)
    if unknown:
        raise InvalidArgument(
            f"trafficSplit names {unknown}, which are not deployed models of endpoint {endpoint} "
            '("0" means the model being deployed)'
        )
    shares = [int(share) for share in split.values()]
    if any(share < 0 or share > 100 for share in shares) or sum(shares) != 100:
        raise InvalidArgument(f"The trafficSplit values must add up to 100, got {dict(split)}")


def _predictions(predictor: Any, instances: list[Any]) -> list[Any]:
    try:
        result = predictor.predict(instances)
    except ValueError as exc:
        raise InvalidArgument(_one_line(exc)) from None
    except Exception as exc:  # a predictor's bug is the server's failure, not the caller's
        raise InternalError(f"Prediction failed: {type(exc).__name__}: {_one_line(exc)}") from None
    if hasattr(result, "tolist"):
        result = result.tolist()
    try:
        json.dumps(result, allow_nan=False)
    except (TypeError, ValueError):
        raise InternalError(
            f"Prediction failed: the model returned {type(result).__name__}, which is not "
            "JSON (NaN and infinity are not JSON either)"
        ) from None
    if not isinstance(result, list) or len(result) != len(instances):
        raise InternalError(
            f"Prediction failed: the model returned {type(result).__name__} for "
            f"{len(instances)} instance(s), not one prediction per instance"
        )
    return result


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


_PATCHABLE = frozenset({"labels", "displayName", "description"})


def _patch(target: Any, body: dict[str, Any], update_mask: str | None, kind: str) -> None:
    """Set the fields ``updateMask`` names on a model version or an endpoint."""
    fields = {field.strip() for field in (update_mask or "").split(",") if field.strip()}
    if not fields:
        raise InvalidArgument("update_mask is required: name the fields to change")
    unsupported = sorted(fields - _PATCHABLE)
    if unsupported:
        raise InvalidArgument(
            f"The Vertex AI sandbox patches a {kind}'s labels, displayName and description, "
            f"not {', '.join(unsupported)}"
        )
    if "labels" in fields:
        target.labels = dict(body.get("labels") or {})
    if "displayName" in fields:
        target.display_name = body.get("displayName") or target.display_name
    if "description" in fields:
        target.description = body.get("description")
    target.updated = now()
