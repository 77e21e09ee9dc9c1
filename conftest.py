"""Repository-wide test settings: every test here runs with the network cut off beyond loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlops_labs.cloud.network_guard import loopback_only

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    """Offline means offline: a test that reaches beyond 127.0.0.1 fails at once."""
    with loopback_only():
        yield
