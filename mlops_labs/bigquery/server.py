"""The BigQuery sandbox server: BigQuery's REST API on 127.0.0.1 for google-cloud-bigquery."""

from __future__ import annotations

from typing import Any

from ..cloud.loopback_server import LoopbackServer
from .backend import BigQueryBackend
from .job_control import MAX_JOB_S, SYNC_WINDOW_S
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
        max_job_seconds: float = MAX_JOB_S,
        sync_window_seconds: float = SYNC_WINDOW_S,
    ) -> None:
        super().__init__()
        # BigQuery ML (CREATE MODEL, ML.EVALUATE, ML.PREDICT, ML.TRAINING_INFO, models.*) is
        # opt-in while the core sandbox's tests still expect it refused. ``storage`` builds the
        # google.cloud.storage.Client that loads from gs://, extract jobs and EXPORT DATA use;
        # without it they are refused by name.
        # ``max_job_seconds``: the longest a job may run before it is stopped;
        # ``sync_window_seconds``: how long jobs.insert waits for its job to be DONE.
        self.backend = BigQueryBackend(
            page_size=page_size,
            bigquery_ml=bigquery_ml,
            storage=storage,
            max_job_seconds=max_job_seconds,
            sync_window_seconds=sync_window_seconds,
        )
        self._responses = BigQueryResponses(self.backend)

    def wsgi_app(self) -> Any:
        """The REST API's WSGI application."""
        return self._responses

    def stop(self) -> None:
        """Stop serving, and stop every job still running."""
        super().stop()
        self.backend.stop_jobs()

    def reset(self) -> None:
        """Forget every dataset, table and job; the public datasets stay."""
        self.backend.reset()

    def environment(self) -> dict[str, str]:
        """The setting that points google-cloud-bigquery here (scheme included, as it expects)."""
        return {ENDPOINT_VARIABLE: self.endpoint}
