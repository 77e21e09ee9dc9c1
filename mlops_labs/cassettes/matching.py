"""vcrpy matchers that ignore what changes between runs: hosts, uuids, job ids, timestamps.

Each matcher is vcrpy's ``(r1, r2) -> None`` raising ``AssertionError`` with what differed
(``r1`` is the request being made, ``r2`` the recorded one). They compare
``normalise_request``'s view of a request:

- ``method``;
- ``path``, without scheme, host and port, percent-decoded, with uuids, BigQuery job ids and
  run timestamps masked (``normalise_path``); numeric ids are kept, they are deterministic;
- ``query``, parsed and order-independent, values of volatile parameters masked;
- ``body``: data files (Parquet, CSV, JSON lines) by their content, columns and rows
  (``data_files``), JSON as data, form bodies as sorted pairs, multipart bodies part by part
  without their random boundary, text as text, other binary by sha256; volatile values
  masked (request ids, client tokens, job ids, uuids, timestamps, measured durations, the
  OAuth assertion, the sizes an UNLOAD manifest gives its files) and SQL (JSON ``query``,
  ``Sql``) compared after whitespace, comment and keyword-case normalisation.

Masking can make distinct requests look alike (``jobs.get`` for two jobs with fresh ids, two
polls of one operation); vcrpy still replays them in recorded order because it plays each
recorded response once. Do not combine these matchers with ``allow_playback_repeats``: a
poll would then get its first recorded answer ("RUNNING") for ever.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .bodies import (
    as_text,
    decoded,
    header,
    is_form_type,
    is_json_type,
    parse_digest,
    request_body,
)
from .data_files import DataFile, difference, fingerprint
from .sql import normalise_sql

MATCH_ON = ["method", "path", "query", "body"]

MASK = "<masked>"
UUID_MASK = "<uuid>"
JOB_ID_MASK = "<job-id>"
TIMESTAMP_MASK = "<timestamp>"

# JSON keys, form fields and query parameters whose values are fresh on every run.
VOLATILE_NAMES = frozenset(
    {
        "requestid",
        "clienttoken",
        "clientrequesttoken",
        "idempotencytoken",
        "assertion",
        "clientassertion",
    }
)
# JSON keys a live run's cost guard adds to the lab's requests (see live.cost_guard).
GUARD_KEYS = frozenset({"maximumBytesBilled"})
# JSON keys that hold the size of a data file, which its writer decides (an UNLOAD manifest's
# entries): the files themselves are compared by content.
FILE_SIZE_KEYS = frozenset({"content_length"})
SIZE_MASK = "<size of a data file>"
# JSON keys that hold SQL text.
SQL_KEYS = frozenset({"query", "Sql", "sql", "Sqls"})
# Units of a CloudWatch datum whose value is a measured duration.
_DURATION_UNITS = frozenset({"Seconds", "Milliseconds", "Microseconds"})

_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_JOB_ID = re.compile(r"(?<![A-Za-z0-9])job_[A-Za-z0-9_-]{8,}")
# ISO-8601 and the dashed forms SDKs put in generated names (2024-05-01-12-30-59,
# 2024-05-01-12:30:59.123); google-cloud-aiplatform adds five hex digits after some of them.
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T -]\d{2}[:-]\d{2}[:-]\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"(?:-[0-9a-f]{5}(?![0-9A-Za-z]))?"
)
_COMPACT_TIMESTAMP = re.compile(
    r"(?<!\d)20\d{2}(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[0-5]\d(?!\d)"
)
_TIME_KEY = re.compile(r"(?i:time|timestamp|date|_at)$|At$")
# Epoch milliseconds and seconds from 2000 to 2100.
_EPOCH_MS = (946_684_800_000, 4_102_444_800_000)
_EPOCH_S = (946_684_800, 4_102_444_800)
_BOUNDARY = re.compile(r"boundary=\"?([^\";]+)\"?", re.IGNORECASE)

# Set by the recorder on requests it loads from a cassette (see recording.py).
LOADED = "_mlops_labs_loaded"
_cache: weakref.WeakKeyDictionary[Any, tuple[tuple, dict[str, Any], Any]] = (
    weakref.WeakKeyDictionary()
)


class SQL(str):
    """Normalised SQL text inside a normalised body, so a diff can show it line by line."""

    __slots__ = ()


def normalise_path(path: str) -> str:
    """``path`` percent-decoded, with uuids, job ids and run timestamps masked."""
    return _mask_text(unquote(path or "/") or "/")


def normalise_query(query: str) -> list[tuple[str, str]]:
    """Query parameters as sorted pairs, volatile values masked (``X-Amz-*``, ``requestId``)."""
    pairs = parse_qsl(query or "", keep_blank_values=True)
    return sorted((name, _query_value(name, value)) for name, value in pairs)


def normalise_body(data: bytes, headers: Any, name: str = "") -> Any:
    """What of a body is compared: see the module docstring for the forms it takes.

    ``name`` is the path the body is sent to: ``.csv`` or ``.jsonl`` there says it is data.
    """
    plain = decoded(data, header(headers, "content-encoding"))
    data = data if plain is None else plain
    if not data:
        return None
    stored = parse_digest(data)
    if stored is not None:
        sha256, size, content = stored
        return {"data": content} if content is not None else {"binary": _binary(sha256, size)}
    content_type = header(headers, "content-type")
    if "multipart/" in (content_type or "").lower() or data.startswith(b"--"):
        parts = _multipart(data, content_type)
        if parts is not None:
            return {"multipart": parts}
    if not is_form_type(content_type):
        content = fingerprint(data, content_type, name)
        if content is not None:
            return {"data": content}
    text = as_text(data)
    if text is None:
        return {"binary": _binary(hashlib.sha256(data).hexdigest(), len(data))}
    if is_form_type(content_type):
        return {"form": _form(text)}
    if is_json_type(content_type) or text.lstrip()[:1] in ("{", "["):
        try:
            return {"json": _mask_json(json.loads(text))}
        except ValueError:
            pass
    return {"text": _mask_text(text)}


def _binary(sha256: str, size: int) -> dict[str, Any]:
    return {"sha256": sha256, "size": size}


def normalise_request(request: Any) -> dict[str, Any]:
    """The compared view of a vcrpy Request: ``{method, path, query, body}``."""
    if getattr(request, LOADED, False):
        # Read from a cassette and never changed after: its first view stands.
        with contextlib.suppress(TypeError):
            known = _cache.get(request)
            if known is not None:
                return known[1]
    # vcrpy asks once for every recorded request it compares with: what could change the view
    # is checked by identity, the body unread (reading it may join an iterator's chunks). The
    # entry keeps the body alive, so its id cannot be reused by another while it is cached.
    body_object = getattr(request, "body", None)
    fingerprint = (request.method, request.uri, id(body_object))
    cached = None
    with contextlib.suppress(TypeError):  # a request that cannot be weakly referenced
        cached = _cache.get(request)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    data = request_body(request)
    headers = request.headers
    parts = urlsplit(request.uri)
    normal = {
        "method": str(request.method).upper(),
        "path": normalise_path(parts.path),
        "query": normalise_query(parts.query),
        "body": normalise_body(data, headers, parts.path),
    }
    with contextlib.suppress(TypeError):
        _cache[request] = (fingerprint, normal, body_object)
    return normal


def differences(new: Any, recorded: Any, where: str = "$") -> list[tuple[str, Any, Any]]:
    """Where two normalised values differ, as ``(json-path, new, recorded)``, outermost first.

    Two data files are one value: they differ where ``data_files.difference`` says they do.
    """
    if isinstance(new, DataFile) and isinstance(recorded, DataFile):
        return [] if difference(new, recorded) is None else [(where, new, recorded)]
    if isinstance(new, dict) and isinstance(recorded, dict):
        found = []
        for key in [*recorded, *(key for key in new if key not in recorded)]:
            found.extend(differences(new.get(key), recorded.get(key), f"{where}.{key}"))
        return found
    if isinstance(new, list) and isinstance(recorded, list) and len(new) == len(recorded):
        found = []
        for index, (one, other) in enumerate(zip(new, recorded, strict=True)):
            found.extend(differences(one, other, f"{where}[{index}]"))
        return found
    return [] if new == recorded and type(new) is type(recorded) else [(where, new, recorded)]


def method(r1: Any, r2: Any) -> None:
    """Same HTTP method."""
    one, other = normalise_request(r1)["method"], normalise_request(r2)["method"]
    if one != other:
        raise AssertionError(f"method {one} != recorded {other}")


def path(r1: Any, r2: Any) -> None:
    """Same path once hosts, uuids, job ids and timestamps are set aside."""
    one, other = normalise_request(r1)["path"], normalise_request(r2)["path"]
    if one != other:
        raise AssertionError(f"path {one} != recorded {other}")


def query(r1: Any, r2: Any) -> None:
    """Same query parameters, in any order, volatile values masked."""
    one, other = normalise_request(r1)["query"], normalise_request(r2)["query"]
    if one != other:
        added = sorted(set(one) - set(other))
        missing = sorted(set(other) - set(one))
        raise AssertionError(f"query differs: this request has {added}, the recording {missing}")


def body(r1: Any, r2: Any) -> None:
    """Same body once parsed, volatile values masked and SQL normalised."""
    first, second = normalise_request(r1), normalise_request(r2)
    one, other = first["body"], second["body"]
    elsewhere = first["method"] != second["method"] or first["path"] != second["path"]
    if elsewhere and one != other:
        # vcrpy runs every matcher on every recorded request: the body of a request to another
        # place is not worth a diff (the method and path matchers say what differs).
        raise AssertionError("body differs (not diffed: another method or path)")
    found = differences(one, other)
    if found:
        raise AssertionError("body differs " + "; ".join(_describe(item) for item in found[:3]))


MATCHERS: dict[str, Callable[[Any, Any], None]] = {
    "method": method,
    "path": path,
    "query": query,
    "body": body,
}


def register(vcr_instance: Any) -> None:
    """Register the matchers on a ``vcr.VCR`` under the names in ``MATCH_ON``."""
    for name, matcher in MATCHERS.items():
        vcr_instance.register_matcher(name, matcher)


def _describe(item: tuple[str, Any, Any]) -> str:
    where, new, recorded = item
    if isinstance(new, DataFile) and isinstance(recorded, DataFile):
        return f"at {where} (data): {difference(new, recorded)}"
    kind = " (SQL)" if isinstance(new, SQL) or isinstance(recorded, SQL) else ""
    return f"at {where}{kind}: {_short(new)} != recorded {_short(recorded)}"


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _compact(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _query_value(name: str, value: str) -> str:
    if _compact(name) in VOLATILE_NAMES or name.lower().startswith("x-amz-"):
        return MASK
    return _mask_text(value)


def _mask_text(text: str) -> str:
    text = _UUID.sub(UUID_MASK, text)
    text = _JOB_ID.sub(JOB_ID_MASK, text)
    text = _TIMESTAMP.sub(TIMESTAMP_MASK, text)
    return _COMPACT_TIMESTAMP.sub(TIMESTAMP_MASK, text)


def _mask_json(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        masked = {
            name: _mask_json(item, str(name))
            for name, item in value.items()
            if name not in GUARD_KEYS
        }
        if isinstance(masked.get("jobReference"), dict) and "jobId" in masked["jobReference"]:
            masked["jobReference"]["jobId"] = JOB_ID_MASK
        if masked.get("Unit") in _DURATION_UNITS and "Value" in masked:
            masked["Value"] = MASK
        return masked
    if isinstance(value, list):
        if key in SQL_KEYS:
            return [_sql(item) if isinstance(item, str) else item for item in value]
        return [_mask_json(item) for item in value]
    if _compact(key) in VOLATILE_NAMES:
        return MASK
    if key in FILE_SIZE_KEYS and isinstance(value, int):
        return SIZE_MASK
    if isinstance(value, str):
        if key in SQL_KEYS:
            return _sql(value)
        if value.isdigit() and _is_epoch(int(value), key):
            return TIMESTAMP_MASK
        return _mask_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and _is_epoch(value, key):
        return TIMESTAMP_MASK
    return value


def _sql(text: str) -> SQL:
    return SQL(_mask_text(normalise_sql(text)))


def _is_epoch(number: float, key: str) -> bool:
    if _EPOCH_MS[0] <= number <= _EPOCH_MS[1]:
        return True
    # Epoch seconds look like any ten-digit number, so only under a time-like key.
    return bool(_TIME_KEY.search(key)) and _EPOCH_S[0] <= number <= _EPOCH_S[1]


def _form(text: str) -> list[tuple[str, str]]:
    pairs = parse_qsl(text, keep_blank_values=True)
    return sorted(
        (name, MASK if _compact(name) in VOLATILE_NAMES else _mask_text(value))
        for name, value in pairs
    )


def _multipart(data: bytes, content_type: str | None) -> list[dict[str, Any]] | None:
    found = _BOUNDARY.search(content_type or "")
    if found:
        boundary = found.group(1).encode()
    else:
        first_line = data.split(b"\r\n", 1)[0]
        if not first_line.startswith(b"--") or len(first_line) < 3:
            return None
        boundary = first_line[2:]
    sections = data.split(b"--" + boundary)
    if len(sections) < 3:
        return None
    parts = []
    for section in sections[1:-1]:
        head, _, content = section.strip(b"\r\n").partition(b"\r\n\r\n")
        part_headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                part_headers[name.strip().lower()] = value.strip()
        parts.append({"headers": part_headers, "body": normalise_body(content, part_headers)})
    return parts
