"""The API operation each recorded request called: AWS service and operation, or Google method.

A cassette keeps what the SDK sent. For AWS that is the ``X-Amz-Target`` header (JSON
protocols: SageMaker, CloudWatch, the Redshift Data API), the ``Action=`` form field (query
protocol), a ``/service/<target>/operation/<name>`` path (RPC v2 CBOR), or, for S3, the REST
method, path and query. For Google it is the REST method and path, matched against the API's
discovery document (Cloud Storage v1, BigQuery v2, Vertex AI v1). Both survive the cassettes'
scrubbing, which removes only signatures, tokens and keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..cassettes import serializer
from ..cassettes.bodies import as_bytes, header, is_form_type
from ..cloud.discovery import DiscoveryDocument

# botocore's name of each AWS service whose JSON or query requests the labs may send.
AWS_SERVICES = (
    "sagemaker",
    "cloudwatch",
    "redshift-data",
    "redshift",
    "redshift-serverless",
    "secretsmanager",
    "sts",
    "logs",
)
# Google REST APIs by the path their requests start with.
_GOOGLE_APIS = (
    ("/download/storage/v1/", "storage.v1"),
    ("/upload/storage/v1/", "storage.v1"),
    ("/resumable/upload/storage/v1/", "storage.v1"),
    ("/storage/v1/", "storage.v1"),
    ("/bigquery/v2/", "bigquery.v2"),
    ("/v1/projects/", "aiplatform.v1"),
    # google-cloud-aiplatform's REST transport polls operations under /ui/ (an extra HTTP
    # binding of the same RPC); the discovery document names only the /v1/ path.
    ("/ui/projects/", "aiplatform.v1"),
)
_VIRTUAL_HOSTED = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*)\.s3[.-]")
_RPC_V2_PATH = re.compile(r"^/service/(?P<target>[^/]+)/operation/(?P<name>[^/]+)$")
_OPERATION_NAME = re.compile(r"/operations/[^/]+$")


@dataclass(frozen=True)
class Operation:
    """What a request called: cloud (aws, gcp), service, operation or method id, and detail."""

    # ``detail`` refines a method whose permissions depend on its content: the kind of SQL
    # statement of a BigQuery query job, or the resource whose long-running operation is polled.
    cloud: str
    service: str
    name: str
    detail: str = ""

    @property
    def key(self) -> str:
        """``s3:HeadBucket``, ``storage.buckets.get``, ``bigquery.jobs.query[CREATE MODEL]``."""
        base = f"{self.service}:{self.name}" if self.cloud == "aws" else self.name
        return f"{base}[{self.detail}]" if self.detail else base


@dataclass(frozen=True)
class Call:
    """One recorded request: where it is, what it called, and the facts its permission needs."""

    # ``params``: the resource facts (bucket, key, prefix; model package group; namespace;
    # cluster, database, database user; SQL statement), from the request or, when only the
    # answer says (a new model package's ARN), from the response.
    cassette: str
    index: int
    method: str
    path: str
    operation: Operation
    status: int
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def request(self) -> str:
        """``METHOD /path?query``: the request as the caller attribution names it."""
        return f"{self.method} {self.path}"

    @property
    def where(self) -> str:
        """``cassettes/<feature>/<test>.yaml #index``, for messages."""
        return f"cassettes/{self.cassette} #{self.index}"


class UnknownOperation(Exception):
    """A request whose API operation the parser cannot name."""


def request_line(method: str, uri: str) -> str:
    """``METHOD /path?query`` of a request, without scheme and host (they vary by mode)."""
    parts = urlsplit(uri)
    return f"{method.upper()} {parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def load_cassettes(folder: Path) -> dict[str, list[Call]]:
    """Every cassette under ``folder``, parsed once: relative path -> its calls in order."""
    return {
        path.relative_to(folder).as_posix(): parse_cassette(
            serializer.deserialize(path.read_text()), path.relative_to(folder).as_posix()
        )
        for path in sorted(folder.rglob("*.yaml"))
    }


def parse_cassette(data: Mapping[str, Any], name: str) -> list[Call]:
    """The calls of one deserialized cassette; an unnamed operation becomes ``unknown``."""
    origins: dict[str, str] = {}  # long-running operation name -> the method that started it
    calls = []
    for index, interaction in enumerate(data.get("interactions") or []):
        request, response = interaction["request"], interaction["response"]
        try:
            operation, params = identify(request, response, origins)
        except UnknownOperation as exc:
            operation, params = Operation("unknown", "unknown", str(exc)), {}
        status = int((response.get("status") or {}).get("code") or 0)
        path = request_line(request["method"], request["uri"]).split(" ", 1)[1]
        calls.append(Call(name, index, request["method"].upper(), path, operation, status, params))
        if operation.cloud == "gcp":
            started = _operation_started(response)
            if started:
                origins[started] = operation.name
    return calls


