"""Which requests upload to S3 or Cloud Storage, and how many bytes of data each one sends.

Read from the HTTP request, below every SDK, like the ledger's creations. The upload paths:

- **S3**: a PUT of an object (PutObject, UploadPart) signed with SigV4 in its headers, or
  presigned (SigV4 or SigV2 in the query string, no Authorization header); a presigned POST
  form (its ``policy`` and signature fields).
- **Cloud Storage**: the JSON API's uploads (``/upload/storage/v1/b/...``: media, multipart and
  each chunk of a resumable upload); the XML API's PUTs of an object (signed URLs, resumable
  chunks, the parts of an XML multipart upload), to ``storage.googleapis.com`` or the host
  ``STORAGE_EMULATOR_HOST`` names; a POST policy form.

A request that only starts an upload (a resumable session: its body is the object's metadata)
is no upload. The size is what the request sends of the object's data:

- a body in memory, by its length; a multipart body (a form, Cloud Storage's multipart upload)
  by its data parts alone, without the metadata, form fields and boundaries;
- aws-chunked (boto3's uploads over HTTPS), by ``x-amz-decoded-content-length``, the object's
  bytes without the chunk framing;
- a stream with ``Content-Length``, by that length, which is what the connection sends of it;
- a stream of unknown length (``Transfer-Encoding: chunked``: a generator, a pipe, aws-chunked
  without a decoded length), by ``None``: :func:`metered` counts its blocks as they are sent.
"""

from __future__ import annotations

import email.message
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

S3 = "S3"
CLOUD_STORAGE = "Cloud Storage"

_STORAGE_HOST = re.compile(r"(?:^|\.)storage\.googleapis\.com$")
_S3_HOST = re.compile(r"(?:^|\.)s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$")
_FILE_PART = re.compile(rb"\bname=\"?file\"?(?:;|\s|$)|\bfilename\*?=", re.IGNORECASE)


@dataclass(frozen=True)
class Upload:
    """An upload request: where its data goes and how many bytes (None: counted as sent)."""

    where: str
    size: int | None


def recognise(method: str, url: str, headers: Mapping[str, Any], body: Any) -> Upload | None:
    """The upload ``method url`` makes with this body, or None if it uploads nothing."""
    parts = urlsplit(url)
    data = body_bytes(body)
    where = _destination(method.upper(), parts, headers, data)
    if where is None:
        return None
    return Upload(where, _size(headers, body, data))


def body_bytes(body: Any) -> bytes | None:
    """A body held in memory as bytes; None for a stream (a file or an iterable of blocks)."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    return None


def metered(body: Any, count: Callable[[int], None]) -> Any:
    """``body``, sent as before, with ``count`` told each block's size before the block goes.

    ``count`` may raise: the block is not sent and the request breaks off unfinished, so the
    service never stores the object.
    """
    if hasattr(body, "read"):
        return _MeteredReader(body, count)
    return _metered_blocks(body, count)


class _MeteredReader:
    """A file-like body whose reads are counted; everything else is the file's own."""

    def __init__(self, stream: Any, count: Callable[[int], None]) -> None:
        self._stream = stream
        self._count = count

    def read(self, *args: Any) -> bytes:
        block = self._stream.read(*args)
        if isinstance(block, str):  # a text file: urllib3 would send it as UTF-8
            block = block.encode("utf-8")
        if block:
            self._count(len(block))
        return block

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _metered_blocks(blocks: Iterable[Any], count: Callable[[int], None]) -> Iterator[Any]:
    for block in blocks:
        if isinstance(block, str):
            block = block.encode("utf-8")
        if block:
            count(memoryview(block).nbytes)
        yield block


def _destination(
    method: str, parts: Any, headers: Mapping[str, Any], data: bytes | None
) -> str | None:
    path = unquote(parts.path)
    query = {name.lower(): value for name, value in parse_qsl(parts.query, True)}
    if path.startswith("/upload/storage/v1/b/") and method in ("POST", "PUT"):
        starts_session = query.get("uploadtype") == "resumable" and "upload_id" not in query
        return None if starts_session else CLOUD_STORAGE
    authorization = header(headers, "authorization") or ""
    storage = _is_storage_host(parts)
    if storage and path.startswith("/storage/v1/"):
        return None  # the JSON API's metadata: a bucket's or an object's settings, no data
    if method == "PUT" and _names_object(parts, path) and not header(headers, "x-amz-target"):
        google_signed = bool({"x-goog-signature", "googleaccessid"} & set(query))
        if storage or google_signed or authorization.startswith("GOOG"):
            return CLOUD_STORAGE
        if authorization.startswith("AWS") or _aws_presigned(query):
            return S3
        return None
    content_type = (header(headers, "content-type") or "").lower()
    if method == "POST" and content_type.startswith("multipart/form-data") and not authorization:
        return _form_destination(parts, storage, data, content_type)
    return None


