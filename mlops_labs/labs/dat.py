"""Storage handles: one interface for local paths, ``s3://`` and ``gs://`` URIs.

A trainer asks ``get_handle(uri)`` for a handle and reads or writes bytes, CSVs and model files
through it, without caring where they live. This is the "local / dev" persistence path that
Lab 6.1.2 compares with the trainer's own manual S3 upload; in Lab 6.4 the same trainer writes
to Cloud Storage through it, unchanged.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

SCHEMES = ("file", "s3", "gs")

# Bucket naming rules by scheme: Amazon S3 general purpose buckets, Cloud Storage buckets.
_BUCKET_RULES = {
    "s3": (
        re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
        "3-63 lower-case letters, digits, dots or hyphens",
    ),
    "gs": (
        re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$"),
        "3-63 lower-case letters, digits, dots, hyphens or underscores",
    ),
}
_IP_SHAPE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


class StorageError(Exception):
    """A storage location could not be used; the message says why and what to do."""


class UnsupportedSchemeError(StorageError, ValueError):
    """The URI names a storage scheme this module does not serve."""


class InvalidURIError(StorageError, ValueError):
    """The URI is malformed: no bucket, no key, or a name the service would refuse."""


class NotFoundError(StorageError, FileNotFoundError):
    """The bucket, object or file does not exist."""


class NotWritableError(StorageError, PermissionError):
    """The destination exists but cannot be written."""


@dataclass(frozen=True)
class Location:
    """A parsed storage URI: ``scheme`` is ``file`` or ``s3``; ``path`` is the key or file path."""

    scheme: str
    bucket: str
    path: str

    @property
    def uri(self) -> str:
        """The location written back as a URI (local paths stay plain paths)."""
        if self.scheme == "file":
            return self.path
        return f"{self.scheme}://{self.bucket}/{self.path}"

    def join(self, name: str) -> Location:
        """The location of ``name`` inside this one, read as a folder or key prefix."""
        if self.scheme == "file":
            return Location("file", "", str(Path(self.path) / name))
        prefix = self.path if self.path.endswith("/") or not self.path else self.path + "/"
        return Location(self.scheme, self.bucket, prefix + name)


def parse_uri(uri: str) -> Location:
    """Parse a local path, ``file://`` or ``s3://`` URI, refusing what cannot name an object."""
    if not isinstance(uri, str | os.PathLike) or not str(uri).strip():
        raise InvalidURIError("empty storage location: give a local path or an s3:// URI")
    text = os.fspath(uri)
    if "://" not in text:
        return Location("file", "", text)
    scheme, _, rest = text.partition("://")
    scheme = scheme.lower()
    if scheme == "file":
        return Location("file", "", rest)
    if scheme not in SCHEMES:
        raise UnsupportedSchemeError(
            f"unsupported URI scheme '{scheme}' in {text}: use a local path or one of "
            + ", ".join(f"{s}://" for s in SCHEMES)
        )
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise InvalidURIError(f"{text} has no bucket name: write it as {scheme}://BUCKET/KEY")
    rule, allowed = _BUCKET_RULES[scheme]
    if not rule.match(bucket) or ".." in bucket or _IP_SHAPE.match(bucket):
        raise InvalidURIError(
            f"'{bucket}' is not a valid bucket name: use {allowed}, "
            "starting and ending with a letter or digit"
        )
    if not key:
        raise InvalidURIError(f"{text} has no object key: write it as {scheme}://{bucket}/KEY")
    return Location(scheme, bucket, key)


class Handle(ABC):
    """One object or file, read and written whole."""

    def __init__(self, location: Location) -> None:
        self.location = location

    @property
    def uri(self) -> str:
        """Where this handle points."""
        return self.location.uri

    @abstractmethod
    def read_bytes(self) -> bytes:
        """The whole content."""

    @abstractmethod
    def write_bytes(self, data: bytes) -> None:
        """Replace the content at once: readers see the old bytes or the new, never a part."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether there is anything to read."""

    @abstractmethod
    def check_writable(self) -> None:
        """Raise a StorageError now if a later write here is bound to fail."""

    def read_csv(self, **options: object) -> pd.DataFrame:
        """The content parsed as a CSV table."""
        return pd.read_csv(io.BytesIO(self.read_bytes()), **options)

    def write_csv(self, frame: pd.DataFrame) -> None:
        """Write ``frame`` as a CSV table without its index."""
        self.write_bytes(frame.to_csv(index=False).encode("utf-8"))


