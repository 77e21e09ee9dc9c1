"""Google API discovery documents: find the method a request called, hold a body to its schema.

The documents ship inside the google-api-python-client wheel, so checking a sandbox's answers
against the real API's published shapes needs no network. One document serves any sandbox of
a Google API (BigQuery v2, Cloud Storage v1, Vertex AI v1).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

DOCUMENTS_PACKAGE = "googleapiclient.discovery_cache.documents"
_INTEGER_TEXT = re.compile(r"-?\d+")
_UNSIGNED_TEXT = re.compile(r"\d+")
# Keys of the JSON error envelope every Google REST API answers with (google.rpc.Status over HTTP).
_ERROR_KEYS = {"code", "message", "errors", "status", "details"}
_ERROR_ITEM_KEYS = {"message", "domain", "reason", "location", "locationType", "debugInfo"}
# The range of each integer format, as protocol buffers hold them.
_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}


@dataclass(frozen=True)
class Method:
    """One REST method of a discovery document: its id, HTTP verb, path and body schemas."""

    id: str
    http_method: str
    path: re.Pattern[str]
    request: str | None
    response: str | None
    # Query parameters by name, each its discovery spec (type, format, enum).
    parameters: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


class DiscoveryDocument:
    """One API's discovery document, with a checker for the bodies its methods exchange."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.schemas: dict[str, Any] = document["schemas"]
        self.service_path = "/" + document["servicePath"].strip("/")
        self.methods = list(_methods(document["resources"]))
        self._nulls = False

    @classmethod
    @cache
    def load(cls, name: str) -> DiscoveryDocument:
        """The document named like its file, e.g. ``bigquery.v2`` (cached)."""
        text = resources.files(DOCUMENTS_PACKAGE).joinpath(f"{name}.json").read_text("utf-8")
        return cls(json.loads(text))

    def find_method(self, http_method: str, path: str) -> Method | None:
        """The method a request for ``path`` (with or without the service path) calls."""
        upload = re.match(r"^/(?:resumable/)?upload(/.*)$", path)
        if upload:
            path = upload.group(1)
            # A resumable session's PUTs carry on the POST that opened it.
            http_method = "POST" if http_method.upper() == "PUT" else http_method
        if path.startswith(self.service_path + "/"):
            path = path[len(self.service_path) :]
        for method in self.methods:
            if method.http_method == http_method.upper() and method.path.fullmatch(path):
                return method
        return None

    def check(self, schema: str, value: Any, *, request: bool = False) -> list[str]:
        """Every way ``value`` breaks the named schema: unknown keys, wrong types, bad enums."""
        # A request is read as Google's front ends read it: any member may be null (unset),
        # and a string member may come as a JSON number (the client sends FLOAT64 query
        # parameter values so), an integer member as a string.
        problems: list[str] = []
        self._nulls = request
        self._check({"$ref": schema}, value, schema, problems)
        return problems

    def check_parameters(self, method: Method, arguments: Any) -> list[str]:
        """Every query argument that breaks its parameter's type, as Google's front ends say it.

        ``arguments`` maps names to values (a werkzeug MultiDict or a dict of lists); names
        the method does not list are left to the sandbox.
        """
        problems = []
        for name, spec in method.parameters.items():
            values = arguments.getlist(name) if hasattr(arguments, "getlist") else []
            for value in values:
                problem = _parameter_problem(name, spec, value)
                if problem:
                    problems.append(problem)
        return problems

    def normalize(self, schema: str, value: Any) -> Any:
        """A request body as the service keeps and echoes it: nulls dropped, types canonical."""
        return self._normalize({"$ref": schema}, value)

    def _normalize(self, spec: dict[str, Any], value: Any) -> Any:
        if "$ref" in spec:
            spec = self.schemas[spec["$ref"]]
        kind = spec.get("type")
        if isinstance(value, dict) and (kind == "object" or "properties" in spec):
            properties = spec.get("properties", {})
            extra = spec.get("additionalProperties")
            out = {}
            for key, member in value.items():
                if member is None and key in properties:
                    continue  # an unset member; a map's null values (labels to remove) stay
                inner = properties.get(key, extra)
                out[key] = self._normalize(inner, member) if inner is not None else member
            return out
        if isinstance(value, list) and kind == "array":
            return [self._normalize(spec["items"], item) for item in value if item is not None]
        if kind == "integer" and isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
            return int(value)
        if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
            return json.dumps(value)
        return value

    def check_error(self, value: Any) -> list[str]:
        """Every way ``value`` breaks the JSON error envelope Google REST APIs answer with."""
        if not isinstance(value, dict) or set(value) != {"error"}:
            return ["an error body is an object with the single key 'error'"]
        error = value["error"]
        if not isinstance(error, dict):
            return ["error must be an object"]
        problems = [
            f"error.{key} is not a key of the error envelope"
            for key in error
            if key not in _ERROR_KEYS
        ]
        if not isinstance(error.get("code"), int) or not isinstance(error.get("message"), str):
            problems.append("error.code must be an integer and error.message a string")
        for index, item in enumerate(error.get("errors", [])):
            if not isinstance(item, dict):
                problems.append(f"error.errors[{index}] must be an object")
                continue
            unknown = set(item) - _ERROR_ITEM_KEYS
            if unknown:
                problems.append(f"error.errors[{index}] has unknown keys {sorted(unknown)}")
            wrong = [key for key, text in item.items() if not isinstance(text, str)]
            if wrong:
                problems.append(f"error.errors[{index}] has non-string values at {wrong}")
        if "status" in error and not isinstance(error["status"], str):
            problems.append("error.status must be a string")
        return problems

    def _check(self, spec: dict[str, Any], value: Any, path: str, problems: list[str]) -> None:
        if value is None and self._nulls:
            return
        if "$ref" in spec:
            spec = self.schemas[spec["$ref"]]
        kind = spec.get("type")
        if kind == "any" or (kind is None and "properties" not in spec):
            return
        if kind == "object" or "properties" in spec:
            self._check_object(spec, value, path, problems)
        elif kind == "array":
            if not isinstance(value, list):
                problems.append(f"{path} should be an array, got {type(value).__name__}")
                return
            for index, item in enumerate(value):
                self._check(spec["items"], item, f"{path}[{index}]", problems)
        elif kind == "string":
            if self._nulls and isinstance(value, int | float) and not spec.get("enum"):
                value = json.dumps(value)
            problem = _string_problem(spec, value)
            if problem:
                problems.append(f"{path} {problem}")
            elif spec.get("format") in _RANGES:
                problem = _range_problem(spec["format"], int(value), path)
                if problem:
                    problems.append(problem)
        elif kind == "integer":
            if self._nulls and isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
                value = int(value)  # proto3 JSON reads integers from strings too
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append(f"{path} should be a JSON integer, got {value!r}")
            else:
                problem = _range_problem(spec.get("format"), value, path)
                if problem:
                    problems.append(problem)
        elif kind == "number":
            if not isinstance(value, int | float) or isinstance(value, bool):
                problems.append(f"{path} should be a JSON number, got {value!r}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                problems.append(f"{path} should be a JSON boolean, got {value!r}")
        else:
            problems.append(f"{path}: the checker knows no schema type {kind!r}")

    def _check_object(
        self, spec: dict[str, Any], value: Any, path: str, problems: list[str]
    ) -> None:
        if not isinstance(value, dict):
            problems.append(f"{path} should be an object, got {type(value).__name__}")
            return
        properties = spec.get("properties", {})
        extra = spec.get("additionalProperties")
        for key, member in value.items():
            if key in properties:
                self._check(properties[key], member, f"{path}.{key}", problems)
            elif extra is not None:
                self._check(extra, member, f"{path}.{key}", problems)
            else:
                problems.append(f"{path}.{key} is not a property of the schema")


def _string_problem(spec: dict[str, Any], value: Any) -> str | None:
    if not isinstance(value, str):
        return f"should be a JSON string, got {value!r}"
    fmt = spec.get("format")
    # 64-bit integers travel as decimal strings, since JSON numbers lose their precision.
    if fmt == "int64" and not _INTEGER_TEXT.fullmatch(value):
        return f"should be an int64 in a string, got {value!r}"
    if fmt == "uint64" and not _UNSIGNED_TEXT.fullmatch(value):
        return f"should be a uint64 in a string, got {value!r}"
    if fmt == "byte":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return f"should be base64, got {value!r}"
    if fmt == "google-datetime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return f"should be an RFC 3339 timestamp, got {value!r}"
    if spec.get("enum") and value not in spec["enum"]:
        return f"is {value!r}, not one of {spec['enum']}"
    return None


def _fits(fmt: str | None, number: int) -> bool:
    low, high = _RANGES.get(fmt or "", (None, None))
    return low is None or low <= number <= high  # type: ignore[operator]


def _range_problem(fmt: str | None, number: int, path: str) -> str | None:
    if _fits(fmt, number):
        return None
    return f"Invalid value at '{_proto_path(path)}' (TYPE_{(fmt or '').upper()}), {number}"


def _proto_path(path: str, *, schema: bool = True) -> str:
    """A checker path (``QueryRequest.maxResults``) as protobuf names it (``max_results``)."""
    members = (path.split(".")[1:] if schema else path.split(".")) or [path]
    return ".".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", member).lower() for member in members)


def _parameter_problem(name: str, spec: dict[str, Any], value: str) -> str | None:
    """Why a query argument does not fit its parameter (None if it does), in Google's words."""
    kind, fmt = spec.get("type"), spec.get("format")
    where = _proto_path(name, schema=False)
    if kind == "integer" or fmt in _RANGES:
        fmt = fmt or "int32"
        text = value.strip()
        number = int(text) if _INTEGER_TEXT.fullmatch(text) else None
        low, high = spec.get("minimum"), spec.get("maximum")
        if (
            number is None
            or not _fits(fmt, number)
            or (low is not None and number < int(low))
            or (high is not None and number > int(high))
        ):
            return f"Invalid value at '{where}' (TYPE_{fmt.upper()}), \"{value}\""
    elif kind == "boolean" and value.lower() not in ("true", "false", "1", "0"):
        return f"Invalid value at '{where}' (TYPE_BOOL), \"{value}\""
    elif spec.get("enum") and value not in spec["enum"]:
        return f"Invalid value at '{where}' (TYPE_ENUM), \"{value}\""
    return None


def _methods(resources_: dict[str, Any]) -> list[Method]:
    found = []
    for resource in resources_.values():
        for spec in resource.get("methods", {}).values():
            template = spec.get("flatPath", spec["path"])
            # Path parameters match one segment; a ':verb' suffix stays literal.
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape("/" + template))
            found.append(
                Method(
                    id=spec["id"],
                    http_method=spec["httpMethod"],
                    path=re.compile(pattern),
                    request=spec.get("request", {}).get("$ref"),
                    response=spec.get("response", {}).get("$ref"),
                    parameters={
                        name: parameter
                        for name, parameter in spec.get("parameters", {}).items()
                        if parameter.get("location") == "query"
                    },
                )
            )
        found.extend(_methods(resource.get("resources", {})))
    # A literal path ('.../jobs/{id}/cancel') must win over a shorter template it also fits.
    return sorted(found, key=lambda m: -len(m.path.pattern))
