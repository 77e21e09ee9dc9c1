"""Vertex AI's errors: a google.rpc code, its HTTP status and a one-line message.

A refused request answers with Google's JSON error envelope, which the REST transport of
google-cloud-aiplatform maps to the matching ``google.api_core.exceptions`` type; a failed
long-running operation carries the same error as a google.rpc.Status.
"""

from __future__ import annotations

from typing import Any


class VertexAIError(Exception):
    """An error answered the way Vertex AI answers it; subclasses fix the codes."""

    code = 400
    rpc_code = 3
    status = "INVALID_ARGUMENT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def envelope(self) -> dict[str, Any]:
        """The JSON body of the HTTP error response."""
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}

    def rpc_status(self) -> dict[str, Any]:
        """The error as a google.rpc.Status, the shape a failed operation carries."""
        return {"code": self.rpc_code, "message": self.message}


class InvalidArgument(VertexAIError):
    """A malformed request: a missing field, a bad value, instances a model cannot read."""


class NotFound(VertexAIError):
    """A model, version, endpoint, deployed model or operation that does not exist."""

    code = 404
    rpc_code = 5
    status = "NOT_FOUND"


class AlreadyExists(VertexAIError):
    """Creating a resource under an id that is taken."""

    code = 409
    rpc_code = 6
    status = "ALREADY_EXISTS"


class FailedPrecondition(VertexAIError):
    """A request the resource's state forbids: deleting what is deployed, a bad model directory."""

    rpc_code = 9
    status = "FAILED_PRECONDITION"


class InternalError(VertexAIError):
    """A failure of the sandbox itself (or of a predictor), in the API's format all the same."""

    code = 500
    rpc_code = 13
    status = "INTERNAL"
