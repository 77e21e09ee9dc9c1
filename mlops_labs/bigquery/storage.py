"""Cloud Storage for load, extract and EXPORT DATA: gs:// URIs, wildcards, objects in and out.

The sandbox reaches Cloud Storage only through the google-cloud-storage client its owner's
factory builds (the Cloud Storage sandbox in offline mode), as BigQuery reads and writes objects
with the job's credentials. Messages are BigQuery's where known (``Not found: URI gs://...``).
"""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Callable
from typing import Any

from google.api_core import exceptions as api_exceptions

from .errors import BigQueryError, Invalid, NotFound

# A factory for google.cloud.storage.Client, typed loosely: the client library loads only in
# sandboxes given one.
StorageFactory = Callable[[], Any]
SHARD = "000000000000"  # the first of BigQuery's 12-digit shard numbers


# Every call to the Cloud Storage sandbox is bounded (10 s a call, retried for 3 s): with the
# client's defaults (60 s a call, retried for 120 s) a load or export job, and every request
# waiting on it, would hang that long if Cloud Storage stopped answering or hung up.
def _bounded() -> dict[str, Any]:
    from google.cloud.storage.retry import DEFAULT_RETRY

    return {"timeout": 10, "retry": DEFAULT_RETRY.with_timeout(3.0)}


def split_uri(uri: str) -> tuple[str, str]:
    """A gs:// URI's bucket and object name; Invalid for anything else."""
    if not isinstance(uri, str) or not uri.startswith("gs://"):
        raise Invalid(f"Invalid URI: {uri}. The URI must begin with gs://")
    bucket, _, name = uri[len("gs://") :].partition("/")
    if not bucket or not name:
        raise Invalid(f"Invalid URI: {uri}. The URI must name a bucket and an object")
    return bucket, name


class CloudStorage:
    """Objects read and written for BigQuery jobs through one google-cloud-storage client."""

    def __init__(self, factory: StorageFactory) -> None:
        self._factory = factory

    @property
    def client(self) -> Any:
        """A storage client from the factory, built when used and never kept."""
        # The Cloud Storage sandbox may start after this one, or restart on another port.
        return self._factory()

    def read(self, uris: list[str]) -> list[tuple[str, bytes]]:
        """Every object the URIs name (one ``*`` each at most), in name order; NotFound if none."""
        found: list[tuple[str, bytes]] = []
        client = self.client
        for uri in uris:
            bucket, name = split_uri(uri)
            if name.count("*") > 1:
                raise Invalid(
                    f"Invalid URI: {uri}. Only one wildcard (*) is allowed in a source URI"
                )
            names = self._matching(bucket, name) if "*" in name else [name]
            if not names:
                raise NotFound(f"Not found: URI {uri}")
            for object_name in names:
                try:
                    data = client.bucket(bucket).blob(object_name).download_as_bytes(**_bounded())
                except api_exceptions.NotFound:
                    raise NotFound(f"Not found: URI {uri}") from None
                except api_exceptions.GoogleAPICallError as error:
                    raise Invalid(f"Cannot read {uri}: {error.message}") from None
                found.append((f"gs://{bucket}/{object_name}", _inflated(data)))
        return found

    def matching(self, uri: str) -> list[str]:
        """The objects a URI with one ``*`` names (the pattern itself if it has none)."""
        bucket, name = split_uri(uri)
        if "*" not in name:
            return [uri] if self._exists(bucket, name) else []
        return [f"gs://{bucket}/{n}" for n in self._matching(bucket, name)]

    def write(self, uri: str, data: bytes, content_type: str) -> None:
        """Write one object; BigQueryError if the bucket is missing."""
        bucket, name = split_uri(uri)
        try:
            self.client.bucket(bucket).blob(name).upload_from_string(
                data, content_type=content_type, **_bounded()
            )
        except api_exceptions.NotFound:
            raise NotFound(f"Not found: Bucket {bucket}") from None
        except api_exceptions.GoogleAPICallError as error:
            raise BigQueryError(f"Cannot write {uri}: {error.message}") from None

    def delete(self, uri: str) -> None:
        """Delete one object (gone already is fine)."""
        bucket, name = split_uri(uri)
        with contextlib.suppress(api_exceptions.NotFound):
            self.client.bucket(bucket).blob(name).delete(**_bounded())

    def _exists(self, bucket: str, name: str) -> bool:
        try:
            return bool(self.client.bucket(bucket).blob(name).exists(**_bounded()))
        except api_exceptions.NotFound:
            return False
        except api_exceptions.GoogleAPICallError as error:
            raise Invalid(f"Cannot read gs://{bucket}/{name}: {error.message}") from None

    def _matching(self, bucket: str, pattern: str) -> list[str]:
        # BigQuery's wildcard matches any characters, '/' included, after a literal prefix.
        prefix, _, suffix = pattern.partition("*")
        try:
            blobs = self.client.list_blobs(bucket, prefix=prefix, **_bounded())
            names = [blob.name for blob in blobs]
        except api_exceptions.NotFound:
            return []
        except api_exceptions.GoogleAPICallError as error:
            raise Invalid(f"Cannot list gs://{bucket}/{prefix}*: {error.message}") from None
        return sorted(
            n for n in names if n.endswith(suffix) and len(n) >= len(prefix) + len(suffix)
        )


def _inflated(data: bytes) -> bytes:
    # BigQuery reads gzip-compressed CSV and JSON objects as they are, whatever their name.
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
