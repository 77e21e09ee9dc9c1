"""``mlops-labs sandbox``: every offline service in the foreground, and the settings to use them."""

from __future__ import annotations

import json
import shlex
import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack, suppress
from typing import TextIO

from ..cloud import environment
from ..cloud.aws_sandbox import AwsSandbox
from ..cloud.gcp_sandbox import GoogleCloudSandbox


def render(settings: Mapping[str, str | None], style: str) -> str:
    """The settings as shell ``export`` lines, a dotenv file or JSON."""
    if style == "json":
        return json.dumps({k: v for k, v in settings.items() if v is not None}, indent=2)
    lines = []
    for name, value in settings.items():
        if style == "dotenv":
            if value is not None:
                lines.append(f"{name}={value}")
        elif value is None:
            lines.append(f"unset {name}")
        else:
            lines.append(f"export {name}={shlex.quote(value)}")
    return "\n".join(lines)


def run(
    out: TextIO,
    *,
    style: str = "sh",
    stop: threading.Event | None = None,
    ready: Callable[[dict[str, str | None]], None] | None = None,
) -> int:
    """Start the sandboxes, print their settings, serve until ``stop`` is set or Ctrl-C."""
    import boto3

    from ..warehouse.data_api.server import DataApiServer
    from ..warehouse.engine import Warehouse

    with ExitStack() as stack:
        aws = stack.enter_context(AwsSandbox())
        gcp = stack.enter_context(GoogleCloudSandbox())
        settings: dict[str, str | None] = {**aws.environment(), **gcp.environment()}
        # The warehouse's COPY and UNLOAD reach the sandbox's S3, whatever this shell has set.
        stack.enter_context(environment.applied(settings))
        boto3.DEFAULT_SESSION = None
        warehouse = Warehouse()
        stack.callback(warehouse.close)
        data_api = stack.enter_context(DataApiServer(warehouse))
        settings.update(data_api.environment())
        # From the settings on, a Ctrl-C (or SIGTERM, see stop_signals) is the usual end: one
        # sent as soon as they are read must not find the process just short of this block.
        with suppress(KeyboardInterrupt):
            if style == "sh":
                print("# mlops-labs sandbox: every service on 127.0.0.1, until Ctrl-C.", file=out)
                print('# Paste these into a shell, or eval "$(mlops-labs sandbox)".', file=out)
            print(render(settings, style), file=out, flush=True)
            if ready is not None:
                ready(settings)
            (stop or threading.Event()).wait()
    return 0