def _form_destination(
    parts: Any, storage: bool, data: bytes | None, content_type: str
) -> str | None:
    """A browser-style POST form upload: S3's presigned POST or Cloud Storage's POST policy."""
    if data is None:  # streamed: its fields cannot be read, so its host says where it goes
        return CLOUD_STORAGE if storage else S3 if _is_s3_host(parts) else None
    fields = {
        _field_name(head): data[start:end]
        for head, start, end in _multipart(data, content_type) or []
        if not _FILE_PART.search(head)
    }
    if "policy" not in fields:
        return None
    if storage or {"x-goog-signature", "googleaccessid"} & set(fields):
        return CLOUD_STORAGE
    if {"x-amz-signature", "signature"} & set(fields):
        return S3
    return None


def _size(headers: Mapping[str, Any], body: Any, data: bytes | None) -> int | None:
    decoded = header(headers, "x-amz-decoded-content-length")
    if decoded is not None and decoded.strip().isdigit():
        return int(decoded)
    if data is not None:
        content_type = (header(headers, "content-type") or "").lower()
        parts = _multipart(data, content_type) if content_type.startswith("multipart/") else None
        if not parts:
            return len(data)
        if content_type.startswith("multipart/form-data"):
            return sum(end - start for head, start, end in parts if _FILE_PART.search(head))
        # multipart/related (Cloud Storage's multipart upload): the metadata, then the media.
        return sum(end - start for _, start, end in parts[1:])
    if "chunked" in (header(headers, "transfer-encoding") or "").lower():
        return None if body is not None else 0
    declared = header(headers, "content-length")
    if declared is not None and declared.strip().isdigit():
        return int(declared)
    return None if body is not None else 0


def _multipart(data: bytes, content_type: str) -> list[tuple[bytes, int, int]] | None:
    """Each part of a multipart body: its headers, and where its content starts and ends."""
    message = email.message.Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        return None
    delimiter = b"--" + boundary.encode("latin-1")
    found: list[tuple[bytes, int, int]] = []
    position = data.find(delimiter)
    while position != -1:
        position += len(delimiter)
        if data[position : position + 2] == b"--":  # the closing delimiter
            return found
        head_end = data.find(b"\r\n\r\n", position)
        following = data.find(b"\r\n" + delimiter, head_end + 4) if head_end != -1 else -1
        if following == -1:
            return None  # not a well-formed body: it is counted whole
        found.append((data[position:head_end], head_end + 4, following))
        position = following + 2
    return None


def _field_name(head: bytes) -> str:
    match = re.search(rb"\bname=\"([^\"]*)\"", head, re.IGNORECASE)
    return match.group(1).decode("latin-1").lower() if match else ""


def _names_object(parts: Any, path: str) -> bool:
    host = (parts.hostname or "").lower()
    segments = [segment for segment in path.split("/") if segment]
    virtual = ".s3." in host or ".s3-" in host or host.endswith(".storage.googleapis.com")
    return len(segments) >= (1 if virtual else 2)


def _aws_presigned(query: Mapping[str, str]) -> bool:
    return "x-amz-signature" in query or {"awsaccesskeyid", "signature"} <= set(query)


def _is_storage_host(parts: Any) -> bool:
    if _STORAGE_HOST.search((parts.hostname or "").lower()):
        return True
    return _same_host(parts, os.environ.get("STORAGE_EMULATOR_HOST"))


def _is_s3_host(parts: Any) -> bool:
    if _S3_HOST.search((parts.hostname or "").lower()):
        return True
    return any(
        _same_host(parts, os.environ.get(name))
        for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
    )


def _same_host(parts: Any, endpoint: str | None) -> bool:
    if not endpoint:
        return False
    named = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    named_port = named.port or (443 if named.scheme == "https" else 80)
    return (parts.hostname or "").lower() == (named.hostname or "").lower() and port == named_port


def header(headers: Mapping[str, Any], name: str) -> str | None:
    """The value of the header ``name`` (lower case), as text; None if it is not there."""
    for key, value in headers.items():
        if str(key).lower() == name:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None
