"""aiplatform keeps ``aiplatform.init``'s settings in a process-wide object: put them back after."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

_INITIALIZER = "google.cloud.aiplatform.initializer"


@contextmanager
def restored() -> Iterator[None]:
    """Run a block that may call ``aiplatform.init``; the settings from before return after it.

    aiplatform is not imported for this: a block that never loads it has nothing to undo.
    """
    loaded = sys.modules.get(_INITIALIZER)
    saved = dict(vars(loaded.global_config)) if loaded is not None else None
    try:
        yield
    finally:
        # An endpoint, a service account or credentials of one scenario must not leak into
        # the next (nor into its recorded requests).
        initializer = sys.modules.get(_INITIALIZER)
        if initializer is not None:
            fresh = saved if saved is not None else vars(initializer._Config())
            vars(initializer.global_config).clear()
            vars(initializer.global_config).update(fresh)
