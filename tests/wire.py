"""A sandbox server that keeps every exchange it answers, for checks against discovery documents."""

from __future__ import annotations

from typing import Any

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
