"""Offline Cloud Storage: gcp-storage-emulator, in memory, on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
from typing import Any

from ..errors import SandboxError


def _free_port() -> int:
    # The emulator takes a port number, not a bound socket: ask the OS for a free one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# google-cloud-storage 3.x fetches bucket metadata for its telemetry in background threads: calls
# the lab never made, at moments that vary run to run. Off, a scenario's traffic is its own.
QUIET_CLIENT = {"DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA": "true"}


class GcsSandbox:
    """A Cloud Storage API for google-cloud-storage, reached through STORAGE_EMULATOR_HOST."""

    name = "the Cloud Storage sandbox"

    def __init__(self) -> None:
        self._server: Any = None
        self._endpoint: str | None = None

    @property
    def endpoint(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:51234``."""
        if self._endpoint is None:
            raise SandboxError(f"{self.name} is not running: call start() first")
        return self._endpoint

    def start(self) -> GcsSandbox:
        """Start the emulator in memory on a free loopback port (idempotent)."""
        if self._server is not None:
            return self
        from gcp_storage_emulator.server import create_server

        from . import gcs_fixes

        gcs_fixes.install()
        # The emulator logs every request; a scenario run should stay quiet.
        logging.getLogger("gcp_storage_emulator").setLevel(logging.WARNING)
        port = _free_port()
        server = create_server("127.0.0.1", port, in_memory=True)
        try:
            server.start()
        except OSError as exc:
            raise SandboxError(f"{self.name} could not start on 127.0.0.1: {exc}") from None
        self._server = server
        self._endpoint = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        """Stop the emulator and forget its buckets."""
        if self._server is not None:
            self._server.stop()
        self._server = None
        self._endpoint = None

    def reset(self) -> None:
        """Delete every bucket and object."""
        if self._server is not None:
            from .gcs_guard import HANDLING

            with HANDLING:  # never in the middle of a request's handler
                self._server.wipe()

    def environment(self) -> dict[str, str | None]:
        """The setting that points google-cloud-storage here (it then needs no credentials)."""
        return {"STORAGE_EMULATOR_HOST": self.endpoint, **QUIET_CLIENT}

    def __enter__(self) -> GcsSandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
