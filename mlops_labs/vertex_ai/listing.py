"""List methods' arguments: a filter, an order and a page, as Vertex AI's list methods take them.

The filter is the subset of Google's list filter syntax (AIP-160) that lab code uses:
``display_name="churn"``, ``labels.team="ml"``, ``model=1234`` (or ``endpoint=``, the id),
``!=`` for any of them, clauses joined by ``AND``; snake_case or camelCase names.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .errors import InvalidArgument

Item = TypeVar("Item")
DEFAULT_PAGE_SIZE = 100
_CLAUSE = re.compile(r"\s*([A-Za-z_][\w.]*)\s*(!=|=)\s*(\"(?:[^\"\\]|\\.)*\"|[^\s\"]+)\s*")
_FIELD_NAMES = {
    "display_name": "displayName",
    "create_time": "createTime",
    "update_time": "updateTime",
}


def matcher(text: str | None) -> Callable[[dict[str, Any]], bool]:
    """A test of a resource (as its JSON) against a filter; everything passes an empty one."""
    if not text or not text.strip():
        return lambda resource: True
    clauses = []
    for part in re.split(r"\s+AND\s+", text.strip()):
        found = _CLAUSE.fullmatch(part)
        if not found:
            raise InvalidArgument(
                f'Invalid filter: {text!r}. The Vertex AI sandbox takes display_name="...", '
                'labels.KEY="..." and model=ID (or endpoint=ID) clauses, = or !=, joined by AND'
            )
        name, operator, value = found.groups()
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        clauses.append((_field(name, text), operator, value))

    def test(resource: dict[str, Any]) -> bool:
        for get, operator, value in clauses:
            if (get(resource) == value) != (operator == "="):
                return False
        return True

    return test


def _field(name: str, text: str) -> Callable[[dict[str, Any]], Any]:
    if name in ("display_name", "displayName"):
        return lambda resource: resource.get("displayName")
    if name in ("model", "endpoint"):
        return lambda resource: resource["name"].rsplit("/", 1)[1]
    if name.startswith("labels.") and len(name) > len("labels."):
        key = name[len("labels.") :]
        return lambda resource: resource.get("labels", {}).get(key)
    raise InvalidArgument(
        f"Unsupported filter field {name!r} in {text!r}: the Vertex AI sandbox filters on "
        "display_name, labels.KEY and model (or endpoint)"
    )


def ordered(resources: list[dict[str, Any]], order_by: str | None) -> list[dict[str, Any]]:
    """Resources in the order ``orderBy`` asks for (creation order without one)."""
    if not order_by or not order_by.strip():
        return resources
    keys = []
    for part in order_by.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise InvalidArgument(f"Invalid orderBy: {order_by!r}")
        name = _FIELD_NAMES.get(words[0], words[0])
        if name not in ("displayName", "createTime", "updateTime"):
            raise InvalidArgument(
                f"Unsupported orderBy field {words[0]!r}: the Vertex AI sandbox orders by "
                "display_name, create_time and update_time"
            )
        keys.append((name, len(words) == 2 and words[1] == "desc"))
    result = list(resources)
    # A stable sort per key, least significant first, gives the combined order.
    for name, descending in reversed(keys):
        result.sort(key=lambda resource: resource.get(name) or "", reverse=descending)
    return result


def page(items: Sequence[Item], size: Any, token: str | None) -> tuple[list[Item], str | None]:
    """One page of items and the token of the next page (None on the last)."""
    start = _offset(token)
    try:
        count = int(size) if size not in (None, "") else DEFAULT_PAGE_SIZE
    except ValueError:
        raise InvalidArgument(f"Invalid pageSize: {size!r}") from None
    if count < 0:
        raise InvalidArgument(f"Invalid pageSize: {size!r}")
    count = count or DEFAULT_PAGE_SIZE
    end = start + count
    following = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode()
    return list(items[start:end]), following if end < len(items) else None


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not re.fullmatch(r"offset:\d+", text):
        raise InvalidArgument(f"Invalid pageToken: {token!r}")
    return int(text.split(":")[1])
