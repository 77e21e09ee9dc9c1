"""The cloud mode switch: one value from ``--cloud``, ``MLOPS_LABS_CLOUD`` or the default."""

from __future__ import annotations

import os
from enum import StrEnum

from ..errors import UnknownCloudMode

ENV_VAR = "MLOPS_LABS_CLOUD"


class CloudMode(StrEnum):
    """Where the SDKs talk: local sandboxes, recorded cassettes, or real accounts."""

    OFFLINE = "offline"
    REPLAY = "replay"
    LIVE = "live"


# Modes that run today; the others are refused rather than faked.
AVAILABLE = (CloudMode.OFFLINE, CloudMode.REPLAY, CloudMode.LIVE)


def resolve(value: str | None = None) -> CloudMode:
    """The mode named by ``value``, else by ``MLOPS_LABS_CLOUD``, else offline."""
    chosen = value or os.environ.get(ENV_VAR) or CloudMode.OFFLINE.value
    name = chosen.strip().lower()
    valid = ", ".join(mode.value for mode in AVAILABLE)
    try:
        mode = CloudMode(name)
    except ValueError:
        raise UnknownCloudMode(f"unknown cloud mode '{chosen}': choose one of {valid}") from None
    if mode not in AVAILABLE:
        raise UnknownCloudMode(
            f"cloud mode '{mode.value}' is not available yet: choose one of {valid}"
        )
    return mode
