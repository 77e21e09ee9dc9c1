"""Bodies and headers as vcrpy hands them over: bytes, text, files or chunks; lists or values."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping

# Content encodings that can be undone with the standard library (brotli would need a package).
DECODABLE_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})


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
