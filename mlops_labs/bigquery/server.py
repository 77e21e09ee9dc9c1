"""The BigQuery sandbox server: BigQuery's REST API on 127.0.0.1 for google-cloud-bigquery."""

from __future__ import annotations

from typing import Any

from ..cloud.loopback_server import LoopbackServer
from .backend import BigQueryBackend
from .responses import BigQueryResponses
from .storage import StorageFactory

ENDPOINT_VARIABLE = "BIGQUERY_EMULATOR_HOST"


class BigQuerySandbox(LoopbackServer):
    """A BigQuery of one's own: datasets, tables and query jobs over DuckDB, on loopback."""

    name = "the BigQuery sandbox"

    def __init__(
        self,
        *,
        page_size: int | None = None,
        bigquery_ml: bool = True,
        storage: StorageFactory | None = None,
    ) -> None:
        super().__init__()
        # BigQuery ML (CREATE MODEL, ML.EVALUATE, ML.PREDICT, ML.TRAINING_INFO, models.*) is
        # opt-in while the core sandbox's tests still expect it refused. ``storage`` builds the
        # google.cloud.storage.Client that loads from gs://, extract jobs and EXPORT DATA use;
        # without it they are refused by name.
        self.backend = BigQueryBackend(
            page_size=page_size, bigquery_ml=bigquery_ml, storage=storage
        )
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
