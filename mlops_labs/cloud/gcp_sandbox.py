"""Offline Google Cloud: credentials and Cloud Storage, started and reset together."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .gcs_sandbox import GcsSandbox
from .google_auth_sandbox import PROJECT, GoogleAuthSandbox

__all__ = ["PROJECT", "GoogleCloudSandbox"]


class GoogleCloudSandbox:
    """The Google Cloud side of offline mode: application-default credentials and Storage."""

    def __init__(self) -> None:
        self._directory = Path(tempfile.mkdtemp(prefix="mlops-labs-gcp-"))
        self.auth = GoogleAuthSandbox(self._directory)
        self.storage = GcsSandbox()
        self.project = PROJECT

    def start(self) -> GoogleCloudSandbox:
        """Start every service (idempotent)."""
        self.auth.start()
        self.storage.start()
        return self

    def stop(self) -> None:
        """Stop every service and remove the offline key."""
        self.storage.stop()
        self.auth.stop()
        shutil.rmtree(self._directory, ignore_errors=True)

    def reset(self) -> None:
        """Empty every service: no bucket, no object."""
        self.storage.reset()

    def environment(self) -> dict[str, str | None]:
        """The settings that point the Google Cloud client libraries here."""
        return {**self.auth.environment(), **self.storage.environment()}

    def __enter__(self) -> GoogleCloudSandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
