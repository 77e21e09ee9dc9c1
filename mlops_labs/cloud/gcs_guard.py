"""The Cloud Storage sandbox's front door: each request read whole, checked, then handled.

gcp-storage-emulator trusts its input. A body that is not JSON, a multipart upload without its
metadata part, an object name with a ``..`` segment (its in-memory file system refuses the
path): the handler raises, and the emulator drops the connection without an answer, which
google-cloud-storage retries for two minutes. It also serves one request at a time, so one
client that stops sending mid-body stalls every other.

Here every request is read in its own thread (bounded in size and time), held to Cloud
Storage's rules for names, query parameters and JSON bodies, and only then handed to the
emulator's handler, one at a time under a lock. Whatever still goes wrong is answered in Cloud
Storage's JSON error format, never by closing the connection.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
import zlib
from email.parser import BytesParser
from functools import cache
from http import HTTPStatus
from http import server as http_server
from typing import Any

from .request_guard import MAX_DEPTH, RefusedBody, load_json

_log = logging.getLogger(__name__)

# Cloud Storage takes objects of up to 5 TiB; the sandbox keeps them in memory and takes a
# request body of up to 5 GiB (S3's limit for a single PUT, the AWS sandbox's).
MAX_REQUEST_BYTES = 5 * 1024**3
# A client that stops sending for this long loses its connection (and only its own).
READ_TIMEOUT_SECONDS = 30
MAX_NAME_BYTES = 1024
# The emulator's storage is not thread-safe: its handlers run one at a time.
HANDLING = threading.RLock()


class Refusal(Exception):
    """A request answered with an error in Cloud Storage's JSON format."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


def error_body(code: int, reason: str, message: str) -> dict[str, Any]:
    """Cloud Storage's JSON API error envelope."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    }


def object_name_problem(name: str) -> str | None:
    """Why Cloud Storage refuses ``name`` for an object (None if it takes it), in its words."""
    if "\r" in name or "\n" in name:
        return "Disallowed unicode characters present in object name"
    if name in (".", ".."):
        return f"Object name '{name}' is not valid: objects cannot be named . or .."
    if name.startswith(".well-known/acme-challenge/"):
        return "Object names cannot start with '.well-known/acme-challenge/'"
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        return (
            f"The maximum object length is {MAX_NAME_BYTES} characters, but got a name with "
            f"{size} characters: ''{name[:64]}...''"
        )
    return None


def unstorable(name: str) -> bool:
    """Whether the emulator's file system cannot hold ``name``: a '.' or '..' path segment."""
    return any(part in (".", "..") for part in name.replace("\\", "/").split("/"))


class _QuietServer(http_server.ThreadingHTTPServer):
    """One thread per connection; stopping does not wait for a stalled client's thread."""

    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        _log.debug("the Cloud Storage sandbox lost a connection", exc_info=True)


def make_server(host: str, port: int, storage: Any) -> http_server.HTTPServer:
    """The emulator's HTTP server for ``storage``, with every request through GuardedHandler."""
    return _QuietServer((host, port), lambda *args: GuardedHandler(storage, *args))


def _request_handler_base() -> type:
    from gcp_storage_emulator import server

    return server.RequestHandler


