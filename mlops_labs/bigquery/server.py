"""The BigQuery sandbox server: BigQuery's REST API on 127.0.0.1 for google-cloud-bigquery."""

from __future__ import annotations

from typing import Any

from ..cloud.loopback_server import LoopbackServer
from .backend import BigQueryBackend
from .responses import BigQueryResponses

ENDPOINT_VARIABLE = "BIGQUERY_EMULATOR_HOST"


class BigQuerySandbox(LoopbackServer):
    """A BigQuery of one's own: datasets, tables and query jobs over DuckDB, on loopback."""

    name = "the BigQuery sandbox"

    def __init__(self, *, page_size: int | None = None, bigquery_ml: bool = True) -> None:
        super().__init__()
        # BigQuery ML (CREATE MODEL, ML.EVALUATE, ML.PREDICT, ML.TRAINING_INFO, models.*) is
        # opt-in while the core sandbox's tests still expect it refused.
        self.backend = BigQueryBackend(page_size=page_size, bigquery_ml=bigquery_ml)
        self._responses = BigQueryResponses(self.backend)

    def wsgi_app(self) -> Any:
        """The REST API's WSGI application."""
        return self._responses

    def reset(self) -> None:
        """Forget every dataset, table and job; the public datasets stay."""
        self.backend.reset()

    def environment(self) -> dict[str, str]:
        """The setting that points google-cloud-bigquery here (scheme included, as it expects)."""
        return {ENDPOINT_VARIABLE: self.endpoint}
