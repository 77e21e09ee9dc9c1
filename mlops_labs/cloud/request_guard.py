"""What every sandbox checks before it reads a request body: its size, its nesting, its syntax.

Python's json (and the recursive parsers behind moto and the Cloud Storage emulator) fail with
RecursionError on a body nested deep enough, which a server then answers with a 500 or a
dropped connection. The sandboxes parse bodies here instead: too deep, malformed or too large
is a ``RefusedBody`` each sandbox answers with a 4xx in its own service's format.

The nesting limit is Google's: its front ends read JSON into protocol buffers, whose parsers
stop at 100 levels ("Message too deep. Max recursion depth is 100"). AWS states none; the AWS
sandbox takes the same limit, far above anything its operations' shapes nest.
"""

from __future__ import annotations

import io
import json
from typing import Any
from xml.parsers import expat

MAX_DEPTH = 100


class RefusedBody(Exception):
    """A request body a sandbox will not read: ``problem`` says why, ``message`` in words."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem  # "malformed", "too_deep" or "too_large"
        self.message = message


def load_json(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value ``data`` holds; RefusedBody if it is not JSON or nests too deep."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise too_deep(max_depth) from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError alike
        raise RefusedBody("malformed", str(error)) from None
    # Each level opens a bracket: with no more brackets than levels allowed, no walk is needed.
    opened = data.count(b"{" if isinstance(data, bytes) else "{")
    opened += data.count(b"[" if isinstance(data, bytes) else "[")
    if opened > max_depth and nesting_exceeds(value, max_depth):
        raise too_deep(max_depth)
    return value


def too_deep(max_depth: int = MAX_DEPTH) -> RefusedBody:
    """The refusal of a body nested deeper than ``max_depth`` levels."""
    return RefusedBody(
        "too_deep", f"Message too deep: nested more than {max_depth} levels (the limit)"
    )


def nesting_exceeds(value: Any, max_depth: int = MAX_DEPTH) -> bool:
    """Whether objects and arrays in ``value`` nest more than ``max_depth`` levels.

    Walked with a stack, not recursion, so any depth a parser returned is measured safely.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def declared_length(environ: dict[str, Any]) -> int | None:
    """The Content-Length a WSGI request declares (None without one, or an unreadable one)."""
    text = str(environ.get("CONTENT_LENGTH") or "").strip()
    return int(text) if text.isdigit() else None


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The whole body of a WSGI request, put back for the application; RefusedBody past limit.

    A declared length over the limit is refused before a byte is read; a body without one
    (chunked) is read to one byte past the limit at most.
    """
    declared = declared_length(environ)
    if declared is not None and declared > limit:
        raise too_large(declared, limit)
    stream = environ["wsgi.input"]
    if declared is not None:
        data = stream.read(declared) if declared else b""
    elif environ.get("wsgi.input_terminated"):
        data = stream.read(limit + 1)
    else:
        data = b""  # no length and no terminated stream: WSGI says there is no body
    if len(data) > limit:
        raise too_large(len(data), limit)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = True
    return data


def too_large(size: int, limit: int) -> RefusedBody:
    """The refusal of a body of ``size`` bytes where ``limit`` is the most taken."""
    return RefusedBody("too_large", f"Request size {size} exceeded {limit} bytes")


class _Refused(Exception):
    pass


def xml_problem(data: bytes, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``data`` is not a plain XML document (None when it is one).

    Malformed XML, a DOCTYPE (entity declarations, the "billion laughs") and elements nested
    deeper than ``max_depth`` are refused; expat reads without recursion.
    """
    parser = expat.ParserCreate()
    depth = 0

    def start(name: str, attributes: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > max_depth:
            raise _Refused(f"elements nested more than {max_depth} levels")

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    def doctype(*args: Any) -> None:
        raise _Refused("a DOCTYPE or entity declaration")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        return str(refused)
    except expat.ExpatError as error:
        return str(error)
    return None