def identify(
    request: Mapping[str, Any],
    response: Mapping[str, Any] | None = None,
    origins: Mapping[str, str] | None = None,
) -> tuple[Operation, dict[str, str]]:
    """The operation a request called and its resource facts; UnknownOperation otherwise."""
    headers = request.get("headers") or {}
    agent = (header(headers, "user-agent") or "").lower()
    if "botocore" in agent or header(headers, "x-amz-target"):
        return _aws(request, response or {})
    if header(headers, "x-goog-api-client") is not None or "googleapis.com" in request["uri"]:
        return _google(request, origins or {})
    raise UnknownOperation(f"a request from an unknown client: {_line(request)}")


# AWS


def _aws(request: Mapping[str, Any], response: Mapping[str, Any]) -> tuple[Operation, dict]:
    headers = request.get("headers") or {}
    body = as_bytes(request.get("body"))
    target = header(headers, "x-amz-target")
    rpc = _RPC_V2_PATH.match(urlsplit(request["uri"]).path)
    if target or rpc:
        prefix, _, name = target.rpartition(".") if target else (rpc["target"], "", rpc["name"])
        service = _service_by_target().get(prefix)
        if service is None:
            raise UnknownOperation(f"X-Amz-Target {prefix}.{name} of an AWS service not known here")
        return _checked(service, name), _json_params(body, response)
    is_form = is_form_type(header(headers, "content-type")) or body.startswith(b"Action=")
    form = dict(parse_qsl(body.decode("utf-8", "replace"))) if is_form else {}
    if "Action" in form:
        service = _service_by_version().get(form.get("Version", ""))
        if service is None:
            raise UnknownOperation(f"Action={form['Action']} of an AWS API version not known here")
        return _checked(service, form["Action"]), {k: v for k, v in form.items() if "." not in k}
    return _s3(request)


def _checked(service: str, name: str) -> Operation:
    if name not in _operation_names(service):
        raise UnknownOperation(f"{service} has no operation {name}")
    return Operation("aws", service, name)


@cache
def _service_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@cache
def _operation_names(service: str) -> frozenset[str]:
    return frozenset(_service_model(service).operation_names)


@cache
def _service_by_target() -> dict[str, str]:
    found = {}
    for service in AWS_SERVICES:
        prefix = _service_model(service).metadata.get("targetPrefix")
        if prefix:
            found[prefix] = service
    return found


@cache
def _service_by_version() -> dict[str, str]:
    found = {}
    for service in AWS_SERVICES:
        metadata = _service_model(service).metadata
        if "query" in metadata.get("protocols", [metadata.get("protocol")]):
            found[metadata["apiVersion"]] = service
    return found


_JSON_PARAMS = (
    "ModelPackageGroupName",
    "Namespace",
    "ClusterIdentifier",
    "WorkgroupName",
    "Database",
    "DbUser",
    "SecretArn",
)


def _json_params(body: bytes, response: Mapping[str, Any]) -> dict[str, str]:
    params = {}
    try:
        sent = json.loads(body or b"{}")
    except ValueError:
        sent = {}
    for key in _JSON_PARAMS:
        if isinstance(sent.get(key), str):
            params[key] = sent[key]
    answer = _json_body(response)
    if isinstance(answer.get("ModelPackageArn"), str):
        params["ModelPackageArn"] = answer["ModelPackageArn"]
    return params


def _s3(request: Mapping[str, Any]) -> tuple[Operation, dict[str, str]]:
    parts = urlsplit(request["uri"])
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    host = parts.hostname or ""
    hosted = _VIRTUAL_HOSTED.match(host)
    if hosted:
        bucket, key = hosted["bucket"], unquote(parts.path.lstrip("/"))
    else:
        bucket, _, key = unquote(parts.path.lstrip("/")).partition("/")
    if not bucket:
        raise UnknownOperation(f"an S3 request that names no bucket: {_line(request)}")
    copy = header(request.get("headers") or {}, "x-amz-copy-source")
    name = _s3_operation(request["method"].upper(), bool(key), query, copy is not None)
    if name is None:
        raise UnknownOperation(f"S3 {_line(request)}")
    params = {"bucket": bucket}
    if key:
        params["key"] = key
    if "prefix" in query:
        params["prefix"] = query["prefix"]
    if copy:
        params["copy_source"] = unquote(copy).lstrip("/")
    return Operation("aws", "s3", name), params


