"""Vertex AI REST v1 on the wire: routes, request parsing and checking, JSON answers, errors.

The routes are the paths google-cloud-aiplatform's REST transport calls (its ``rest_base``
modules), colon verbs and ``@version`` names included. Request bodies are held to the
method's request schema in the discovery document, as the real front end refuses unknown
names; responses are built to validate against the response schema.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from ..cloud.discovery import DiscoveryDocument
from ..cloud.request_guard import RefusedBody, load_json
from .backend import VertexAIBackend
from .errors import InternalError, InvalidArgument, NotFound, VertexAIError

_log = logging.getLogger(__name__)
JSON_TYPE = "application/json; charset=UTF-8"
_LOCATION = r"/v1/(?P<parent>projects/[^/]+/locations/[^/:]+)"
_MODEL = _LOCATION + r"/models/(?P<model>[^/:]+)"
_ENDPOINT = _LOCATION + r"/endpoints/(?P<endpoint>[^/:]+)"

_ROUTES = [
    ("POST", _LOCATION + r"/models:upload", "upload_model", "UploadModelRequest"),
    ("GET", _LOCATION + r"/models", "list_models", None),
    ("GET", _MODEL + r":listVersions", "list_versions", None),
    ("POST", _MODEL + r":mergeVersionAliases", "merge_aliases", "MergeVersionAliasesRequest"),
    ("DELETE", _MODEL + r":deleteVersion", "delete_version", None),
    ("GET", _MODEL, "get_model", None),
    ("DELETE", _MODEL, "delete_model", None),
    ("PATCH", _MODEL, "patch_model", "Model"),
    ("POST", _LOCATION + r"/endpoints", "create_endpoint", "Endpoint"),
    ("GET", _LOCATION + r"/endpoints", "list_endpoints", None),
    ("GET", _ENDPOINT, "get_endpoint", None),
    ("DELETE", _ENDPOINT, "delete_endpoint", None),
    ("PATCH", _ENDPOINT, "patch_endpoint", "Endpoint"),
    ("POST", _ENDPOINT + r":deployModel", "deploy_model", "DeployModelRequest"),
    ("POST", _ENDPOINT + r":undeployModel", "undeploy_model", "UndeployModelRequest"),
    ("POST", _ENDPOINT + r":predict", "predict", "PredictRequest"),
    # The REST transport's operations client polls under /ui/, the first of its path templates.
    (
        "GET",
        r"/(?:v1|ui)/(?P<name>projects/[^/]+/locations/[^/:]+(?:/(?:models|endpoints)/[^/:]+)?"
        r"/operations/[^/:]+)",
        "get_operation",
        None,
    ),
]
SCHEMA_PREFIX = "GoogleCloudAiplatformV1"
# Vertex AI's stated payload limit for online prediction ("currently, 1.5MB"): the sandbox holds
# every request to it, the largest of its methods' bodies being a predict request's instances.
MAX_REQUEST_BYTES = 1536 * 1024

Reply = tuple[int, Any]


class VertexAIResponses:
    """Answers HTTP requests from one backend: one method per route."""

    def __init__(self, backend: VertexAIBackend) -> None:
        self.backend = backend
        self.routes = [
            (verb, re.compile(pattern), name, schema) for verb, pattern, name, schema in _ROUTES
        ]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        request.max_content_length = MAX_REQUEST_BYTES
        try:
            status, body = self.dispatch(request)
        except RequestEntityTooLarge:
            error = InvalidArgument(
                f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes."
            )
            status, body = error.code, error.envelope()
        except VertexAIError as error:
            status, body = error.code, error.envelope()
        except Exception as exc:  # a bug here must still answer in the API's format
            _log.exception("the Vertex AI sandbox failed on %s %s", request.method, request.path)
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            error = InternalError(f"The Vertex AI sandbox failed: {first}")
            status, body = error.code, error.envelope()
        response = Response(json.dumps(body), status=status, content_type=JSON_TYPE)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Reply:
        """Route a request to its handler, with its body checked against the API's schema."""
        for verb, pattern, name, schema in self.routes:
            found = pattern.fullmatch(request.path)
            if found and verb == request.method:
                method = _discovery().find_method(request.method, request.path)
                problems = _discovery().check_parameters(method, request.args) if method else []
                if problems:
                    raise InvalidArgument(problems[0])
                body = _checked(schema, _json_body(request)) if schema else {}
                handler: Callable[..., Reply] = getattr(self, name)
                with self.backend.lock:
                    return handler(request, body, **found.groupdict())
        raise NotFound(
            f"The Vertex AI sandbox has no method {request.method} {request.path}: it serves "
            "models, endpoints, deployments, predictions and operations of REST v1"
        )

    # Models

    def upload_model(self, request: Request, body: Any, parent: str) -> Reply:
        """models.upload."""
        return 200, self.backend.upload_model(parent, body).accepted()

    def list_models(self, request: Request, body: Any, parent: str) -> Reply:
        """models.list: each model's default version, filtered and paged."""
        models, token = self.backend.list_models(parent, request.args)
        return 200, _listing("models", models, token)

    def list_versions(self, request: Request, body: Any, parent: str, model: str) -> Reply:
        """models.listVersions."""
        versions, token = self.backend.list_versions(f"{parent}/models/{model}", request.args)
        return 200, _listing("models", versions, token)

    def merge_aliases(self, request: Request, body: Any, parent: str, model: str) -> Reply:
        """models.mergeVersionAliases."""
        return 200, self.backend.merge_version_aliases(f"{parent}/models/{model}", body)

    def delete_version(self, request: Request, body: Any, parent: str, model: str) -> Reply:
        """models.deleteVersion."""
        return 200, self.backend.delete_version(f"{parent}/models/{model}").accepted()

    def get_model(self, request: Request, body: Any, parent: str, model: str) -> Reply:
        """models.get, of the default version or of ``@version``."""
        return 200, self.backend.get_model(f"{parent}/models/{model}")

    def patch_model(self, request: Request, body: Any, parent: str, model: str) -> Reply:
        """models.patch: the fields ``updateMask`` names (labels, display name, description)."""
        name = f"{parent}/models/{model}"
        return 200, self.backend.patch_model(name, body, request.args.get("updateMask"))

    def delete_model(self, request: Request, body: Any, parent: str, model: str) -> Reply:
        """models.delete."""
        return 200, self.backend.delete_model(f"{parent}/models/{model}").accepted()

    # Endpoints

    def create_endpoint(self, request: Request, body: Any, parent: str) -> Reply:
        """endpoints.create, under ``endpointId`` if given."""
        # The REST transport sends the request's endpoint_id as a query parameter.
        endpoint_id = request.args.get("endpointId") or request.args.get("endpoint_id")
        operation = self.backend.create_endpoint(parent, body, endpoint_id)
        return 200, operation.accepted()

    def list_endpoints(self, request: Request, body: Any, parent: str) -> Reply:
        """endpoints.list, filtered and paged."""
        endpoints, token = self.backend.list_endpoints(parent, request.args)
        return 200, _listing("endpoints", endpoints, token)

    def get_endpoint(self, request: Request, body: Any, parent: str, endpoint: str) -> Reply:
        """endpoints.get."""
        return 200, self.backend.get_endpoint(f"{parent}/endpoints/{endpoint}")

    def patch_endpoint(self, request: Request, body: Any, parent: str, endpoint: str) -> Reply:
        """endpoints.patch: the fields ``updateMask`` names (labels, display name, description)."""
        name = f"{parent}/endpoints/{endpoint}"
        return 200, self.backend.patch_endpoint(name, body, request.args.get("updateMask"))

    def delete_endpoint(self, request: Request, body: Any, parent: str, endpoint: str) -> Reply:
        """endpoints.delete."""
        return 200, self.backend.delete_endpoint(f"{parent}/endpoints/{endpoint}").accepted()

    def deploy_model(self, request: Request, body: Any, parent: str, endpoint: str) -> Reply:
        """endpoints.deployModel."""
        operation = self.backend.deploy_model(f"{parent}/endpoints/{endpoint}", body)
        return 200, operation.accepted()

    def undeploy_model(self, request: Request, body: Any, parent: str, endpoint: str) -> Reply:
        """endpoints.undeployModel."""
        operation = self.backend.undeploy_model(f"{parent}/endpoints/{endpoint}", body)
        return 200, operation.accepted()

    def predict(self, request: Request, body: Any, parent: str, endpoint: str) -> Reply:
        """endpoints.predict."""
        return 200, self.backend.predict(f"{parent}/endpoints/{endpoint}", body)

    # Operations

    def get_operation(self, request: Request, body: Any, name: str) -> Reply:
        """operations.get, of a model's, an endpoint's or a location's operation."""
        return 200, self.backend.operations.get(name).resource()


