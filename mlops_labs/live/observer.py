"""Watch every HTTP request the SDKs send and record in the ledger what each one created.

Two places see all of it: urllib3's connection pool (botocore and requests both send through
it) for the request, and requests' ``Session.send`` for Vertex AI's operation results, the only
answers a resource's name is read from. The run's cost guard checks each request there too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from .cost_guard import CostGuard
from .creations import from_request, from_response
from .resources import Resource


@contextlib.contextmanager
def recording(record: Callable[[Resource], None], guard: CostGuard | None = None) -> Iterator[None]:
    """While inside, pass every resource a successful request creates to ``record``.

    With a ``guard``, each request is checked against the run's cost caps before it is sent.
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
        data = _bytes(body)
        if guard is not None:

            def send(payload: bytes, payload_headers: dict[str, Any]) -> tuple[int, bytes]:
                answer = original_urlopen(self, "POST", url, body=payload, headers=payload_headers)
                return answer.status, answer.data

            checked, headers = guard.before(method, full, data, headers or {}, send)
            if checked is not data:
                body = data = checked
        response = original_urlopen(self, method, url, body=body, headers=headers, **kw)
        if 200 <= response.status < 300:
            for resource in from_request(method, full, headers or {}, data):
                record(resource)
        return response

    def send(self: Any, request: Any, **kw: Any) -> Any:
        response = original_send(self, request, **kw)
        readable = not kw.get("stream") and response.ok
        if readable and "json" in response.headers.get("content-type", ""):
            with contextlib.suppress(ValueError):
                for resource in from_response(request.url, response.json()):
                    record(resource)
        return response

    pool.urlopen = urlopen  # type: ignore[method-assign]
    requests.Session.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        pool.urlopen = original_urlopen  # type: ignore[method-assign]
        requests.Session.send = original_send  # type: ignore[method-assign]


def _bytes(body: Any) -> bytes | None:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return None
