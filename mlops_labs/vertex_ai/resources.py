"""Vertex AI REST resources as the v1 API shapes them: Model, Endpoint, DeployedModel.

Every builder returns what validates against the aiplatform v1 discovery document's schema;
empty lists and maps are left out, as the service leaves them out.
"""

from __future__ import annotations

from typing import Any

from .models import DeployedModel, Endpoint, ModelVersion, RegisteredModel, etag_of, rfc3339

# What a custom-trained model served by a prebuilt container supports, as Vertex AI lists it.
_INPUT_FORMATS = ["jsonl", "bigquery", "csv", "tf-record", "tf-record-gzip", "file-list"]
_OUTPUT_FORMATS = ["jsonl", "bigquery"]


def model_resource(
    model: RegisteredModel, version: ModelVersion, deployments: list[tuple[str, str]]
) -> dict[str, Any]:
    """The Model resource of one version; ``deployments`` are its (endpoint, deployed id)s."""
    resource: dict[str, Any] = {
        "name": model.name,
        "displayName": version.display_name,
        "predictSchemata": {},
        "containerSpec": version.container_spec,
        "supportedDeploymentResourcesTypes": ["DEDICATED_RESOURCES"],
        "supportedInputStorageFormats": _INPUT_FORMATS,
        "supportedOutputStorageFormats": _OUTPUT_FORMATS,
        "supportedExportFormats": [{"id": "custom-trained", "exportableContents": ["ARTIFACT"]}],
        "createTime": rfc3339(model.created),
        "updateTime": rfc3339(model.updated()),
        "artifactUri": version.artifact_uri,
        "versionId": version.version_id,
        "versionCreateTime": rfc3339(version.created),
        "versionUpdateTime": rfc3339(version.version_updated),
        "modelSourceInfo": {"sourceType": "CUSTOM"},
    }
    for key, value in (
        ("description", version.description),
        ("versionDescription", version.version_description),
    ):
        if value:
            resource[key] = value
    if version.aliases:
        resource["versionAliases"] = list(version.aliases)
    if version.labels:
        resource["labels"] = dict(version.labels)
    if deployments:
        resource["deployedModels"] = [
            {"endpoint": endpoint, "deployedModelId": deployed_id}
            for endpoint, deployed_id in deployments
        ]
    resource["etag"] = etag_of(resource)
    return resource


def deployed_model_resource(deployed: DeployedModel) -> dict[str, Any]:
    """The DeployedModel resource, as an endpoint lists it."""
    return {
        "id": deployed.id,
        "model": deployed.model,
        "modelVersionId": deployed.version_id,
        "displayName": deployed.display_name,
        "createTime": rfc3339(deployed.created),
        **deployed.resources,
    }


def endpoint_resource(endpoint: Endpoint) -> dict[str, Any]:
    """The Endpoint resource: its deployed models and traffic split."""
    resource: dict[str, Any] = {"name": endpoint.name, "displayName": endpoint.display_name}
    if endpoint.description:
        resource["description"] = endpoint.description
    if endpoint.deployed:
        resource["deployedModels"] = [deployed_model_resource(d) for d in endpoint.deployed]
    if endpoint.traffic_split:
        resource["trafficSplit"] = dict(endpoint.traffic_split)
    if endpoint.labels:
        resource["labels"] = dict(endpoint.labels)
    resource["createTime"] = rfc3339(endpoint.created)
    resource["updateTime"] = rfc3339(endpoint.updated)
    resource["etag"] = etag_of(resource)
    return resource
