"""Environment settings applied for a while and then restored exactly."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def applied(settings: Mapping[str, str | None]) -> Iterator[None]:
    """Set each variable (``None`` unsets it) and restore the previous values afterwards."""
    saved = {name: os.environ.get(name) for name in settings}
    try:
        _write(settings)
        yield
    finally:
        _write(saved)


def _write(settings: Mapping[str, str | None]) -> None:
    for name, value in settings.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
