"""Long-running operations: every mutation answers with one, and the client polls it.

Vertex AI names an operation after the resource it works on (``.../models/1/operations/2``)
or, when that resource goes away, after its location (``.../locations/l/operations/3``). The
sandbox does the work at once; the method that starts an operation answers it as not yet done,
as the service does, so the client's poll (one GET) fetches its result or its
google.rpc.Status error, and the operation stays gettable afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import NotFound, VertexAIError
from .models import now, rfc3339

TYPE_URL = "type.googleapis.com/google.cloud.aiplatform.v1."
EMPTY = {"@type": "type.googleapis.com/google.protobuf.Empty"}


@dataclass
class Operation:
    """A finished operation: its metadata, and its response or its error."""

    name: str
    metadata: dict[str, Any]
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def accepted(self) -> dict[str, Any]:
        """The operation as the method that starts it answers: running, not yet done."""
        return {"name": self.name, "metadata": self.metadata}

    def resource(self) -> dict[str, Any]:
        """The google.longrunning.Operation resource, done, as operations.get answers it."""
        body: dict[str, Any] = {"name": self.name, "metadata": self.metadata, "done": True}
        if self.error is not None:
            body["error"] = self.error
        else:
            body["response"] = self.response
        return body


class Operations:
    """Every operation the sandbox has run, by name."""

    def __init__(self) -> None:
        self._by_name: dict[str, Operation] = {}

    def run(self, name: str, metadata_type: str, work: Callable[[], dict[str, Any]]) -> Operation:
        """Do ``work`` and keep its outcome: the response it returns or the error it raises."""
        started = rfc3339(now())
        response: dict[str, Any] | None = None
        error: dict[str, Any] | None = None
        try:
            response = work()
        except VertexAIError as failure:
            error = failure.rpc_status()
        generic = {"createTime": started, "updateTime": rfc3339(now())}
        metadata = {"@type": TYPE_URL + metadata_type, "genericMetadata": generic}
        operation = Operation(name, metadata, response, error)
        self._by_name[name] = operation
        return operation

    def get(self, name: str) -> Operation:
        """The operation of that name; NotFound if the sandbox never ran it."""
        try:
            return self._by_name[name]
        except KeyError:
            raise NotFound(f"Operation {name} not found.") from None

    def reset(self) -> None:
        """Forget every operation."""
        self._by_name.clear()


def typed(message_type: str, body: dict[str, Any]) -> dict[str, Any]:
    """An operation's response: a message of aiplatform v1, packed as google.protobuf.Any."""
    return {"@type": TYPE_URL + message_type, **body}