class LocalHandle(Handle):
    """A file on local disk."""

    @property
    def path(self) -> Path:
        """The file's path."""
        return Path(self.location.path)

    def read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no file at {self.path}: check the path") from None
        except OSError as exc:
            raise StorageError(f"cannot read {self.path}: {exc.strerror}") from None

    def write_bytes(self, data: bytes) -> None:
        self.check_writable()
        # Write beside the target, then rename: a crash leaves the old file or none, never half.
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        except OSError as exc:
            raise self._not_writable(exc) from None
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise self._not_writable(exc) from None

    def exists(self) -> bool:
        return self.path.is_file()

    def check_writable(self) -> None:
        if self.path.is_dir():
            raise NotWritableError(f"cannot write {self.path}: it is a directory; name a file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._not_writable(exc) from None
        if not os.access(self.path.parent, os.W_OK):
            raise NotWritableError(
                f"cannot write {self.path}: permission denied; choose a directory you can write to"
            )

    def _not_writable(self, exc: OSError) -> NotWritableError:
        reason = exc.strerror or str(exc)
        return NotWritableError(
            f"cannot write {self.path}: {reason}; choose a directory you can write to"
        )


class S3Handle(Handle):
    """An object in Amazon S3, reached with boto3 wherever ``AWS_ENDPOINT_URL`` points."""

    def __init__(self, location: Location, client: Any = None) -> None:
        super().__init__(location)
        self._client = client

    @property
    def client(self) -> Any:
        """The boto3 S3 client, made on first use."""
        if self._client is None:
            self._client = boto3.client("s3")
        return self._client

    def read_bytes(self) -> bytes:
        bucket, key = self.location.bucket, self.location.path
        try:
            return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            raise s3_error(exc, self.location) from None

    def write_bytes(self, data: bytes) -> None:
        try:
            self.client.put_object(
                Bucket=self.location.bucket,
                Key=self.location.path,
                Body=data,
                ChecksumAlgorithm="SHA256",
            )
        except ClientError as exc:
            raise s3_error(exc, self.location) from None

    def exists(self) -> bool:
        try:
            self.client.head_object(Bucket=self.location.bucket, Key=self.location.path)
        except ClientError as exc:
            if _error_code(exc) in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise s3_error(exc, self.location) from None
        return True

    def check_writable(self) -> None:
        require_bucket(self.client, self.location.bucket)


def require_bucket(client: Any, bucket: str) -> None:
    """Raise NotFoundError unless ``bucket`` exists and these credentials can see it."""
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        raise s3_error(exc, Location("s3", bucket, "")) from None
    except BotoCoreError as exc:
        raise StorageError(f"cannot reach Amazon S3 for bucket '{bucket}': {exc}") from None


def s3_error(exc: ClientError, location: Location) -> StorageError:
    """Translate an S3 client error into a one-line StorageError that says what to do."""
    code = _error_code(exc)
    bucket = location.bucket
    if code in {"NoSuchBucket"} or (code in {"404", "NotFound"} and not location.path):
        return NotFoundError(
            f"S3 bucket '{bucket}' does not exist: create it (aws s3 mb s3://{bucket}) "
            "or fix the URI"
        )
    if code in {"NoSuchKey", "404", "NotFound"}:
        return NotFoundError(f"no object at {location.uri}: check the key")
    if code in {"AccessDenied", "403", "Forbidden"}:
        return NotWritableError(
            f"access denied to s3://{bucket}: the credentials in use lack S3 permission on it"
        )
    message = exc.response.get("Error", {}).get("Message", str(exc))
    return StorageError(f"S3 refused {location.uri or bucket}: {code}: {message}")


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class GcsHandle(Handle):
    """An object in Cloud Storage, reached with google-cloud-storage wherever it points."""

    def __init__(self, location: Location, client: Any = None) -> None:
        super().__init__(location)
        self._client = client

    @property
    def client(self) -> Any:
        """The Cloud Storage client, made on first use."""
        if self._client is None:
            from google.cloud import storage

            self._client = storage.Client()
        return self._client

    def _blob(self) -> Any:
        return self.client.bucket(self.location.bucket).blob(self.location.path)

    def read_bytes(self) -> bytes:
        from google.api_core import exceptions

        try:
            return self._blob().download_as_bytes()
        except exceptions.NotFound:
            self.check_writable()  # a missing bucket says so before a missing object does
            raise NotFoundError(f"no object at {self.uri}: check the name") from None
        except exceptions.Forbidden:
            raise _gcs_forbidden(self.location) from None

    def write_bytes(self, data: bytes) -> None:
        from google.api_core import exceptions

        # One request: Cloud Storage makes the object visible whole or not at all.
        try:
            self._blob().upload_from_string(data)
        except exceptions.NotFound:
            self.check_writable()
            raise
        except exceptions.Forbidden:
            raise _gcs_forbidden(self.location) from None

    def exists(self) -> bool:
        return bool(self._blob().exists())

    def check_writable(self) -> None:
        bucket = self.location.bucket
        if self.client.lookup_bucket(bucket) is None:
            raise NotFoundError(
                f"Cloud Storage bucket '{bucket}' does not exist: create it "
                f"(gcloud storage buckets create gs://{bucket}) or fix the URI"
            )


def _gcs_forbidden(location: Location) -> NotWritableError:
    return NotWritableError(
        f"access denied to gs://{location.bucket}: the credentials in use lack Storage "
        "permission on it"
    )


def get_handle(uri: str) -> Handle:
    """A handle for a local path, ``file://``, ``s3://`` or ``gs://`` URI."""
    location = parse_uri(uri)
    if location.scheme == "s3":
        return S3Handle(location)
    if location.scheme == "gs":
        return GcsHandle(location)
    return LocalHandle(location)
