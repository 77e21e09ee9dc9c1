"""A WSGI application served on 127.0.0.1 at a free port, in a thread, until stopped."""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any, Self

from ..errors import SandboxError

_serving = threading.local()
# Sent by the clients sandboxes use among themselves, whichever thread they call from.
INTERNAL_HEADER = "X-Mlops-Labs-Sandbox-Internal"


def serving_request() -> bool:
    """Whether this thread is answering a sandbox request: its own calls are not the lab's."""
    return getattr(_serving, "active", False)


def _marked(app: Any) -> Any:
    # A sandbox's own calls (BigQuery reading Cloud Storage) must not be recorded as the lab's.
    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        _serving.active = True
        try:
            return list(app(environ, start_response))
        finally:
            _serving.active = False

    return wrapped


@functools.cache
def _handler_class() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class NoDelayHandler(WSGIRequestHandler):
        """Sends each write at once (TCP_NODELAY), as production servers do.

        werkzeug writes a response's headers and its body apart; with Nagle's algorithm the
        body then waits for the client's delayed ACK of the headers, up to 40 ms on Linux
        (what it cost the token endpoint: docs/benchmarks.md).
        """

        disable_nagle_algorithm = True

    return NoDelayHandler


class LoopbackServer:
    """Base of every offline sandbox: subclasses give ``name`` and ``wsgi_app()``."""

    name = "the sandbox"

    def __init__(self) -> None:
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._endpoint: str | None = None

    def wsgi_app(self) -> Any:
        """The WSGI application to serve."""
        raise NotImplementedError

    @property
    def endpoint(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:51234``."""
        if self._endpoint is None:
            raise SandboxError(f"{self.name} is not running: call start() first")
        return self._endpoint

    def start(self) -> Self:
        """Start serving on a free loopback port (idempotent)."""
        if self._server is not None:
            return self
        from werkzeug.serving import make_server

        # werkzeug logs every request at INFO; a scenario run should stay quiet.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        try:
            server = make_server(
                "127.0.0.1",
                0,
                _marked(self.wsgi_app()),
                threaded=True,
                request_handler=_handler_class(),
            )
        except OSError as exc:
            raise SandboxError(f"{self.name} could not start on 127.0.0.1: {exc}") from None
        # serve_forever's default 0.5 s poll would be waited out by every stop().
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._server = server
        self._endpoint = f"http://127.0.0.1:{server.server_port}"
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and forget the address."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None
        self._endpoint = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
