"""Bodies and headers as vcrpy hands them over: bytes, text, files or chunks; lists or values."""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from .data_files import DataFile, fingerprint

# Content encodings that can be undone with the standard library (brotli would need a package).
DECODABLE_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})
# Request bodies of data files above this size are kept as their digest: they are only ever
# compared, and the data itself (megabytes of CSV per Lab 6.2 scenario) would double a cassette.
DIGEST_ABOVE = 32 * 1024
DIGEST_PREFIX = b"mlops-labs-digest sha256="


def digest_of(data: bytes, content_type: str | None = None, name: str = "") -> bytes:
    """The stand-in kept for a large request body: its sha256, its size and, for a data file,
    the fingerprint of its content (``data_files.fingerprint``), which is what replay compares.
    """
    content = fingerprint(data, content_type, name)
    return stand_in(hashlib.sha256(data).hexdigest(), len(data), content)


def stand_in(sha256: str, size: int, content: Mapping[str, Any] | None = None) -> bytes:
    """The stand-in body for a file with this digest, size and content fingerprint."""
    text = f"{sha256} size={size}"
    if content is not None:
        text += " content=" + json.dumps(content, separators=(",", ":"))
    return DIGEST_PREFIX + text.encode()


def parse_digest(data: bytes) -> tuple[str, int, DataFile | None] | None:
    """``(sha256, size, content)`` of a stand-in made by ``digest_of``, else None."""
    if not data.startswith(DIGEST_PREFIX):
        return None
    sha256, _, rest = data[len(DIGEST_PREFIX) :].decode("utf-8").partition(" size=")
    size, _, content = rest.partition(" content=")
    return sha256, int(size), DataFile(json.loads(content)) if content else None


def is_data_file(data: bytes, content_type: str | None) -> bool:
    """A body too large to keep that holds a file's bytes, not JSON, a form or multipart parts."""
    if len(data) <= DIGEST_ABOVE:
        return False
    kind = (content_type or "").lower()
    if "multipart/" in kind or data.startswith(b"--") or is_form_type(kind):
        return False
    return not (is_json_type(kind) or data.lstrip()[:1] in (b"{", b"["))


def header_text(value: object) -> str:
    """A header value as text: bytes decoded (UTF-8, else Latin-1), anything else str()."""
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).decode("latin-1")
    return str(value)


def header_values(value: object) -> list[str]:
    """Every value of one header, whether vcrpy stored a list of values or a single one."""
    if isinstance(value, list | tuple):
        return [header_text(item) for item in value]
    return [header_text(value)]


def header(headers: Mapping | None, name: str) -> str | None:
    """The first value of header ``name``, compared without case, or None."""
    wanted = name.lower()
    for key, value in (headers or {}).items():
        if str(key).lower() == wanted:
            values = header_values(value)
            return values[0] if values else None
    return None


def as_bytes(body: object) -> bytes:
    """A request or response body as bytes; None is empty, files and chunk lists are read."""
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "getvalue"):
        return as_bytes(body.getvalue())
    if hasattr(body, "read"):
        return as_bytes(body.read())
    if isinstance(body, Iterable):
        return b"".join(as_bytes(chunk) for chunk in body)
    return str(body).encode("utf-8")


def request_body(request: object) -> bytes:
    """A vcrpy Request's body as bytes (``body_bytes`` joins the chunks of an iterator body)."""
    return as_bytes(getattr(request, "body_bytes", getattr(request, "body", None)))


def decoded(data: bytes, encoding: str | None) -> bytes | None:
    """``data`` with its content encoding undone, or None when it is not encoded that way.

    urllib3 2.x has usually decoded the body already while the header still names the
    encoding, so "not actually compressed" is the common case, not an error.
    """
    name = (encoding or "").strip().lower()
    if name not in DECODABLE_ENCODINGS or not data:
        return None
    if name in ("gzip", "x-gzip"):
        window_bits = (zlib.MAX_WBITS | 16,)
    else:
        window_bits = (zlib.MAX_WBITS, -zlib.MAX_WBITS)  # zlib-wrapped, then raw deflate
    for bits in window_bits:
        try:
            return zlib.decompress(data, bits)
        except zlib.error:
            continue
    return None


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def as_text(data: bytes) -> str | None:
    """``data`` as text, or None when it is binary (not UTF-8, or holding control bytes)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    controls = len(_CONTROLS.findall(text))
    # A stray control character happens in text; many of them means a binary format.
    return None if controls > max(2, len(text) // 100) else text


def is_json_type(content_type: str | None) -> bool:
    """Whether a Content-Type names JSON (application/json, application/x-amz-json-1.1, ...)."""
    return "json" in (content_type or "").lower()


def is_form_type(content_type: str | None) -> bool:
    """Whether a Content-Type names an HTML form body."""
    return "application/x-www-form-urlencoded" in (content_type or "").lower()
