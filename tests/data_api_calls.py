"""Calls to the Data API sandbox that tests share: wait for a statement to settle."""

from __future__ import annotations

import time
from typing import Any

SETTLED = ("FINISHED", "FAILED", "ABORTED")


def settled(client: Any, statement_id: str, seconds: float = 15) -> dict[str, Any]:
    """DescribeStatement once the statement has settled; AssertionError after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        described = client.describe_statement(Id=statement_id)
        if described["Status"] in SETTLED:
            return described
        time.sleep(0.02)
    raise AssertionError(f"statement {statement_id} never settled")
