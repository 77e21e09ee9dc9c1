"""Replayed reads of an object this run uploaded answer with the bytes this run uploaded.

An upload matches its recording by content (``data_files``), so another writer release may send
other bytes, of another size, for the same rows. A store holds what was sent: a later GET, HEAD
or listing of that object answers here with this run's bytes, their length, MD5 ETag and
checksums, as S3 would, not with the recording's. Followed: S3 PUTs of a whole object (the
labs' data files). Not followed, so read back as recorded: S3 multipart uploads and Cloud
Storage uploads (multipart or resumable: the object is one part of the body).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .bodies import as_bytes, as_text, header, parse_digest, request_body
from .matching import differences, normalise_body, normalise_path

_MD5_HEX = re.compile(r"[0-9a-f]{32}")
_CONTENTS = re.compile(r"<Contents>.*?</Contents>", re.DOTALL)


@dataclass(frozen=True)
class Upload:
    """A recorded upload: where it went, what is compared, and the digests of its bytes."""

    method: str
    path: str
    body: Any
    sha256: str
    size: int
    md5: str | None


class Uploads:
    """One cassette's recorded uploads, and the bytes this run sent in place of each."""

    def __init__(self) -> None:
        self._recorded: dict[tuple[str, str], list[Upload]] = {}
        self._sent: dict[str, tuple[Upload, bytes]] = {}  # recorded sha256 -> (it, this run's)

    def note_recorded(self, request: Any, response: Any) -> Any:
        """Remember a recorded upload; the response comes back ready to answer for new bytes."""
        if _is_upload(request):
            data = request_body(request)
            stored = parse_digest(data)
            if stored is not None:
                sha256, size, md5 = stored[0], stored[1], _etag_md5(response)
            else:
                sha256, size = hashlib.sha256(data).hexdigest(), len(data)
                md5 = hashlib.md5(data).hexdigest()
            path = normalise_path(urlsplit(request.uri).path)
            body = normalise_body(data, request.headers, urlsplit(request.uri).path)
            upload = Upload(request.method.upper(), path, body, sha256, size, md5)
            self._recorded.setdefault((upload.method, path), []).append(upload)
        return _Answer(response, self._rewrite)

    def note_sent(self, request: Any) -> None:
        """If ``request`` uploads other bytes for a recorded upload's content, remember them."""
        if not self._recorded or not _is_upload(request):
            return
        path = normalise_path(urlsplit(request.uri).path)
        candidates = self._recorded.get((request.method.upper(), path))
        if not candidates:
            return
        data = request_body(request)
        if not data or parse_digest(data) is not None:
            return  # vcrpy hands its scrubbed copy here too: a stand-in is not what was sent
        sha256 = hashlib.sha256(data).hexdigest()
        if all(upload.sha256 == sha256 or upload.sha256 in self._sent for upload in candidates):
            return
        body = normalise_body(data, request.headers, urlsplit(request.uri).path)
        for upload in candidates:
            if upload.sha256 != sha256 and not differences(body, upload.body):
                self._sent[upload.sha256] = (upload, data)

    def _rewrite(self, response: dict[str, Any]) -> dict[str, Any]:
        if not self._sent:
            return response
        body = as_bytes((response.get("body") or {}).get("string"))
        headers = {name: list(values) for name, values in (response.get("headers") or {}).items()}
        sent = self._sent.get(hashlib.sha256(body).hexdigest()) if body else None
        if sent is None:
            sent = self._by_etag(headers)
        if sent is not None:
            upload, data = sent
            if body or header(headers, "content-length") == str(upload.size):
                # A GET, or a HEAD: the object's length without its body (a PUT's answer is 0).
                _set(headers, "content-length", str(len(data)))
                body = data if body else body
            _describe_object(headers, upload, data)
        elif body:
            body = self._listing(body)
        return {**response, "headers": headers, "body": {**response["body"], "string": body}}

    def _by_etag(self, headers: dict[str, list[str]]) -> tuple[Upload, bytes] | None:
        etag = (header(headers, "etag") or "").strip('"')
        for upload, data in self._sent.values():
            if upload.md5 is not None and etag == upload.md5:
                return upload, data
        return None

    def _listing(self, body: bytes) -> bytes:
        """An S3 listing, with the size and ETag of each object this run sent other bytes for."""
        original = as_text(body)
        if original is None:
            return body  # a file's bytes, not a listing
        text = original
        for upload, data in self._sent.values():
            if upload.md5 is not None and upload.md5 in text:
                md5 = hashlib.md5(data).hexdigest()
                text = _CONTENTS.sub(_listed(upload.md5, md5, len(data)), text)
        return body if text == original else text.encode("utf-8")


class _Answer(dict):
    """A recorded response, rewritten when vcrpy plays it for the uploads this run made."""

    def __init__(self, response: dict[str, Any], rewrite: Callable[[dict], dict]) -> None:
        super().__init__(response)
        self._rewrite = rewrite
        self._played: dict[str, Any] | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> _Answer:
        # vcrpy copies each loaded response: the copy answers for the same cassette's uploads.
        return _Answer(copy.deepcopy(dict(self), memo), self._rewrite)

    def __getitem__(self, key: str) -> Any:
        if key not in ("headers", "body"):
            return super().__getitem__(key)
        if self._played is None:  # vcrpy reads the body and headers when it plays the response
            self._played = self._rewrite(dict(self))
        return self._played[key]


def _is_upload(request: Any) -> bool:
    """An S3 PUT of a whole object (not a part of a multipart upload)."""
    if request.method.upper() != "PUT":
        return False
    query = dict(parse_qsl(urlsplit(request.uri).query))
    return "uploadId" not in query and "partNumber" not in query


def _etag_md5(response: Any) -> str | None:
    etag = (header(response.get("headers"), "etag") or "").strip('"')
    return etag if _MD5_HEX.fullmatch(etag) else None


def _describe_object(headers: dict[str, list[str]], upload: Upload, data: bytes) -> None:
    """ETag and checksum headers of ``data``; a checksum that cannot be made here is dropped."""
    md5 = hashlib.md5(data).hexdigest()
    for name in list(headers):
        lowered = name.lower()
        if lowered == "etag" and upload.md5:
            headers[name] = [value.replace(upload.md5, md5) for value in headers[name]]
        elif lowered.startswith("x-amz-checksum-") and lowered != "x-amz-checksum-type":
            value = _checksum(lowered.removeprefix("x-amz-checksum-"), data)
            if value is None:
                del headers[name]
            else:
                headers[name] = [value]


def _checksum(algorithm: str, data: bytes) -> str | None:
    if algorithm in ("sha256", "sha1"):
        return base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if algorithm == "crc32":
        return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    return None  # crc32c and crc64nvme need packages the kit does not depend on


def _listed(old: str, new: str, size: int) -> Callable[[re.Match[str]], str]:
    def rewrite(found: re.Match[str]) -> str:
        entry = found.group(0)
        if old not in entry:
            return entry
        entry = re.sub(r"<Size>\d+</Size>", f"<Size>{size}</Size>", entry)
        return entry.replace(old, new)

    return rewrite


def _set(headers: dict[str, list[str]], name: str, value: str) -> None:
    for key in headers:
        if key.lower() == name:
            headers[key] = [value]
            return
    headers[name.title()] = [value]