def _s3_operation(method: str, has_key: bool, query: Mapping[str, str], copy: bool) -> str | None:
    """S3's REST operation for a method on a bucket or object, by its subresource query."""
    marks = set(query) - {"encoding-type", "prefix", "delimiter", "max-keys", "x-id"}
    marks -= {"continuation-token", "start-after", "fetch-owner", "marker"}
    if has_key:
        if "uploads" in marks and method == "POST":
            return "CreateMultipartUpload"
        if {"partNumber", "uploadId"} <= marks and method == "PUT":
            return "UploadPartCopy" if copy else "UploadPart"
        if "uploadId" in marks:
            return {"POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"}.get(
                method, "ListParts" if method == "GET" else None
            )
        if marks - {"versionId", "partNumber", "response-content-type"}:
            return None  # an object subresource (acl, tagging, ...) not mapped here
        return {
            "GET": "GetObject",
            "HEAD": "HeadObject",
            "PUT": "CopyObject" if copy else "PutObject",
            "DELETE": "DeleteObject",
        }.get(method)
    if method == "GET" and query.get("list-type") == "2":
        return "ListObjectsV2"
    if method == "POST" and "delete" in marks:
        return "DeleteObjects"
    if method == "GET" and "location" in marks:
        return "GetBucketLocation"
    if marks - {"list-type"}:
        return None  # a bucket subresource (policy, versioning, ...) not mapped here
    return {
        "PUT": "CreateBucket",
        "HEAD": "HeadBucket",
        "GET": "ListObjects",
        "DELETE": "DeleteBucket",
    }.get(method)


# Google


def _google(request: Mapping[str, Any], origins: Mapping[str, str]) -> tuple[Operation, dict]:
    parts = urlsplit(request["uri"])
    path = parts.path
    if path.rstrip("/").endswith("/token"):
        # OAuth 2.0 token exchange (oauth2.googleapis.com, or the offline token endpoint).
        return Operation("gcp", "oauth2", "oauth2.token"), {}
    found = next(((p, d) for p, d in _GOOGLE_APIS if path.startswith(p)), None)
    if found is None:
        raise UnknownOperation(f"a Google request to no API known here: {_line(request)}")
    prefix, document = found
    lookup = path
    if prefix.startswith("/download/"):
        lookup = path[len("/download") :]
    elif prefix.startswith("/ui/"):
        lookup = "/v1/" + path[len("/ui/") :]
    method = DiscoveryDocument.load(document).find_method(request["method"], lookup)
    if method is None:
        raise UnknownOperation(f"{document} has no method for {_line(request)}")
    service = document.split(".")[0]
    detail, params = "", {}
    if method.id in ("bigquery.jobs.query", "bigquery.jobs.insert"):
        sql = _query_text(as_bytes(request.get("body")))
        detail = statement_kind(sql)
        params["statement"] = sql
    elif method.id.endswith(".operations.get"):
        detail = _operation_parent(lookup, origins)
    return Operation("gcp", service, method.id, detail), params


def _query_text(body: bytes) -> str:
    try:
        sent = json.loads(body or b"{}")
    except ValueError:
        return ""
    query = sent.get("query") or (sent.get("configuration") or {}).get("query", {}).get("query")
    return query if isinstance(query, str) else ""


_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STATEMENTS = (
    (re.compile(r"^CREATE\s+SCHEMA\b"), "CREATE SCHEMA"),
    (re.compile(r"^CREATE\s+(OR\s+REPLACE\s+)?MODEL\b"), "CREATE MODEL"),
    (re.compile(r"^EXPORT\s+MODEL\b"), "EXPORT MODEL"),
    (re.compile(r"^DROP\s+MODEL\b"), "DROP MODEL"),
    (re.compile(r"^SELECT\b.*\bFROM\s+ML\.EVALUATE\s*\(", re.S), "ML.EVALUATE"),
    (re.compile(r"^SELECT\b.*\bFROM\s+ML\.PREDICT\s*\(", re.S), "ML.PREDICT"),
    (re.compile(r"^(WITH|SELECT)\b"), "SELECT"),
)


def statement_kind(sql: str) -> str:
    """The kind of a BigQuery SQL statement (``CREATE MODEL``), or its first words if unknown."""
    text = " ".join(_COMMENTS.sub(" ", sql).split()).upper()
    for pattern, kind in _STATEMENTS:
        if pattern.search(text):
            return kind
    return " ".join(text.split()[:3]) or "(no SQL)"


def _operation_parent(path: str, origins: Mapping[str, str]) -> str:
    """Whose long-running operation is polled: ``models``, ``endpoints``, or its origin."""
    segments = path.strip("/").split("/")
    if len(segments) >= 8 and segments[-2] == "operations":
        return segments[-4]
    name = "/".join(segments[1:])  # projects/.../locations/.../operations/ID
    origin = origins.get(name)
    if origin is None:
        return "unknown origin"
    return origin.split(".")[-2]  # aiplatform.projects.locations.endpoints.delete -> endpoints


def _operation_started(response: Mapping[str, Any]) -> str | None:
    name = _json_body(response).get("name")
    if isinstance(name, str) and _OPERATION_NAME.search(name):
        return name
    return None


def _json_body(response: Mapping[str, Any]) -> dict[str, Any]:
    raw = as_bytes((response.get("body") or {}).get("string"))
    if not raw.lstrip().startswith(b"{"):
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _line(request: Mapping[str, Any]) -> str:
    return request_line(request["method"], request["uri"])


def unknown(calls: Iterable[Call]) -> list[Call]:
    """The calls whose operation could not be named."""
    return [call for call in calls if call.operation.cloud == "unknown"]
