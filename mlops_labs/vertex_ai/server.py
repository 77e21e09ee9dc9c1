"""The Vertex AI sandbox server: Vertex AI's REST v1 on 127.0.0.1 for google-cloud-aiplatform."""

from __future__ import annotations

from typing import Any

from ..cloud.loopback_server import LoopbackServer
from .artifacts import StorageFactory
from .backend import VertexAIBackend
from .responses import VertexAIResponses

# The kit's name for the setting: aiplatform reads no variable of its own, so lab code passes
# it on as aiplatform.init(api_endpoint=..., api_transport="rest").
ENDPOINT_VARIABLE = "VERTEX_AI_API_ENDPOINT"


class VertexAISandbox(LoopbackServer):
    """A Vertex AI of one's own: models uploaded from Cloud Storage, deployed and predicting."""

    name = "the Vertex AI sandbox"

    def __init__(self, storage: StorageFactory | None = None) -> None:
        super().__init__()
        # ``storage`` builds the google.cloud.storage.Client that reads model directories at
        # upload and deploy; without it every upload is refused by name.
        self.backend = VertexAIBackend(storage)
        self._responses = VertexAIResponses(self.backend)

    def wsgi_app(self) -> Any:
        """The REST API's WSGI application."""
        return self._responses

    def reset(self) -> None:
        """Forget every model, endpoint and operation."""
        with self.backend.lock:
            self.backend.reset()

    def environment(self) -> dict[str, str]:
        """The setting lab code passes to ``aiplatform.init(api_endpoint=...)``."""
        return {ENDPOINT_VARIABLE: self.endpoint}
