"""The offline Data API server: werkzeug on 127.0.0.1 at a free port, answering boto3."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from ...errors import SandboxError
from ..engine import Warehouse
from .models import DataApiBackend, UnknownOperationException
from .responses import CONTENT_TYPE, DataApiResponses, error_body

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_REDSHIFT_DATA"


class DataApiServer:
    """The Redshift Data API for one warehouse, reachable only from this machine."""

    def __init__(
        self, warehouse: Warehouse, *, database: str = "dev", page_size: int | None = None
    ) -> None:
        self.backend = DataApiBackend(warehouse, database=database, page_size=page_size)
        self._responses = DataApiResponses(self.backend)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._endpoint: str | None = None

    @property
    def endpoint(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:51234``."""
        if self._endpoint is None:
            raise SandboxError("the Data API server is not running: call start() first")
        return self._endpoint

    def start(self) -> DataApiServer:
        """Start serving on a free loopback port (idempotent)."""
        if self._server is not None:
            return self
        from werkzeug.serving import make_server

        # werkzeug logs every request at INFO; a scenario run should stay quiet.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        try:
            server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        except OSError as exc:
            raise SandboxError(f"the Data API server could not start on 127.0.0.1: {exc}") from None
        # serve_forever's default 0.5 s poll would be waited out by every stop().
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._server = server
        self._endpoint = f"http://127.0.0.1:{server.server_port}"
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and forget the address (statements are kept)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None
        self._endpoint = None

    def reset(self) -> None:
        """Forget every statement; the warehouse's tables stay."""
        self.backend.reset()

    def environment(self) -> dict[str, str]:
        """The setting that points boto3's ``redshift-data`` client here."""
        return {ENDPOINT_VARIABLE: self.endpoint}

    def __enter__(self) -> DataApiServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.method == "POST":
            status, body = self._responses.handle(
                request.headers.get("X-Amz-Target"), request.get_data()
            )
        else:
            refused = UnknownOperationException(
                f"the Data API takes POST requests with an X-Amz-Target, got {request.method}"
            )
            status, body = refused.status, error_body(refused)
        response = Response(
            json.dumps(body),
            status=status,
            content_type=CONTENT_TYPE,
            headers={"x-amzn-RequestId": str(uuid.uuid4())},
        )
        return response(environ, start_response)
