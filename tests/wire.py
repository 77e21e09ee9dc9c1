"""Sandbox servers that keep every exchange they answer, and the discovery-document check."""

from __future__ import annotations

import json
from typing import Any

from mlops_labs.cloud.discovery import DiscoveryDocument

Exchange = tuple[str, str, int, bytes]


class WireRecorder:
    """Mixed in before a LoopbackServer subclass: ``wire`` holds (method, path, status, body)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wire: list[Exchange] = []

    def wsgi_app(self) -> Any:
        inner = super().wsgi_app()  # type: ignore[misc]

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            status: list[int] = []

            def record_status(line: str, headers: Any, exc_info: Any = None) -> Any:
                status.append(int(line.split()[0]))
                return start_response(line, headers, exc_info)

            body = b"".join(inner(environ, record_status))
            self.wire.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], status[0], body))
            return [body]

        return app


def assert_fits(api: str, method: str, path: str, status: int, body: bytes) -> None:
    """A success fits its method's response schema in ``api``'s discovery document (e.g.
    ``bigquery.v2``); an error fits the error envelope, one line."""
    document = DiscoveryDocument.load(api)
    found = document.find_method(method, path)
    assert found is not None, f"no {api} method answers {method} {path}"
    if status in (204, 308) or (status == 200 and not body):
        assert not body, f"{method} {path} answered {status} with a body"
        return
    data = json.loads(body)
    if status >= 400:
        assert document.check_error(data) == [], data
        assert data["error"]["code"] == status
        assert "\n" not in data["error"]["message"]
        return
    assert found.response is not None, f"{found.id} answers no body, got one"
    assert document.check(found.response, data) == [], (found.id, data)
