"""The "mlops-yaml" vcrpy serializer: plain YAML cassettes whose bodies a person can read.

Register it with ``vcr.register_serializer("mlops-yaml", serializer)`` (this module is the
serializer). vcrpy hands ``serialize`` a dict ``{"version": 1, "interactions": [{"request":
{method, uri, body, headers}, "response": {status, headers, body: {string}}}], "metadata": ...}``
and expects the same shape back from ``deserialize``. On the way out:

- compressed response bodies are decompressed and their Content-Encoding dropped, because
  vcrpy replays the stored bytes as they are and never decodes them;
- JSON bodies are pretty-printed (indent 2). When a standard layout (compact, Python's
  default, indented; ASCII or not; final newline or not) reproduces the recorded bytes, it is
  named under ``layout`` and replay gives those exact bytes back; otherwise the pretty text
  is replayed (same JSON, other bytes), except for responses with a checksum header, whose
  client would reject changed bytes: those stay as recorded. Content-Length follows the body;
- text stays text (CRLF text under ``crlf_text``, so multipart bodies read as lines);
- anything else (joblib pickles, Parquet) is base64 under ``base64``;
- a request body the scrubber replaced by its digest (a large uploaded file) is written as
  ``{sha256, size}``, with ``content`` (columns, rows and their digests) for a data file;
- header values become text, headers are sorted by name so re-recording gives small diffs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import yaml

from .bodies import (
    DECODABLE_ENCODINGS,
    as_bytes,
    as_text,
    decoded,
    header,
    header_values,
    is_json_type,
    parse_digest,
    stand_in,
)

BASE64_KEY = "base64"
DIGEST_KEY = "sha256"
CONTENT_KEY = "content"
CRLF_KEY = "crlf_text"
JSON_KEY = "json"
LAYOUT_KEY = "layout"

# json.dumps arguments for the layouts a recorded JSON body is recognised in.
_LAYOUTS: dict[str, dict[str, Any]] = {
    "compact": {"separators": (",", ":")},
    "spaced": {},
    "indent2": {"indent": 2},
    "indent4": {"indent": 4},
}

# Responses whose body the client checks against a digest: their bytes must stay as recorded.
_CHECKSUM_HEADERS = ("x-goog-hash", "content-md5", "x-amz-checksum-")
# Responses that carry a Content-Length but, by HTTP's rules, no body.
_BODYLESS_STATUSES = frozenset({204, 304})
# One line per value, however long: base64 bodies stay on one line the secret scanner can skip.
_WIDTH = 2**31 - 1

_SafeDumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(_SafeDumper):  # type: ignore[misc, valid-type]
    """A safe dumper that writes multi-line text as literal blocks."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def serialize(cassette_dict: Mapping[str, Any]) -> str:
    """The cassette as plain YAML (safe tags only), bodies decoded and readable."""
    data: dict[str, Any] = {"version": cassette_dict.get("version", 1)}
    for key, value in cassette_dict.items():
        if key not in ("version", "interactions"):
            data[key] = value
    data["interactions"] = [
        _interaction_out(item) for item in cassette_dict.get("interactions", [])
    ]
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=_WIDTH,
    )


def deserialize(cassette_string: str) -> dict[str, Any]:
    """The dict vcrpy expects back from ``serialize``'s YAML: bodies as text or bytes."""
    data = yaml.load(cassette_string, Loader=_SafeLoader) or {}
    interactions = [_interaction_in(item) for item in data.get("interactions") or []]
    return {**data, "interactions": interactions}


def _interaction_out(interaction: Mapping[str, Any]) -> dict[str, Any]:
    request = interaction["request"]
    method = str(request.get("method", ""))
    headers = _headers_out(request.get("headers"))
    body = request.get("body")
    digest = None if body is None else parse_digest(as_bytes(body))
    if digest is not None:
        body = {DIGEST_KEY: digest[0], "size": digest[1]}
        if digest[2] is not None:
            body[CONTENT_KEY] = dict(digest[2])
    elif body is not None:
        body, _ = _body_out(as_bytes(body), header(headers, "content-type"), reformat=True)
    return {
        "request": {
            "method": method,
            "uri": str(request.get("uri", "")),
            "body": body,
            "headers": headers,
        },
        "response": _response_out(interaction["response"], method),
    }