class GuardedHandler(_request_handler_base()):  # type: ignore[misc]
    """The emulator's request handler, with every request checked before the emulator sees it."""

    timeout = READ_TIMEOUT_SECONDS

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        from gcp_storage_emulator import server

        method = self.headers.get("x-http-method-override") or method
        try:
            self._read_body()
            request = server.Request(self, method)
            handler = self._route(request, method)
            self._check(request, method, handler)
        except Refusal as refusal:
            self._answer(refusal.code, refusal.reason, refusal.message)
            return
        except OSError:  # the client went away or stopped sending: nobody to answer
            self.close_connection = True
            return
        response = server.Response(self)
        try:
            with HANDLING:
                handler(request, response, self.storage)
        except Exception as exc:  # the emulator could not handle it: say so, never hang up
            _log.warning("the Cloud Storage sandbox failed on %s %s", method, self.path)
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._answer(
                400,
                "invalid",
                f"The Cloud Storage sandbox cannot handle this request ({first})",
            )
            return
        response.close()

    # Reading

    def _read_body(self) -> None:
        """Read the whole body now (bounded), so the emulator reads it from memory."""
        length = self.headers.get("Content-Length")
        chunked = (self.headers.get("Transfer-Encoding") or "").lower() == "chunked"
        if length is not None:
            if not length.strip().isdigit():
                raise Refusal(400, "invalid", f"Invalid Content-Length: {length!r}")
            size = int(length)
            if size > MAX_REQUEST_BYTES:
                raise _too_large(size)
            body = self.rfile.read(size) if size else b""
        elif chunked:
            body = self._read_chunked()
        else:
            body = b""
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        if body and encoding in ("gzip", "deflate"):
            body = _inflated(body, encoding)
            del self.headers["Content-Encoding"]
        self.rfile = _Buffer(body)
        del self.headers["Transfer-Encoding"]
        del self.headers["Content-Length"]
        self.headers["Content-Length"] = str(len(body))

    def _read_chunked(self) -> bytes:
        parts, total = [], 0
        while True:
            line = self.rfile.readline(1024).strip().split(b";")[0]
            try:
                size = int(line, 16) if line else 0
            except ValueError:
                raise Refusal(400, "invalid", "Malformed chunked request body") from None
            if size == 0:
                self.rfile.readline(1024)
                return b"".join(parts)
            total += size
            if total > MAX_REQUEST_BYTES:
                raise _too_large(total)
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)

    # Checking

    def _route(self, request: Any, method: str) -> Any:
        """The emulator's handler for the request (as its router finds it); 404 if none."""
        from gcp_storage_emulator import server, settings
        from gcp_storage_emulator.handlers import objects

        for pattern, handlers in server.HANDLERS:
            match = _compiled(pattern).fullmatch(request.path)
            if not match:
                continue
            request.set_match(match)
            handler = handlers.get(method)
            if (
                handler is None
                and method == "POST"
                and request.query.get("uploadType")
                and request.path.endswith("/o")
                and (
                    request.path.startswith(settings.API_ENDPOINT + "/b/")
                    or request.path.startswith("/b/")
                )
            ):
                handler = objects.insert
            if handler is None:
                break
            return handler
        raise Refusal(
            404, "notFound", f"Not Found: the Cloud Storage sandbox has no {method} {request.path}"
        )

    def _check(self, request: Any, method: str, handler: Any) -> None:
        from gcp_storage_emulator import settings

        self._check_parameters(method, request)
        data = self.rfile.getvalue()
        content_type = (self.headers.get("Content-Type") or "").lower()
        path = request.path
        params = request.params or {}
        names = [name for key, name in params.items() if key.endswith("object_id")]
        if "name" in request.query:
            names.append(request.query["name"][0])
        json_api = path.startswith(settings.API_ENDPOINT + "/") or path.startswith("/b/")
        upload = path.startswith(settings.UPLOAD_API_ENDPOINT + "/")
        kind = (request.query.get("uploadType") or [""])[0]
        if data and content_type.startswith("multipart/related"):
            names.extend(_multipart_names(data, content_type))
        elif (
            data
            and "upload_id" not in request.query
            and ((json_api and not kind) or (kind == "resumable" and "json" in content_type))
        ):
            body = _json_object(data)
            if isinstance(body.get("name"), str) and kind:
                names.append(body["name"])
            if not content_type.startswith("application/json"):
                # The emulator reads a body as JSON only when it says so; Cloud Storage's JSON
                # API reads it as JSON whatever it says.
                del self.headers["Content-Type"]
                self.headers["Content-Type"] = "application/json"
        creating = upload or method == "PUT" or _creates(handler)
        bucket = params.get("bucket_name", "")
        for name in names:
            problem = object_name_problem(name)
            if problem:
                raise Refusal(400, "invalid", problem)
            if unstorable(name):
                if creating:
                    raise Refusal(
                        400,
                        "invalid",
                        f"The Cloud Storage sandbox cannot store object names with a '.' or "
                        f"'..' path segment (Cloud Storage itself can): {name!r}",
                    )
                raise Refusal(404, "notFound", f"No such object: {bucket}/{name}")

    def _check_parameters(self, method: str, request: Any) -> None:
        document = _discovery()
        found = document.find_method(method, request.path)
        if found is None:
            return
        problems = document.check_parameters(found, _Arguments(request.query))
        if problems:
            raise Refusal(400, "invalid", problems[0])

    # Answering

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (an unknown method, a malformed request line), in JSON."""
        if code == HTTPStatus.NOT_IMPLEMENTED:  # no do_<METHOD>: a method Cloud Storage lacks
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, f"Method {self.command} not allowed"
        self.close_connection = True
        reason = "notFound" if code == HTTPStatus.NOT_FOUND else "invalid"
        self._answer(int(code), reason, message or HTTPStatus(code).phrase)

    def _answer(self, code: int, reason: str, message: str) -> None:
        import json

        content = json.dumps(error_body(code, reason, message)).encode()
        self.send_response(code, HTTPStatus(code).phrase)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


class _Buffer:
    """The request body in memory, read as the emulator reads its socket file."""

    def __init__(self, data: bytes) -> None:
        import io

        self._stream = io.BytesIO(data)
        self._data = data

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._stream.readline(size)

    def getvalue(self) -> bytes:
        return self._data

    def close(self) -> None:
        self._stream.close()


class _Arguments:
    """parse_qs's dict of lists, as DiscoveryDocument.check_parameters reads arguments."""

    def __init__(self, query: dict[str, list[str]]) -> None:
        self._query = query

    def getlist(self, name: str) -> list[str]:
        return self._query.get(name, [])


