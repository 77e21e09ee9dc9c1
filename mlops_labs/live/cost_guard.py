"""Cost guards for live runs: BigQuery dry-runs first under a bytes-billed cap; uploads counted.

Applied to the HTTP requests themselves, so they hold for the reference, a learner's code and
the steps alike, and change nothing offline. Before a BigQuery query job runs (jobs.query, or
jobs.insert of a query), the same request goes once with ``dryRun``: if BigQuery estimates more
bytes than the cap, the query is refused before it costs anything; otherwise it runs with
``maximumBytesBilled`` at most the cap (the caller's own value if lower, never higher, in
whichever spelling the request uses), so the service itself refuses a query that would bill
more. Uploads to S3 and Cloud Storage, on every path ``uploads`` recognises, are counted at the
bytes they send and refused past their own cap: before sending when the size is known, block
by block as a stream of unknown length goes. The dry runs are marked as the kit's own
traffic, so a recording holds only the lab's requests.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ..cloud.loopback_server import INTERNAL_HEADER
from ..errors import KitError
from .uploads import Upload, body_bytes, metered, recognise

_BIGQUERY_QUERY = re.compile(r"/bigquery/v2/projects/[^/]+/(?:queries|jobs)$")
# BigQuery's JSON takes a field by its JSON name or by its proto name.
_BYTES_BILLED = ("maximumBytesBilled", "maximum_bytes_billed")
_DRY_RUN = ("dryRun", "dry_run")


class CostCapExceeded(KitError):
    """A live request would cost more than a cap allows; it was not sent."""


@dataclass
class Traffic:
    """What a live run moved and what BigQuery estimated for it."""

    uploaded: dict[str, int] = field(default_factory=lambda: {"S3": 0, "Cloud Storage": 0})
    uploads: int = 0
    bigquery_estimated: int = 0
    bigquery_queries: int = 0

    def summary(self) -> str:
        """One line for the end of the run."""
        moved = ", ".join(f"{_size(n)} to {where}" for where, n in self.uploaded.items())
        return (
            f"uploaded {moved} in {self.uploads} request(s); BigQuery dry runs estimated "
            f"{_size(self.bigquery_estimated)} for {self.bigquery_queries} query job(s)"
        )


class CostGuard:
    """Checks each outgoing request against the caps; see the module docstring."""

    def __init__(self, max_bytes_billed: int, max_upload_bytes: int) -> None:
        self.max_bytes_billed = max_bytes_billed
        self.max_upload_bytes = max_upload_bytes
        self.traffic = Traffic()
        # boto3's transfers upload parts from several threads at once: each count is whole.
        self._counting = threading.Lock()

    def before(
        self,
        method: str,
        url: str,
        body: Any,
        headers: Mapping[str, Any],
        send: Callable[[bytes, dict[str, Any]], tuple[int, bytes]],
    ) -> tuple[Any, dict[str, Any]]:
        """The request to send instead, after the checks; raises past a cap.

        ``body`` is what urllib3 is given: bytes, text, a file or an iterable of blocks. The
        body returned is a capped query's, a stream that counts its blocks as they are sent,
        or ``body`` itself.
        """
        headers = dict(headers or {})
        upload = recognise(method, url, headers, body)
        if upload is not None:
            return self._upload(upload, body), headers
        if method.upper() != "POST" or not _BIGQUERY_QUERY.search(unquote(urlsplit(url).path)):
            return body, headers
        document = _json(body_bytes(body))
        query = _query_settings(document)
        if query is None or _dry_run(document):
            return body, headers
        estimate = self._dry_run(document, headers, send)
        self.traffic.bigquery_queries += 1
        self.traffic.bigquery_estimated += estimate
        if estimate > self.max_bytes_billed:
            raise CostCapExceeded(
                f"BigQuery would process {estimate:,} bytes (dry run), above the live cap of "
                f"{self.max_bytes_billed:,} bytes: narrow the query, or raise max_bytes_billed "
                "(MLOPS_LABS_MAX_BYTES_BILLED)"
            )
        self._cap(query)
        capped = json.dumps(document).encode()
        _set_header(headers, "content-length", str(len(capped)))
        return capped, headers

    def _cap(self, query: dict[str, Any]) -> None:
        """``maximumBytesBilled`` no higher than the cap, however the caller spelled or set it."""
        named = [name for name in _BYTES_BILLED if name in query] or [_BYTES_BILLED[0]]
        for name in named:
            asked = _whole_number(query.get(name))
            # Unset, 0 or not a number leaves the project's default: no limit at all.
            allowed = self.max_bytes_billed if asked is None else min(asked, self.max_bytes_billed)
            query[name] = str(allowed)

    def _upload(self, upload: Upload, body: Any) -> Any:
        """Count an upload now if its size is known, else as its blocks go out."""
        if upload.size is not None:
            self._count_upload(upload.where, upload.size)
            return body
        self._count_upload(upload.where, 0)
        return metered(body, lambda size: self._count_upload(upload.where, size, request=False))

    def _count_upload(self, where: str, size: int, request: bool = True) -> None:
        with self._counting:
            total = sum(self.traffic.uploaded.values()) + size
            if total > self.max_upload_bytes:
                raise CostCapExceeded(
                    f"this upload would take the run to {total:,} bytes uploaded, above the live "
                    f"cap of {self.max_upload_bytes:,} bytes (MLOPS_LABS_MAX_UPLOAD_BYTES)"
                )
            self.traffic.uploaded[where] += size
            self.traffic.uploads += int(request)

    def _dry_run(
        self,
        document: dict[str, Any],
        headers: dict[str, Any],
        send: Callable[[bytes, dict[str, Any]], tuple[int, bytes]],
    ) -> int:
        dry = json.loads(json.dumps(document))
        settings = dry.get("configuration", dry)
        for name in [name for name in _DRY_RUN if name in settings] or [_DRY_RUN[0]]:
            settings[name] = True
        dry.pop("requestId", None)
        data = json.dumps(dry).encode()
        dry_headers = dict(headers)
        _set_header(dry_headers, "content-length", str(len(data)))
        dry_headers[INTERNAL_HEADER] = "cost-guard dry run"
        status, answer = send(data, dry_headers)
        if not 200 <= status < 300:
            return 0  # an invalid query: the real request fails with BigQuery's own error
        result = _json(answer) or {}
        statistics = result.get("statistics") or {}
        return int(result.get("totalBytesProcessed") or statistics.get("totalBytesProcessed") or 0)


def _query_settings(document: Any) -> dict[str, Any] | None:
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("query"), str):
        return document
    query = (document.get("configuration") or {}).get("query")
    return query if isinstance(query, dict) else None


def _dry_run(document: dict[str, Any]) -> bool:
    configuration = document.get("configuration") or {}
    return any(document.get(name) or configuration.get(name) for name in _DRY_RUN)


def _whole_number(value: Any) -> int | None:
    """A positive whole number of bytes (BigQuery sends int64 as a string), else None."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 else None


def _json(data: bytes | None) -> Any:
    try:
        return json.loads(data) if data else None
    except (ValueError, UnicodeDecodeError):
        return None


def _set_header(headers: dict[str, Any], name: str, value: str) -> None:
    for key in [key for key in headers if str(key).lower() == name]:
        del headers[key]
    headers[name.title()] = value


def _size(count: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:,} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count} GB"