def _listing(key: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {key: items} if items else {}
    if token:
        body["nextPageToken"] = token
    return body


@cache
def _discovery() -> DiscoveryDocument:
    return DiscoveryDocument.load("aiplatform.v1")


def _checked(schema: str, body: Any) -> Any:
    """The body, if it fits the method's request schema; InvalidArgument naming what does not."""
    document = _discovery()
    problems = document.check(SCHEMA_PREFIX + schema, body, request=True)
    if problems:
        # The REST transport sends enums as numbers (proto3 JSON takes either, e.g. a machine
        # spec's acceleratorType), where the document lists names: check again with names.
        body = _enum_names(_proto_type(schema).DESCRIPTOR, body)
        problems = document.check(SCHEMA_PREFIX + schema, body, request=True)
    if problems:
        raise InvalidArgument(f"Invalid JSON payload received. {problems[0]}")
    return document.normalize(SCHEMA_PREFIX + schema, body)


def _proto_type(schema: str) -> Any:
    from google.cloud.aiplatform_v1 import types

    return getattr(types, schema).pb()


def _enum_names(message: Any, value: Any) -> Any:
    """A request body with its enum numbers as names, by the message's proto descriptor."""
    if not isinstance(value, dict) or message.full_name.startswith("google.protobuf."):
        return value
    fields = {**message.fields_by_name, **{f.json_name: f for f in message.fields}}
    named = {}
    for key, member in value.items():
        field = fields.get(key)
        if field is None:
            named[key] = member  # the discovery check names the stray member
        elif field.message_type is not None and field.message_type.GetOptions().map_entry:
            inner = field.message_type.fields_by_name["value"]
            named[key] = {k: _named(inner, v) for k, v in (member or {}).items()}
        elif isinstance(member, list):
            named[key] = [_named(field, item) for item in member]
        else:
            named[key] = _named(field, member)
    return named


def _named(field: Any, value: Any) -> Any:
    if field.enum_type is not None and type(value) is int:
        known = field.enum_type.values_by_number.get(value)
        return known.name if known else value
    if field.message_type is not None:
        return _enum_names(field.message_type, value)
    return value


def _json_body(request: Request) -> Any:
    data = request.get_data()
    if not data.strip():
        return {}
    try:
        return load_json(data)
    except RefusedBody as refused:
        if refused.problem == "too_deep":
            raise InvalidArgument(f"Invalid JSON payload received. {refused.message}") from None
        raise InvalidArgument(
            "Invalid JSON payload received. The request body is not JSON"
        ) from None
