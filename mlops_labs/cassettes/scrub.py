"""Scrubbing before a cassette is written: credentials out, real project and account ids masked.

``scrub_request`` and ``scrub_response`` are vcrpy's ``before_record_request`` and
``before_record_response``; ``hooks(replacements)`` binds both to the caller's mapping of real
ids to placeholders. vcrpy also runs ``before_record_request`` on every request it replays
before matching it, so scrubbing is deterministic and idempotent: a live request and its
recording are scrubbed alike and still match. ``find_secrets`` is the scanner a CI test runs
over ``cassettes/`` to prove nothing slipped through.

Placeholders: ``<scrubbed>`` where a whole value is replaced (JSON strings, form values, header
values); ``SCRUBBED...`` inside free text (XML, URLs, SQL), where angle brackets would break it.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from vcr.request import Request

from .bodies import (
    as_bytes,
    as_text,
    decoded,
    digest_of,
    header,
    header_text,
    header_values,
    is_data_file,
    is_form_type,
    is_json_type,
    request_body,
)

PLACEHOLDER = "<scrubbed>"
TEXT_PLACEHOLDER = "SCRUBBED"

# Credentials and per-request signing noise: dropped from requests and responses alike.
DROPPED_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-amz-security-token",
        "x-amz-date",
        "x-amz-content-sha256",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
        "cookie",
        "set-cookie",
    }
)
# Presigned-URL and token query parameters: dropped from the request URI.
DROPPED_QUERY_PARAMETERS = frozenset(
    {
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
        "signature",
        "awsaccesskeyid",
        "access_token",
    }
)

# A name is secret-ish when, lower-cased without separators, it ends with one of these...
_SECRET_SUFFIXES = (
    "password",
    "passwd",
    "secret",
    "secretkey",
    "secretaccesskey",
    "privatekey",
    "privatekeyid",
    "token",
    "apikey",
    "assertion",
    "signature",
    "credential",
)
# ...except for these tokens, which are pagination and idempotency handles that a replayed
# client sends back and that grant nothing.
_NOT_SECRET = frozenset(
    {
        "pagetoken",
        "nextpagetoken",
        "nexttoken",
        "continuationtoken",
        "nextcontinuationtoken",
        "clienttoken",
        "clientrequesttoken",
        "idempotencytoken",
        "synctoken",
        "resumetoken",
    }
)
_PASSWORD_SUFFIXES = ("password", "passwd")

_AWS_KEY_ID = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:.*?-----END [A-Z ]*PRIVATE KEY-----|[^\"'<]*)",
    re.DOTALL,
)
_PRIVATE_KEY_HEADER = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_OAUTH_TOKEN = re.compile(r"ya29\.[A-Za-z0-9_.\-]+")
_REFRESH_TOKEN = re.compile(r"(?<![A-Za-z0-9])1//0[A-Za-z0-9_-]{20,}")
_API_KEY = re.compile(r"AIza[0-9A-Za-z_\-]{35}")
# name, separator, value: JSON ("token": "v"), YAML/headers (token: v), forms and URLs
# (token=v), XML (<Token>v), SQL (PASSWORD 'v'). Names start at a word boundary so a long
# word is scanned once.
_NAMED_VALUE = re.compile(
    r"(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,80})"
    r"(?P<sep>\"\s*:\s*\"|'\s*:\s*'|\s*[:=]\s*[\"']?|>|\s+')"
    r"(?P<value>[^\s\"'<>&,;{}\[\]()]+)"
)
_SECRETISH_WORD = re.compile(
    r"passw|secret|token|private|api.?key|assertion|signature|credential", re.IGNORECASE
)
_NOT_A_VALUE = frozenset({"true", "false", "null", "none"})
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_AWS_SECRET_SHAPE = re.compile(r"[A-Za-z0-9/+]{40}")
_PRIVATE_KEY_FIELD = re.compile(r"\"private_key\"\s*:\s*\"(?P<value>[^\"<][^\"]*)\"")
# Binary bodies, stored base64 under "base64": decoded they are bytes, encoded they are noise.
_BASE64_BLOCK = re.compile(
    r"^(?P<keep>[ \t]*(?:-[ \t]+)?base64:[ \t]*)\S+[ \t]*$|(?P<json>\"base64\"\s*:\s*)\"[^\"]*\"",
    re.MULTILINE,
)

_TEXT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (_PRIVATE_KEY, "SCRUBBED-PRIVATE-KEY"),
    (_JWT, "SCRUBBED-JWT"),
    (_OAUTH_TOKEN, "SCRUBBED-OAUTH-TOKEN"),
    (_REFRESH_TOKEN, "SCRUBBED-REFRESH-TOKEN"),
    (_API_KEY, "SCRUBBED-API-KEY"),
    (_AWS_KEY_ID, "SCRUBBED-ACCESS-KEY-ID"),
)


def is_secret_name(name: str) -> bool:
    """Whether a header, parameter, JSON key or XML element name holds a secret."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return key not in _NOT_SECRET and key.endswith(_SECRET_SUFFIXES)


