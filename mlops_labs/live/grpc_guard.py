"""No gRPC during a live run: the ledger and the cost guards see HTTP only.

What a gRPC call creates or bills (aiplatform's default transport, an async aiplatform client,
BigQuery's Storage Read API) would be neither recorded, labelled, removed nor capped. While a
run records, opening a gRPC channel, through google-api-core, google-auth or grpc itself, is
refused in one line that names the REST setting instead; no connection is made. The kit's
lab code already uses REST (``aiplatform.init(..., api_transport="rest")``, Lab 6.4.6).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..errors import KitError

# The functions every gRPC channel is opened through: grpc's own, sync and asyncio.
_OPENERS = ("secure_channel", "insecure_channel")


class GrpcRefused(KitError):
    """A gRPC channel was about to open during a live run, where nothing would record it."""


@contextlib.contextmanager
def refused() -> Iterator[None]:
    """While inside, opening a gRPC channel raises :class:`GrpcRefused`."""
    try:
        import grpc
        import grpc.aio
    except ImportError:  # no gRPC installed: nothing can go around the observer this way
        yield
        return
    modules = (grpc, grpc.aio)
    saved = [(module, name, getattr(module, name)) for module in modules for name in _OPENERS]
    for module, name, _ in saved:
        setattr(module, name, _refuse)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def _refuse(target: Any, *args: Any, **kwargs: Any) -> Any:
    raise GrpcRefused(
        f"live mode refused a gRPC channel to {target}: live runs record, cap and remove "
        "only what goes over HTTP (REST), so whatever this call made or billed would be "
        "missed; use REST, e.g. aiplatform.init(..., api_transport='rest') (Lab 6.4.6), and "
        "for BigQuery results to_dataframe(create_bqstorage_client=False)"
    )
