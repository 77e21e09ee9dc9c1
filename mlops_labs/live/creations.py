"""Which requests create a resource, read from the request (and, for Vertex AI, its answer).

Classified from HTTP, below every SDK, so whatever creates a resource (lab code, a step, a
learner's own call) is recorded the same way. AWS requests are told apart by their SigV4
signature; the rest are Google's JSON APIs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from .resources import Resource

_DDL = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?"
    r"(?P<kind>SCHEMA|TABLE|MODEL|VIEW|MATERIALIZED\s+VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(?P<name>(?:`[^`]+`|[\w-]+)(?:\.(?:`[^`]+`|[\w-]+))*)",
    re.IGNORECASE,
)
_BIGQUERY_JOB = re.compile(r"/bigquery/v2/projects/(?P<project>[^/]+)/(?:queries|jobs)$")
_CREATING_OPERATION = re.compile(
    r"(?P<resource>projects/[^/]+/locations/[^/]+/(?P<kind>models|endpoints)/[^/]+)"
    r"/operations/[^/]+"
)
_CREATE_METADATA = {
    "models": "UploadModelOperationMetadata",
    "endpoints": "CreateEndpointOperationMetadata",
}
_VERTEX_KIND = {"models": "vertex-model", "endpoints": "vertex-endpoint"}
_BIGQUERY_DATASETS = re.compile(r"/bigquery/v2/projects/(?P<project>[^/]+)/datasets$")


def from_request(
    method: str, url: str, headers: Mapping[str, Any], body: bytes | None
) -> list[Resource]:
    """The resources a successful ``method url`` with this body creates."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    if _is_aws(headers):
        return _aws(method, parts, headers, body)
    if method.upper() != "POST":
        return []
    path = unquote(parts.path)
    document = _json(body)
    if path.endswith("/storage/v1/b") and isinstance(document, dict) and document.get("name"):
        return [Resource("gcs-bucket", document["name"], base_url=base)]
    datasets = _BIGQUERY_DATASETS.search(path)
    if datasets and isinstance(document, dict):
        reference = document.get("datasetReference") or {}
        project = reference.get("projectId") or datasets["project"]
        if reference.get("datasetId"):
            return [Resource("bigquery-dataset", f"{project}.{reference['datasetId']}", project)]
    job = _BIGQUERY_JOB.search(path)
    if job and isinstance(document, dict):
        return _ddl(_query_text(document), job["project"])
    return []


def from_response(url: str, document: Any) -> list[Resource]:
    """Vertex AI resources named in an operation (model upload, endpoint create).

    The operation a create answers with is named after the new resource
    (``.../models/7/operations/9``): recorded from that first answer, a resource is in the
    ledger even when the run is interrupted before the operation finishes.
    """
    if not isinstance(document, dict):
        return []
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    found = []
    metadata_type = str((document.get("metadata") or {}).get("@type", ""))
    named = _CREATING_OPERATION.fullmatch(str(document.get("name", "")))
    if named and metadata_type.endswith(_CREATE_METADATA[named["kind"]]):
        found.append(Resource(_VERTEX_KIND[named["kind"]], named["resource"], base_url=base))
    result = document.get("response") if document.get("done") is True else None
    if isinstance(result, dict):
        if isinstance(result.get("model"), str) and "/models/" in result["model"]:
            model = result["model"].split("@")[0]
            found.append(Resource("vertex-model", model, base_url=base))
        name = result.get("name")
        if (
            isinstance(name, str)
            and "/endpoints/" in name
            and "Endpoint" in result.get("@type", "")
        ):
            found.append(Resource("vertex-endpoint", name, base_url=base))
    return list(dict.fromkeys(found))


def _is_aws(headers: Mapping[str, Any]) -> bool:
    authorization = _header(headers, "authorization") or ""
    return (
        authorization.startswith("AWS4-HMAC-SHA256") or _header(headers, "x-amz-date") is not None
    )


def _aws(method: str, parts: Any, headers: Mapping[str, Any], body: bytes | None) -> list[Resource]:
    target = _header(headers, "x-amz-target") or ""
    if target.endswith(".CreateModelPackageGroup"):
        document = _json(body)
        if isinstance(document, dict) and document.get("ModelPackageGroupName"):
            return [Resource("sagemaker-model-package-group", document["ModelPackageGroupName"])]
        return []
    if method.upper() != "PUT" or parts.query or target:
        return []
    host = parts.hostname or ""
    segments = [segment for segment in unquote(parts.path).split("/") if segment]
    # Virtual-hosted style (bucket.s3.region.amazonaws.com/) or path style (host/bucket).
    if ".s3." in host or host.endswith(".s3.amazonaws.com"):
        bucket = host.split(".s3", 1)[0]
        return [Resource("s3-bucket", bucket)] if not segments else []
    return [Resource("s3-bucket", segments[0])] if len(segments) == 1 else []


def _ddl(sql: str, project: str) -> list[Resource]:
    found = []
    for match in _DDL.finditer(sql or ""):
        name = match["name"].replace("`", "")
        kind = match["kind"].split()[-1].upper()
        parts = name.split(".")
        if kind == "SCHEMA":
            dataset = name if len(parts) == 2 else f"{project}.{name}"
            found.append(Resource("bigquery-dataset", dataset, dataset.split(".")[0]))
            continue
        full = name if len(parts) == 3 else f"{project}.{name}"
        resource_kind = "bigquery-model" if kind == "MODEL" else "bigquery-table"
        found.append(Resource(resource_kind, full, full.split(".")[0]))
    return found


def _query_text(document: Mapping[str, Any]) -> str:
    if isinstance(document.get("query"), str):
        return document["query"]
    query = (document.get("configuration") or {}).get("query") or {}
    return query.get("query") or ""


def _json(body: bytes | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in (headers or {}).items():
        if str(key).lower() == name:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None
