"""Watch every HTTP request the SDKs send and record in the ledger what each one created.

Two places see all of it: urllib3's connection pool (botocore and requests both send through
it) for the request, and requests' ``Session.send`` for Vertex AI's operation results, the only
answers a resource's name is read from. The run's cost guard checks each request there too.
gRPC goes around both, so while recording no gRPC channel may open (``grpc_guard``).

A resource is in the ledger before Ctrl-C can strike between its creation and its record: one
named by the request is recorded before the request is sent (and forgotten if it fails); while
a Vertex AI create is in flight, Ctrl-C waits for its answer, which names the resource.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from . import grpc_guard
from .cost_guard import CostGuard
from .creations import from_request, from_response
from .resources import Resource
from .uploads import body_bytes


@contextlib.contextmanager
def recording(
    record: Callable[[Resource], None],
    guard: CostGuard | None = None,
    forget: Callable[[Resource], None] | None = None,
    created: Callable[[Resource], None] | None = None,
) -> Iterator[None]:
    """While inside, pass every resource a request creates to ``record`` (see above).

    ``forget`` is told of a resource whose creating request was refused, ``created`` of one
    whose request succeeded (to label it). With a ``guard``,
    each request is checked against the run's cost caps before it is sent.
    """
    import requests
    import urllib3.connectionpool

    pool = urllib3.connectionpool.HTTPConnectionPool
    original_urlopen = pool.urlopen
    original_send = requests.Session.send

    def urlopen(
        self: Any, method: str, url: str, body: Any = None, headers: Any = None, **kw: Any
    ) -> Any:
        full = url if "://" in url else f"{self.scheme}://{self.host}:{self.port}{url}"
        if guard is not None:

            def send(payload: bytes, payload_headers: dict[str, Any]) -> tuple[int, bytes]:
                answer = original_urlopen(self, "POST", url, body=payload, headers=payload_headers)
                return answer.status, answer.data

            # A capped query, or a streamed upload that counts its blocks as they are sent.
            body, headers = guard.before(method, full, body, headers or {}, send)
        creating = from_request(method, full, headers or {}, body_bytes(body))
        for resource in creating:
            record(resource)
        response = original_urlopen(self, method, url, body=body, headers=headers, **kw)
        # Refused, it was never made; interrupted, it may have been: then it stays recorded.
        succeeded = 200 <= response.status < 300
        for resource in creating:
            if not succeeded and forget is not None:
                forget(resource)
            elif succeeded and created is not None:
                created(resource)
        return response

    def send(self: Any, request: Any, **kw: Any) -> Any:
        creates = request.method == "POST" and _VERTEX_CREATE.search(request.url or "")
        with _ctrl_c_held() if creates else contextlib.nullcontext():
            return _observed(original_send(self, request, **kw), request, kw)

    def _observed(response: Any, request: Any, kw: dict[str, Any]) -> Any:
        readable = not kw.get("stream") and response.ok
        if readable and "json" in response.headers.get("content-type", ""):
            with contextlib.suppress(ValueError):
                document = response.json()
                finished = isinstance(document, dict) and document.get("done") is True
                for resource in from_response(request.url, document):
                    record(resource)
                    if finished and created is not None:
                        created(resource)  # it exists now: it can take a label
        return response

    pool.urlopen = urlopen  # type: ignore[method-assign]
    requests.Session.send = send  # type: ignore[method-assign]
    try:
        with grpc_guard.refused():  # what gRPC made would go unseen: none while recording
            yield
    finally:
        pool.urlopen = original_urlopen  # type: ignore[method-assign]
        requests.Session.send = original_send  # type: ignore[method-assign]


_VERTEX_CREATE = re.compile(
    r"/v1/projects/[^/]+/locations/[^/]+/(?:models:upload|endpoints)(?:\?|$)"
)


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold a Ctrl-C that arrives inside until the block ends, then raise it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[object] = []
    previous = signal.signal(signal.SIGINT, lambda *args: caught.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt
