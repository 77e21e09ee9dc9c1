"""The one error type of BigQuery ML: a one-line message, a reason, and where in the SQL."""

from __future__ import annotations


class BigQueryMLError(Exception):
    """A statement BigQuery ML refuses, worded the way BigQuery words it."""

    def __init__(self, message: str, *, reason: str = "invalidQuery") -> None:
        super().__init__(message)
        self.message = message
        # "invalidQuery" (400), "notFound" (404), "duplicate" (409): the API's error reasons.
        self.reason = reason


class Unsupported(BigQueryMLError):
    """A real BigQuery ML feature this sandbox does not implement (named, never ignored)."""
