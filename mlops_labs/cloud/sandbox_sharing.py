"""The offline sandboxes a run shares: started once, handed to runs nested inside, stopped last.

A run started inside another (``mlops-labs check`` in a test, a ``watch`` loop's re-checks)
shares the sandboxes of the outer one instead of starting a second set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from . import environment, modes

# Sandboxes running in this process, by kind, innermost last.
_running: dict[str, list[Any]] = {"aws": [], "gcp": []}


@contextmanager
def shared(kind: str, make: Callable[[], Any]) -> Iterator[Any]:
    """The running sandbox of ``kind`` if there is one, else one made and started for the block.

    The SDKs' settings point at it for the block.
    """
    owner = not _running[kind]
    sandbox = make().start() if owner else _running[kind][-1]
    _running[kind].append(sandbox)
    try:
        with environment.applied(sandbox.environment()):
            yield sandbox
    finally:
        _running[kind].pop()
        if owner:
            sandbox.stop()


@contextmanager
def kept_sandboxes(cloud_mode: modes.CloudMode) -> Iterator[None]:
    """Keep the offline sandboxes running across the scenario runs inside (``check --watch``)."""
    if cloud_mode is not modes.CloudMode.OFFLINE:
        yield
        return
    from .aws_sandbox import AwsSandbox
    from .gcp_sandbox import GoogleCloudSandbox

    with shared("aws", AwsSandbox), shared("gcp", GoogleCloudSandbox):
        yield
