"""The AWS sandbox's front door: requests held to AWS's rules before moto sees them.

moto trusts its input: malformed XML to S3 is a 500 (its parser's exception), a SageMaker
request without its required members is carried out with ``None`` for them (an empty
``CreateModelPackageGroup`` makes a group named "None"), and a body nested deep enough is a
RecursionError. Here each request to S3, SageMaker and CloudWatch is checked first and, if
AWS would refuse it, refused in that service's own format:

- S3 (REST-XML): request documents (bucket configuration, DeleteObjects, multipart completion)
  must be well-formed XML without a DOCTYPE, nested at most 100 deep (``MalformedXML``), and a
  bucket policy JSON (``MalformedPolicy``); bucket names keep S3's rules at creation
  (``InvalidBucketName``), keys fit 1024 bytes (``KeyTooLongError``), paging arguments are
  integers in range (``InvalidArgument``); an object body is at most 5 GiB, S3's limit for a
  single PUT (``EntityTooLarge``).
- SageMaker (JSON 1.1) and CloudWatch (RPC v2 CBOR, or JSON 1.0): the operation must exist
  (``UnknownOperationException``), the body must parse (``SerializationException``) and fit
  the operation's input shape in botocore's model: required members, types, lengths, ranges,
  enums, patterns (``ValidationException``; CloudWatch's ``ValidationError``). A CloudWatch
  request is at most 1 MB, as CloudWatch states; a SageMaker one at most 10 MiB (AWS states
  none), both refused with 413 ``RequestEntityTooLarge``.
"""

from __future__ import annotations

import ipaddress
import json
import re
import struct
import uuid
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from .aws_shapes import ShapeError, check
from .request_guard import RefusedBody, load_json, nesting_exceeds, read_body, too_deep, xml_problem

S3_MAX_OBJECT_BYTES = 5 * 1024**3
# DeleteObjects of 1000 keys of 1024 bytes each, the largest S3 document, fits.
S3_MAX_DOCUMENT_BYTES = 2 * 1024**2
S3_MAX_KEY_BYTES = 1024
CLOUDWATCH_MAX_BYTES = 1024 * 1024
SAGEMAKER_MAX_BYTES = 10 * 1024 * 1024
CLOUDWATCH_PREFIX = "GraniteServiceVersion20100801"
_CBOR_PATH = re.compile(rf"^/service/{CLOUDWATCH_PREFIX}/operation/([A-Za-z0-9]+)$")
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d+/[^/,\s]+/([^/,\s]+)/aws4_request")
# Sub-resources whose PUT or POST body is an XML document (the rest carry object data).
_XML_SUBRESOURCES = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "delete",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "versioning",
    "website",
}
_BODY_REQUIRED = {
    "cors",
    "delete",
    "encryption",
    "lifecycle",
    "ownershipControls",
    "publicAccessBlock",
    "replication",
    "tagging",
    "versioning",
    "website",
}
# Paging arguments: (lowest value, the argument's name in S3's range message).
_S3_INTEGERS = {
    "max-keys": (0, "maxKeys"),
    "max-uploads": (0, "maxUploads"),
    "max-parts": (0, "maxParts"),
    "part-number-marker": (0, "partNumberMarker"),
    "max-buckets": (1, "maxBuckets"),
}
_INT_MAX = 2**31 - 1


