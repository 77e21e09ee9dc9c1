"""A request that replay could not answer: found in an exception chain, and explained."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def unrecorded_error(error: BaseException | None) -> Any:
    """The vcrpy "cannot overwrite" error in ``error``'s chain, if any (SDKs may wrap it)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if type(error).__name__ == "CannotOverwriteExistingCassetteException":
            return error
        error = error.__cause__ or error.__context__
    return None


def explain(error: BaseException | None) -> str | None:
    """The request, the nearest recorded one and their difference; None if not a replay miss."""
    found = unrecorded_error(error)
    if found is None:
        return None
    from .diff import explain_unmatched
    from .provenance import data_writer_changes

    cassette = found.cassette
    # Scrubbed as the recordings were, so the comparison is like with like.
    request = cassette.filter_request(found.failed_request) or found.failed_request
    changes = data_writer_changes(Path(cassette._path)) if getattr(cassette, "_path", None) else []
    return explain_unmatched(request, cassette.requests, changes)
