"""BigQuery's errors: an HTTP status, a reason and a one-line message, in the API's envelope."""

from __future__ import annotations

from typing import Any


class BigQueryError(Exception):
    """An error answered the way BigQuery answers it; subclasses fix the status and reason."""

    code = 400
    reason = "invalid"
    status = "INVALID_ARGUMENT"

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def error_proto(self) -> dict[str, Any]:
        """The error as an ErrorProto, the shape a job's status carries."""
        proto = {"reason": self.reason, "message": self.message}
        if self.location:
            proto["location"] = self.location
        return proto

    def envelope(self) -> dict[str, Any]:
        """The JSON body of the HTTP error response."""
        item = {"message": self.message, "domain": "global", "reason": self.reason}
        if self.location:
            item["location"] = self.location
            item["locationType"] = "other"
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [item],
                "status": self.status,
            }
        }

    @classmethod
    def from_proto(cls, proto: dict[str, Any], code: int) -> BigQueryError:
        """Rebuild an error a job recorded, to answer it again over HTTP."""
        error = BigQueryError(proto["message"], location=proto.get("location"))
        error.code, error.reason = code, proto["reason"]
        error.status = _STATUS_BY_CODE.get(code, "INVALID_ARGUMENT")
        return error


class Invalid(BigQueryError):
    """The request is malformed or names something impossible."""


class InvalidQuery(BigQueryError):
    """The SQL cannot run: a syntax error, an unknown name, a type error."""

    reason = "invalidQuery"

    def __init__(self, message: str) -> None:
        super().__init__(message, location="query")


class NotFound(BigQueryError):
    """A project, dataset, table or job that does not exist."""

    code = 404
    reason = "notFound"
    status = "NOT_FOUND"


class Duplicate(BigQueryError):
    """Creating something that already exists."""

    code = 409
    reason = "duplicate"
    status = "ALREADY_EXISTS"


class ResourceInUse(BigQueryError):
    """Deleting a dataset that still holds tables, without deleteContents."""

    reason = "resourceInUse"


class AccessDenied(BigQueryError):
    """Writing where the caller may only read, such as the public datasets."""

    code = 403
    reason = "accessDenied"
    status = "PERMISSION_DENIED"


class PreconditionFailed(BigQueryError):
    """An If-Match etag that no longer matches the resource."""

    code = 412
    reason = "conditionNotMet"
    status = "FAILED_PRECONDITION"


class Stopped(BigQueryError):
    """A job that was stopped before it finished: cancelled, or past its jobTimeoutMs."""

    reason = "stopped"


class TimedOut(BigQueryError):
    """A job that ran past the longest a job may run."""

    reason = "timeout"


class InternalError(BigQueryError):
    """A failure of the sandbox itself, answered in the API's format all the same."""

    code = 500
    # The sandbox's own reason: with BigQuery's internalError the client would retry, for
    # minutes, a request that fails the same way every time.
    reason = "sandboxInternalError"
    status = "INTERNAL"


_STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    500: "INTERNAL",
}
_CODE_BY_REASON = {
    cls.reason: cls.code
    for cls in (Invalid, InvalidQuery, NotFound, Duplicate, ResourceInUse, AccessDenied)
}


def code_of(reason: str) -> int:
    """The HTTP status BigQuery answers with for an error of this reason."""
    return _CODE_BY_REASON.get(reason, 400)
