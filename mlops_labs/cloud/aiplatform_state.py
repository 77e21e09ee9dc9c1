"""aiplatform keeps ``aiplatform.init``'s settings in a process-wide object: put them back after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def restored() -> Iterator[None]:
    """Run a block that may call ``aiplatform.init``; the previous settings return after it."""
    from google.cloud.aiplatform import initializer

    saved = dict(vars(initializer.global_config))
    try:
        yield
    finally:
        # An endpoint or credentials of one scenario must not leak into the next.
        vars(initializer.global_config).clear()
        vars(initializer.global_config).update(saved)