def scrub_request(request: Request, replacements: Mapping[str, str] | None = None) -> Request:
    """A scrubbed copy of ``request``; ``replacements`` maps real ids to their placeholders.

    A large data-file body (an uploaded CSV or model) is replaced by its digest and, for data
    (Parquet, CSV, JSON lines), the fingerprint of its content (``digest_of``).
    """
    swap = _Replacer(replacements)
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        if name.lower() not in DROPPED_HEADERS:
            headers[name] = swap.text(_scrub_header(name, header_values(value)[0]))
    data = request_body(request)
    plain = decoded(data, header(headers, "content-encoding"))
    if plain is not None:
        # Compared and stored decoded; both sides of a match pass through here.
        data = plain
        _drop(headers, "content-encoding")
    if is_data_file(data, header(headers, "content-type")):
        # Only digests are kept, so nothing in the file can reach a cassette.
        data = digest_of(data, header(headers, "content-type"), urlsplit(request.uri).path)
    else:
        data = _scrub_body(data, header(headers, "content-type"), swap, binary_too=True)
    body = None if request.body is None and not data else data
    uri = swap.text(_scrub_text(_scrub_uri(request.uri)))
    return Request(request.method, uri, body, headers)


def scrub_response(
    response: Mapping[str, Any], replacements: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A scrubbed copy of vcrpy's response dict ``{status, headers, body: {string}}``."""
    swap = _Replacer(replacements)
    out = copy.deepcopy(dict(response))
    headers = {
        name: [swap.text(_scrub_header(name, value)) for value in header_values(values)]
        for name, values in (out.get("headers") or {}).items()
        if name.lower() not in DROPPED_HEADERS
    }
    body = out.get("body")
    if isinstance(body, dict) and body.get("string") is not None:
        original = as_bytes(body["string"])
        data = original
        plain = decoded(data, header(headers, "content-encoding"))
        if plain is not None:
            data = plain
            _drop(headers, "content-encoding")
        # Binary response bodies are kept byte for byte: they are model files the client loads.
        data = _scrub_body(data, header(headers, "content-type"), swap, binary_too=False)
        if data != original:
            body["string"] = data
            for name in headers:
                if name.lower() == "content-length":
                    headers[name] = [str(len(data))]
    out["headers"] = headers
    return out


def hooks(
    replacements: Mapping[str, str] | None = None,
) -> tuple[Callable[[Request], Request], Callable[[Mapping[str, Any]], dict[str, Any]]]:
    """``(before_record_request, before_record_response)`` bound to ``replacements``."""
    mapping = dict(replacements or {})

    def before_record_request(request: Request) -> Request:
        return scrub_request(request, mapping)

    def before_record_response(response: Mapping[str, Any]) -> dict[str, Any]:
        return scrub_response(response, mapping)

    return before_record_request, before_record_response


def find_secrets(text: str) -> list[str]:
    """Every secret-shaped string in ``text`` (a cassette), in order, each once.

    Finds AWS access key ids, private key blocks and ``"private_key"`` fields, Google OAuth
    access and refresh tokens, Google API keys, JWTs, and values next to a secret-ish name
    (password, secret, token, ...) that look like credentials: any password, a 40-character
    AWS-style secret, or a long high-entropy token. Values under a ``base64`` key (binary
    bodies) are not scanned, nor are placeholders, UUIDs and hex digests.
    """
    return [value for _, _, value in _findings(text)]


def secret_report(text: str) -> list[str]:
    """``find_secrets`` as lines safe for a CI log: line number, kind, a shortened value."""
    lines = []
    for position, kind, value in _findings(text):
        # Enough to find it by eye, never enough to use it.
        shown = f"{value[:6] if len(value) >= 20 else value[:2]}... ({len(value)} characters)"
        lines.append(f"line {text.count(chr(10), 0, position) + 1}: {kind}: {shown}")
    return lines


def _findings(text: str) -> list[tuple[int, str, str]]:
    text = _BASE64_BLOCK.sub(_blank_base64, text)
    found: list[tuple[int, str, str]] = []
    for kind, pattern in (
        ("AWS access key id", _AWS_KEY_ID),
        ("private key", _PRIVATE_KEY_HEADER),
        ("Google OAuth token", _OAUTH_TOKEN),
        ("Google OAuth refresh token", _REFRESH_TOKEN),
        ("Google API key", _API_KEY),
        ("JWT", _JWT),
    ):
        found.extend((match.start(), kind, match.group()) for match in pattern.finditer(text))
    for match in _PRIVATE_KEY_FIELD.finditer(text):
        found.append((match.start("value"), "private_key field", match.group("value")))
    for match in _NAMED_VALUE.finditer(text):
        name, value = match.group("name"), match.group("value")
        if is_secret_name(name) and _looks_like_credential(name, value):
            found.append((match.start("value"), f"{name} value", value))
    unique: list[tuple[int, str, str]] = []
    for position, kind, value in sorted(found):
        # One finding per secret: a JWT inside an assertion=... value is reported once.
        if not any(start <= position < start + len(other) for start, _, other in unique):
            unique.append((position, kind, value))
    return unique


def _blank_base64(match: re.Match[str]) -> str:
    # Spaces of the same length, so positions (and line numbers) still point into ``text``.
    kept = match.group("keep") if match.group("keep") is not None else match.group("json")
    return kept + " " * (len(match.group()) - len(kept))


def _looks_like_credential(name: str, value: str) -> bool:
    if _is_placeholder(value) or value.lower() in _NOT_A_VALUE or value.isdigit():
        return False
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    if key.endswith(_PASSWORD_SUFFIXES):
        return len(value) >= 4
    if _UUID.fullmatch(value):
        return False
    if _HEX.fullmatch(value):
        # Hex next to a secret-ish name is a digest, except for a request signature.
        return key.endswith("signature") and len(value) >= 32
    if _AWS_SECRET_SHAPE.fullmatch(value):
        return True
    return len(value) >= 20 and _entropy(value) >= 3.0


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _is_placeholder(value: str) -> bool:
    return value.startswith((TEXT_PLACEHOLDER, PLACEHOLDER))


def _scrub_header(name: str, value: str) -> str:
    return PLACEHOLDER if is_secret_name(name) else _scrub_text(header_text(value))


def _scrub_uri(uri: str) -> str:
    parts = urlsplit(uri)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:{TEXT_PLACEHOLDER}@{host}" if ":" in userinfo else netloc
    kept = [
        pair
        for pair in parts.query.split("&")
        if unquote_plus(pair.partition("=")[0]).lower() not in DROPPED_QUERY_PARAMETERS
    ]
    query = "&".join(pair for pair in kept if pair)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _scrub_body(
    data: bytes, content_type: str | None, swap: _Replacer, *, binary_too: bool
) -> bytes:
    text = as_text(data)
    if text is None:
        # Request bodies are only ever compared, so ids are masked even in binary ones.
        return swap.bytes(data) if binary_too else data
    scrubbed = text
    if is_form_type(content_type):
        scrubbed = _scrub_form(scrubbed)
    elif is_json_type(content_type) or scrubbed.lstrip()[:1] in ("{", "["):
        scrubbed = _scrub_json(scrubbed)
    scrubbed = swap.text(_scrub_text(scrubbed))
    return data if scrubbed == text else scrubbed.encode("utf-8")


def _scrub_json(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    scrubbed = _scrub_json_value(value)
    return text if scrubbed == value else json.dumps(scrubbed)


def _scrub_json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: PLACEHOLDER
            if isinstance(item, str) and item and is_secret_name(str(key))
            else _scrub_json_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub_json_value(item) for item in value]
    return value


def _scrub_form(text: str) -> str:
    pairs = []
    for pair in text.split("&"):
        name, equals, value = pair.partition("=")
        if equals and value and is_secret_name(unquote_plus(name)):
            value = PLACEHOLDER
        pairs.append(f"{name}{equals}{value}")
    return "&".join(pairs)


def _scrub_text(text: str) -> str:
    for pattern, placeholder in _TEXT_RULES:
        text = pattern.sub(placeholder, text)
    if _SECRETISH_WORD.search(text):
        text = _NAMED_VALUE.sub(_scrub_named_value, text)
    return text


def _scrub_named_value(match: re.Match[str]) -> str:
    value = match.group("value")
    if (
        not is_secret_name(match.group("name"))
        or _is_placeholder(value)
        or value.lower() in _NOT_A_VALUE
        or value.isdigit()
    ):
        return match.group()
    return match.group("name") + match.group("sep") + TEXT_PLACEHOLDER


def _drop(headers: dict[str, Any], name: str) -> None:
    for key in [key for key in headers if key.lower() == name]:
        del headers[key]


class _Replacer:
    """Real project and account ids to placeholders, as whole words, in text and bytes."""

    def __init__(self, replacements: Mapping[str, str] | None) -> None:
        self._mapping = {real: fake for real, fake in (replacements or {}).items() if real}
        # Longest first, so "project-123" is not half-replaced by a mapping for "project".
        names = sorted(self._mapping, key=len, reverse=True)
        alternatives = "|".join(re.escape(name) for name in names)
        # Whole words only, where a percent-escape (arn%3Aaws%3A...) also ends a word.
        pattern = f"(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{{2}}))(?:{alternatives})(?![A-Za-z0-9])"
        self._text = re.compile(pattern) if names else None
        self._bytes = re.compile(pattern.encode()) if names else None

    def text(self, text: str) -> str:
        if self._text is None:
            return text
        return self._text.sub(lambda match: self._mapping[match.group()], text)

    def bytes(self, data: bytes) -> bytes:
        if self._bytes is None:
            return data
        return self._bytes.sub(lambda match: self._mapping[match.group().decode()].encode(), data)