def _too_large(size: int) -> Refusal:
    return Refusal(
        413,
        "requestTooLarge",
        f"Request Too Large: the body of {size} bytes is over the Cloud Storage sandbox's "
        f"limit of {MAX_REQUEST_BYTES} bytes",
    )


def _inflated(body: bytes, encoding: str) -> bytes:
    """A gzip or deflate body inflated, up to the size limit (a small bomb stays small)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_REQUEST_BYTES + 1)
    except (zlib.error, gzip.BadGzipFile) as error:
        raise Refusal(400, "invalid", f"Invalid {encoding} request body: {error}") from None
    if len(data) > MAX_REQUEST_BYTES:
        raise _too_large(len(data))
    return data


def _json_object(data: bytes) -> dict[str, Any]:
    """A JSON API request body: an object, or Cloud Storage's "Parse Error"."""
    try:
        body = load_json(data, max_depth=MAX_DEPTH)
    except RefusedBody:
        raise Refusal(400, "parseError", "Parse Error") from None
    if not isinstance(body, dict):
        raise Refusal(400, "parseError", "Parse Error")
    return body


def _multipart_names(data: bytes, content_type: str) -> list[str]:
    """The object name in a multipart upload's metadata part, read as the emulator reads it."""
    message = BytesParser().parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + data)
    parts = message.get_payload() if message.is_multipart() else []
    if not isinstance(parts, list) or len(parts) != 2:
        count = len(parts) if isinstance(parts, list) else 0
        raise Refusal(400, "invalid", f"Invalid multipart request with {count} mime parts.")
    metadata = parts[0].get_payload(decode=True) or b""
    body = _json_object(metadata)
    name = body.get("name")
    return [name] if isinstance(name, str) else []


def _creates(handler: Any) -> bool:
    # Copies, rewrites and composes create their destination object.
    return getattr(handler, "__name__", "") in ("copy", "rewrite", "compose", "insert")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@cache
def _discovery() -> Any:
    from .discovery import DiscoveryDocument

    return DiscoveryDocument.load("storage.v1")
