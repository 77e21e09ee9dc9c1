"""boto3 clients for the kit's own calls, made once per set of AWS settings and then reused.

Making a boto3 client is costly (its service model, endpoint rules and event hooks: see
docs/benchmarks.md); the scenarios' steps and the embedded warehouse would make dozens per
task. A client depends only on the settings boto3 reads when it is made, so one is kept per
service and settings, until ``forget()``. A client keeps the connections it opened: a
cassette hangs them up (``hang_up()``) as it starts and ends, so none opened through one
cassette answers inside another; a run forgets the clients, so none outlives its sandboxes (a
later sandbox may get the same port). Lab code makes its own clients, as a practitioner's would.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

# What boto3 reads from the environment when it makes a client.
_SETTINGS = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)
_made: dict[tuple[str | None, ...], Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    """The boto3 client ``boto3.client(service)`` would make now, made once for these settings."""
    import boto3

    own_endpoint = f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}"
    key = (service, *(os.environ.get(name) for name in (*_SETTINGS, own_endpoint)))
    with _lock:
        if key not in _made:
            _made[key] = boto3.client(service)
        return _made[key]


def forget() -> None:
    """Drop every kept client (a cassette or a run ends or begins)."""
    with _lock:
        _made.clear()


def hang_up() -> None:
    """Close every kept client's connections; the clients open new ones when next used."""
    with _lock:
        for kept in _made.values():
            kept.close()


def fresh_default_session() -> Any:
    """A new default boto3 session, for settings just changed, that keeps the parsed models.

    boto3's default session reads the settings once; a new one is needed when they change.
    Sharing one botocore loader between them saves re-reading every service's model (large
    JSON documents) in each run of the scenarios in this process.
    """
    import boto3
    import botocore.session

    forget()
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader())
    boto3.DEFAULT_SESSION = boto3.Session(botocore_session=core)
    return boto3.DEFAULT_SESSION


@functools.cache
def _loader() -> Any:
    from botocore.loaders import create_loader

    return create_loader()