class Refusal(Exception):
    """A request answered with an error in its service's format, before moto sees it."""

    def __init__(self, status: int, code: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


class AwsGuard:
    """WSGI middleware in front of moto's application."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        service = _service(environ)
        try:
            if service == "s3":
                _check_s3(environ)
            elif service == "sagemaker":
                _check_json(environ, "sagemaker", SAGEMAKER_MAX_BYTES)
            elif service == "monitoring":
                _check_cloudwatch(environ)
        except Refusal as refusal:
            return _answer(service, environ, refusal)(environ, start_response)
        return self.app(environ, start_response)


def _service(environ: dict[str, Any]) -> str | None:
    """The AWS service a request is for, as moto will dispatch it (None: leave it to moto)."""
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api") or path.startswith("/latest/"):
        return None
    found = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found is None:
        found = re.search(r"/\d+/[^/]+/([^/]+)/aws4_request", environ.get("QUERY_STRING", ""))
    if found:
        return found.group(1).lower()
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target.startswith("SageMaker."):
        return "sagemaker"
    if target.startswith(CLOUDWATCH_PREFIX + ".") or _CBOR_PATH.match(path):
        return "monitoring"
    if target or "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        return None  # another JSON or query-protocol service: moto works it out
    return "s3"  # moto's own default for an unsigned request


# S3


def _check_s3(environ: dict[str, Any]) -> None:
    method = environ.get("REQUEST_METHOD", "GET")
    query = _query(environ.get("QUERY_STRING", ""))
    query.pop("x-id", None)  # some SDKs name the operation in the query: no sub-resource
    bucket, key = _bucket_and_key(environ)
    _check_s3_integers(query)
    if method not in ("PUT", "POST"):
        return
    if key and (method == "PUT" or "uploads" in query or "uploadId" in query):
        size = len(key.encode("utf-8", "surrogatepass"))
        if size > S3_MAX_KEY_BYTES:
            raise Refusal(
                400,
                "KeyTooLongError",
                "Your key is too long",
                Size=size,
                MaxSizeAllowed=S3_MAX_KEY_BYTES,
            )
    document = (
        any(name in _XML_SUBRESOURCES for name in query)
        or "policy" in query
        or (method == "PUT" and bucket and not key and not query)
        or (method == "POST" and key and "uploadId" in query)
    )
    if not document:
        declared = environ.get("HTTP_X_AMZ_DECODED_CONTENT_LENGTH") or environ.get("CONTENT_LENGTH")
        size = int(declared) if str(declared or "").isdigit() else 0
        if size > S3_MAX_OBJECT_BYTES:
            raise Refusal(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=size,
                MaxSizeAllowed=S3_MAX_OBJECT_BYTES,
            )
        return
    if method == "PUT" and bucket and not key and not query and bucket_name_problem(bucket):
        raise Refusal(
            400, "InvalidBucketName", "The specified bucket is not valid.", BucketName=bucket
        )
    try:
        body = read_body(environ, S3_MAX_DOCUMENT_BYTES)
    except RefusedBody:
        raise Refusal(400, "MaxMessageLengthExceeded", "Your request was too big.") from None
    if not body.strip():
        required = _BODY_REQUIRED | ({"uploadId"} if method == "POST" else set())
        if any(name in required for name in query):
            raise Refusal(400, "MissingRequestBodyError", "Request Body is empty")
    elif "policy" in query:
        _check_policy(body)
    elif xml_problem(body):
        raise Refusal(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            "published schema",
        )


def bucket_name_problem(name: str) -> str | None:
    """Why S3 refuses to create a bucket named ``name`` (None when it keeps the rules)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name):
        return (
            "3-63 lower-case letters, digits, dots and hyphens, starting and ending with a "
            "letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        return "no two adjacent periods, and no period next to a hyphen"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return "not formatted as an IP address"
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(
        ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
    ):
        return "a prefix or suffix S3 reserves"
    return None


def _check_policy(body: bytes) -> None:
    try:
        policy = load_json(body)
    except RefusedBody:
        policy = None
    if not isinstance(policy, dict) or not body.lstrip().startswith(b"{"):
        raise Refusal(
            400, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'"
        )


def _check_s3_integers(query: dict[str, str]) -> None:
    for name, (lowest, camel) in _S3_INTEGERS.items():
        if name not in query:
            continue
        text = query[name]
        if not re.fullmatch(r"-?\d{1,19}", text.strip()) or not (-(2**31) <= int(text) <= _INT_MAX):
            raise Refusal(
                400,
                "InvalidArgument",
                f"Provided {name} not an integer or within integer range",
                ArgumentName=name,
                ArgumentValue=text,
            )
        if int(text) < lowest:
            raise Refusal(
                400,
                "InvalidArgument",
                f"Argument {camel} must be an integer between {lowest} and {_INT_MAX}",
                ArgumentName=name,
                ArgumentValue=text,
            )
    if "partNumber" in query:
        text = query["partNumber"]
        if not re.fullmatch(r"\d{1,5}", text.strip()) or not 1 <= int(text) <= 10000:
            raise Refusal(
                400,
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
                ArgumentName="partNumber",
                ArgumentValue=text,
            )


def _bucket_and_key(environ: dict[str, Any]) -> tuple[str, str]:
    """The bucket and key of a path-style request (empty for a virtual-hosted one)."""
    host = (environ.get("HTTP_HOST") or "").rsplit(":", 1)[0].strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host not in ("localhost", ""):
            return "", ""
    path = environ.get("PATH_INFO", "").lstrip("/")
    bucket, _, key = path.partition("/")
    return bucket, key


def _query(text: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(text, keep_blank_values=True))


# SageMaker and CloudWatch


def _check_cloudwatch(environ: dict[str, Any]) -> None:
    found = _CBOR_PATH.match(environ.get("PATH_INFO", ""))
    if found:
        _check_cbor(environ, found.group(1))
    elif environ.get("HTTP_X_AMZ_TARGET"):
        _check_json(environ, "cloudwatch", CLOUDWATCH_MAX_BYTES)
    else:  # the query protocol: only its size is checked
        _read(environ, CLOUDWATCH_MAX_BYTES)


def _check_json(environ: dict[str, Any], service: str, limit: int) -> None:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    operation = _operation(service, target.partition(".")[2])
    body = _read(environ, limit)
    try:
        request = load_json(body) if body.strip() else {}
    except RefusedBody as refused:
        raise Refusal(400, "SerializationException", refused.message) from None
    _check_input(service, operation, request)


def _check_cbor(environ: dict[str, Any], name: str) -> None:
    from moto.core import cbor

    operation = _operation("cloudwatch", name)
    body = _read(environ, CLOUDWATCH_MAX_BYTES)
    try:
        request = cbor.loads(body) if body else {}
    except RecursionError:
        raise Refusal(400, "SerializationException", too_deep().message) from None
    except (cbor.CBORDecodeError, ValueError, IndexError, struct.error) as error:
        raise Refusal(400, "SerializationException", f"Unable to parse CBOR: {error}") from None
    if nesting_exceeds(request):
        raise Refusal(400, "SerializationException", too_deep().message)
    _check_input("cloudwatch", operation, request)


def _read(environ: dict[str, Any], limit: int) -> bytes:
    try:
        return read_body(environ, limit)
    except RefusedBody as refused:
        raise Refusal(413, "RequestEntityTooLarge", refused.message) from None


def _operation(service: str, name: str) -> str:
    if name not in _model(service).operation_names:
        raise Refusal(400, "UnknownOperationException", f"Operation {name!r} is not known")
    return name


def _check_input(service: str, operation: str, request: Any) -> None:
    shape = _model(service).operation_model(operation).input_shape
    validation = "ValidationError" if service == "cloudwatch" else "ValidationException"
    if shape is None:
        return
    try:
        check(shape, request, validation=validation)
    except ShapeError as error:
        raise Refusal(400, error.type_name, error.message) from None


@cache
def _model(service: str) -> Any:
    from botocore.loaders import create_loader
    from botocore.model import ServiceModel

    return ServiceModel(create_loader().load_service_model(service, "service-2"), service)


# Answers


def _answer(service: str | None, environ: dict[str, Any], refusal: Refusal) -> Any:
    from werkzeug.wrappers import Response

    request_id = uuid.uuid4().hex.upper()[:16]
    if service == "s3":
        extra = "".join(
            f"<{name}>{_xml_text(value)}</{name}>" for name, value in refusal.fields.items()
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{refusal.code}</Code><Message>{_xml_text(refusal.message)}</Message>"
            f"{extra}<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )
        return Response(
            body,
            status=refusal.status,
            content_type="application/xml",
            headers={"x-amz-request-id": request_id},
        )
    error = {"__type": refusal.code, "message": refusal.message}
    headers = {"x-amzn-RequestId": request_id}
    if _CBOR_PATH.match(environ.get("PATH_INFO", "")):
        from moto.core import cbor

        headers["smithy-protocol"] = "rpc-v2-cbor"
        headers["x-amzn-query-error"] = f"{refusal.code};Sender"
        return Response(
            cbor.dumps(error),
            status=refusal.status,
            content_type="application/cbor",
            headers=headers,
        )
    version = "1.0" if service == "monitoring" else "1.1"
    return Response(
        json.dumps(error),
        status=refusal.status,
        content_type=f"application/x-amz-json-{version}",
        headers=headers,
    )


def _xml_text(value: Any) -> str:
    # XML 1.0 cannot carry most control characters, not even escaped: they show as U+FFFD.
    return escape(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", str(value)))
