"""Replay mode's stand-ins for the sandboxes: the same settings, pointing at nothing that runs.

Cassettes answer every request, matched without host or port, so the SDKs only need an address
they would accept; a port nothing listens on makes an unrecorded request fail fast instead of
reaching anything.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Self

from .aws_sandbox import offline_environment
from .gcs_sandbox import QUIET_CLIENT
from .google_auth_sandbox import PROJECT, key_environment, write_key

# Port 9 is "discard": nothing of ours listens there, and the network guard allows loopback.
NOWHERE = "http://127.0.0.1:9"


class ReplayAws:
    """boto3's settings as offline mode makes them, with the endpoint pointing nowhere."""

    endpoint = NOWHERE

    def start(self) -> Self:
        """Nothing to start."""
        return self

    def stop(self) -> None:
        """Nothing to stop."""

    def reset(self) -> None:
        """Nothing to empty: the cassette holds the account's answers."""

    def environment(self) -> dict[str, str | None]:
        """Placeholder credentials and region, endpoint nowhere."""
        settings = offline_environment(NOWHERE)
        # The Redshift Data API too: offline mode serves it from the scenario's warehouse.
        settings["AWS_ENDPOINT_URL_REDSHIFT_DATA"] = NOWHERE
        return settings


class ReplayGoogleCloud:
    """The offline Google settings and key, every endpoint pointing nowhere."""

    def __init__(self) -> None:
        self.project = PROJECT
        self._directory = Path(tempfile.mkdtemp(prefix="mlops-labs-replay-"))
        self._key = self._directory / "offline-service-account.json"
        self.vertex_ai = SimpleNamespace(endpoint=NOWHERE)

    def start(self) -> Self:
        """Write the offline key, its token requests answered from cassettes too."""
        write_key(self._key, f"{NOWHERE}/token")
        return self

    def stop(self) -> None:
        """Remove the key."""
        shutil.rmtree(self._directory, ignore_errors=True)

    def reset(self) -> None:
        """Nothing to empty."""

    def environment(self) -> dict[str, str | None]:
        """Credentials, project and the emulator settings the client libraries honour."""
        return {
            **key_environment(self._key),
            "STORAGE_EMULATOR_HOST": NOWHERE,
            **QUIET_CLIENT,
            "BIGQUERY_EMULATOR_HOST": NOWHERE,
            "VERTEX_AI_API_ENDPOINT": NOWHERE,
        }