def _response_out(response: Mapping[str, Any], method: str) -> dict[str, Any]:
    headers = _headers_out(response.get("headers"))
    data = as_bytes((response.get("body") or {}).get("string"))
    encoding = header(headers, "content-encoding")
    if encoding and encoding.strip().lower() in DECODABLE_ENCODINGS:
        plain = decoded(data, encoding)
        data = data if plain is None else plain
        _drop(headers, "content-encoding")
    reformat = not any(name.lower().startswith(_CHECKSUM_HEADERS) for name in headers)
    body, stored = _body_out(data, header(headers, "content-type"), reformat=reformat)
    out = {key: value for key, value in response.items() if key not in ("headers", "body")}
    out.update(headers=headers, body=body if isinstance(body, dict) else {"string": body})
    _fix_length(out, stored, method)
    return out


def _interaction_in(interaction: Mapping[str, Any]) -> dict[str, Any]:
    request = interaction["request"]
    method = str(request.get("method", ""))
    response = {key: value for key, value in interaction["response"].items() if key != "body"}
    response["headers"] = {
        name: header_values(values) for name, values in (response.get("headers") or {}).items()
    }
    body = _body_in(interaction["response"].get("body"))
    response["body"] = {"string": "" if body is None else body}
    # A hand-edited cassette keeps working: the length follows whatever body is stored.
    _fix_length(response, as_bytes(body), method)
    return {
        "request": {
            "method": method,
            "uri": request.get("uri", ""),
            "body": _body_in(request.get("body")),
            "headers": dict(request.get("headers") or {}),
        },
        "response": response,
    }


def _headers_out(headers: Mapping[str, Any] | None) -> dict[str, list[str]]:
    items = sorted((headers or {}).items(), key=lambda item: str(item[0]).lower())
    return {str(name): header_values(values) for name, values in items}


def _body_out(data: bytes, content_type: str | None, *, reformat: bool) -> tuple[Any, bytes]:
    """The YAML form of a body, and the bytes ``deserialize`` will give back for it."""
    text = as_text(data)
    if text is None:
        return {BASE64_KEY: base64.b64encode(data).decode("ascii")}, data
    value = _parsed_json(text, content_type)
    if value is not None:
        pretty = json.dumps(value, indent=2, ensure_ascii=False)
        layout = _layout(text, value)
        if layout is not None and pretty != text:
            return {JSON_KEY: pretty, LAYOUT_KEY: layout}, data
        if reformat:
            text = pretty
    stored = text.encode("utf-8")
    lone_breaks = text.replace("\r\n", "")
    if "\r\n" in text and "\r" not in lone_breaks and "\n" not in lone_breaks:
        return {CRLF_KEY: text.replace("\r\n", "\n")}, stored
    return text, stored


def _body_in(body: Any) -> str | bytes | None:
    if isinstance(body, dict):
        if DIGEST_KEY in body:
            return stand_in(body[DIGEST_KEY], int(body["size"]), body.get(CONTENT_KEY))
        if BASE64_KEY in body:
            return base64.b64decode(body[BASE64_KEY])
        if CRLF_KEY in body:
            return body[CRLF_KEY].replace("\n", "\r\n")
        if JSON_KEY in body:
            return _dumps(json.loads(body[JSON_KEY]), body.get(LAYOUT_KEY, ""))
        if "string" in body:
            return _body_in(body["string"])
    return body


def _parsed_json(text: str, content_type: str | None) -> Any:
    """The JSON value of a body that holds an object or array, else None."""
    stripped = text.strip()
    if not stripped or (stripped[0] not in "{[" and not is_json_type(content_type)):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) else None


def _layout(text: str, value: Any) -> str | None:
    """The layout whose ``_dumps`` gives ``text`` back exactly, or None."""
    indented = "\n" in text.rstrip("\n")
    for name in ("indent2", "indent4") if indented else ("compact", "spaced"):
        for charset in ("ascii", "unicode"):
            for ending in ("", " newline"):
                layout = f"{name} {charset}{ending}"
                if _dumps(value, layout) == text:
                    return layout
    return None


def _dumps(value: Any, layout: str) -> str:
    words = layout.split()
    arguments = _LAYOUTS.get(words[0], _LAYOUTS["indent2"]) if words else _LAYOUTS["indent2"]
    text = json.dumps(value, ensure_ascii="unicode" not in words, **arguments)
    return text + "\n" if "newline" in words else text


def _fix_length(response: dict[str, Any], body: bytes, method: str) -> None:
    status = (response.get("status") or {}).get("code")
    if method.upper() == "HEAD" or status in _BODYLESS_STATUSES:
        return  # their Content-Length describes a body that was never sent
    headers = response["headers"]
    for name in headers:
        if name.lower() == "content-length":
            headers[name] = [str(len(body))]


def _drop(headers: dict[str, list[str]], name: str) -> None:
    for key in [key for key in headers if key.lower() == name]:
        del headers[key]
