"""The offline Data API server: werkzeug on 127.0.0.1 at a free port, answering boto3."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from ...cloud.loopback_server import LoopbackServer
from ..engine import Warehouse
from .models import DataApiBackend, DataApiError, UnknownOperationException
from .responses import CONTENT_TYPE, DataApiResponses, error_body

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_REDSHIFT_DATA"
# AWS states no request size for the Data API; its largest request is a batch of 40
# statements of 100 KB each. The server takes up to 10 MiB, refused past that as CloudWatch
# refuses an oversized request (413 RequestEntityTooLarge).
MAX_REQUEST_BYTES = 10 * 1024 * 1024


class RequestEntityTooLargeError(DataApiError):
    """A request body over the server's limit."""

    type_name = "RequestEntityTooLarge"
    status = 413


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
        request.max_content_length = MAX_REQUEST_BYTES
        if request.method == "POST":
            try:
                data = request.get_data()
            except RequestEntityTooLarge:
                size = request.content_length or f"over {MAX_REQUEST_BYTES}"
                refused = RequestEntityTooLargeError(
                    f"Request size {size} exceeded {MAX_REQUEST_BYTES} bytes"
                )
                status, body = refused.status, error_body(refused)
            else:
                status, body = self._responses.handle(request.headers.get("X-Amz-Target"), data)
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
