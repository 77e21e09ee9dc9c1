"""Live mode's stand-ins for the sandboxes: nothing started, the SDKs' own settings untouched."""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Self

from ..vertex_ai.server import ENDPOINT_VARIABLE


class _RealCloud:
    """A real account in a sandbox's place: nothing to start, stop, empty or point at."""

    def start(self) -> Self:
        """Nothing to start."""
        return self

    def stop(self) -> None:
        """Nothing to stop."""

    def reset(self) -> None:
        """Nothing to empty: each scenario removes what it made (see ``LiveRun.scenario``)."""

    def environment(self) -> dict[str, str | None]:
        """No change: credentials, region and endpoints come from the user's own settings."""
        return {}


class LiveAws(_RealCloud):
    """The real AWS account boto3 finds in its standard places."""

    endpoint = None


class LiveGoogleCloud(_RealCloud):
    """The real Google Cloud project of the live settings."""

    def __init__(self, project: str | None) -> None:
        self.project = project
        # Vertex AI has no endpoint variable of its own: the kit's, when set, else the default.
        self.vertex_ai = SimpleNamespace(endpoint=os.environ.get(ENDPOINT_VARIABLE))
