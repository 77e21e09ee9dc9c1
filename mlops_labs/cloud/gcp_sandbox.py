"""Offline Google Cloud: credentials, Cloud Storage, BigQuery and Vertex AI, started together."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from .gcs_sandbox import GcsSandbox
from .google_auth_sandbox import PROJECT, GoogleAuthSandbox
from .loopback_server import INTERNAL_HEADER

__all__ = ["PROJECT", "GoogleCloudSandbox"]


class GoogleCloudSandbox:
    """The Google Cloud side of offline mode: credentials, Cloud Storage, BigQuery, Vertex AI."""

    def __init__(self) -> None:
        from ..bigquery.server import BigQuerySandbox
        from ..vertex_ai.server import VertexAISandbox

        self.project = PROJECT
        self.storage = GcsSandbox()
        # BigQuery's load, extract and EXPORT DATA jobs read and write this sandbox's storage.
        self.bigquery = BigQuerySandbox(storage=self._storage_client)
        # Vertex AI reads model directories from the same storage at upload and deploy.
        self.vertex_ai = VertexAISandbox(storage=self._storage_client)
        # The key's folder last: nothing after it can fail and leave it behind.
        self._directory = Path(tempfile.mkdtemp(prefix="mlops-labs-gcp-"))
        self.auth = GoogleAuthSandbox(self._directory)

    def _storage_client(self) -> Any:
        """A Cloud Storage client on this sandbox's storage, for BigQuery and Vertex AI."""
        import requests
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        # Marked, so a recording leaves out these calls (made from any thread the client
        # starts): in replay no sandbox runs to make them.
        session = requests.Session()
        session.headers[INTERNAL_HEADER] = "1"
        return storage.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.storage.endpoint},
            _http=session,
        )

    def start(self) -> GoogleCloudSandbox:
        """Start every service (idempotent); on a failure or Ctrl-C, stop them, remove the key."""
        try:
            self.auth.start()
            self.storage.start()
            self.bigquery.start()
            self.vertex_ai.start()
        except BaseException:
            # A context manager whose __enter__ fails never sees its __exit__.
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every service and remove the offline key."""
        try:
            self.vertex_ai.stop()
            self.bigquery.stop()
            self.storage.stop()
            self.auth.stop()
        finally:
            shutil.rmtree(self._directory, ignore_errors=True)

    def reset(self) -> None:
        """Empty every service: no bucket, dataset, job, model or endpoint (public data stays)."""
        self.storage.reset()
        self.bigquery.reset()
        self.vertex_ai.reset()

    def environment(self) -> dict[str, str | None]:
        """The settings that point the Google Cloud client libraries here."""
        return {
            **self.auth.environment(),
            **self.storage.environment(),
            **self.bigquery.environment(),
            **self.vertex_ai.environment(),
        }

    def __enter__(self) -> GoogleCloudSandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
