"""The offline Data API server: werkzeug on 127.0.0.1 at a free port, answering boto3."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from ...cloud.loopback_server import LoopbackServer
from ..engine import Warehouse
from .models import DataApiBackend, UnknownOperationException
from .responses import CONTENT_TYPE, DataApiResponses, error_body

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_REDSHIFT_DATA"


class DataApiServer(LoopbackServer):
    """The Redshift Data API for one warehouse, reachable only from this machine."""

    name = "the Data API server"

    def __init__(
        self, warehouse: Warehouse, *, database: str = "dev", page_size: int | None = None
    ) -> None:
        super().__init__()
        self.backend = DataApiBackend(warehouse, database=database, page_size=page_size)
        self._responses = DataApiResponses(self.backend)

    def wsgi_app(self) -> Any:
        """The Data API's WSGI application."""
        return self._wsgi

    def reset(self) -> None:
        """Forget every statement; the warehouse's tables stay."""
        self.backend.reset()

    def environment(self) -> dict[str, str]:
        """The setting that points boto3's ``redshift-data`` client here."""
        return {ENDPOINT_VARIABLE: self.endpoint}

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
