"""Why a request has no recorded response: the nearest recording and how the two differ."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from .data_files import DataFile, difference
from .matching import MATCH_ON, MATCHERS, SQL, differences, normalise_request
from .sql import sql_lines

MAX_BODY_LINES = 30
MAX_DIFF_LINES = 60
MAX_LINE_LENGTH = 160
# Bodies longer than this (in lines) are compared for nearness on their first lines only.
_NEARNESS_CHARS = 4000  # enough to tell queries apart, cheap on a large upload
_SQL_SHOWN_ABOVE = "<SQL, compared above>"


def explain_unmatched(
    request: Any, recorded_requests: Iterable[Any], version_changes: Iterable[str] = ()
) -> str:
    """The message for a request no cassette holds: it, its nearest recording, the difference.

    Pass ``request`` as vcrpy matches it, scrubbed (``cassette.filter_request(request)``), so
    it compares like the recordings. The first line is one sentence that names what differs.
    ``version_changes`` ("pandas 3.1.1, this run has 3.1.2") are named when a body differs.
    """
    recorded = list(recorded_requests)
    normal = normalise_request(request)
    title = f"No recorded response for {request.method} {urlsplit(request.uri).path or '/'}"
    lines = ["this request:", *_describe(request, normal)]
    if not recorded:
        return "\n".join([f"{title}: the cassette holds no recorded requests.", *lines])

    index, failures = _nearest(request, normal, recorded)
    nearest = recorded[index]
    nearest_normal = normalise_request(nearest)
    passed = [name for name in MATCH_ON if name not in failures]
    sql_differs = "body" in failures and any(
        isinstance(new, SQL) or isinstance(old, SQL)
        for _, new, old in differences(normal["body"], nearest_normal["body"])
    )
    if not failures:
        summary = (
            f"{title}: a recorded request matches it, but its response was already played "
            "(the scenario made this request more often than when it was recorded):"
        )
    else:
        names = [f"{name} (SQL)" if name == "body" and sql_differs else name for name in failures]
        summary = f"{title}: the nearest recorded request differs in its {_and(names)}:"
    matches = f"matches on {', '.join(passed)}" if passed else "matches on nothing"
    lines += [
        f"nearest recorded request ({index + 1} of {len(recorded)}; {matches}):",
        *_describe(nearest, nearest_normal, with_body=False),
    ]
    for name, message in failures.items():
        if name == "body":
            lines += _body_difference(normal["body"], nearest_normal["body"])
        else:
            lines.append(f"{name}: {message}")
    changes = list(version_changes)
    if "body" in failures and changes:
        # A writer's new release may write other data for the same calls: say so up front.
        summary += f" (recorded with {'; '.join(changes)})"
    return "\n".join([summary, *lines])


def _nearest(request: Any, normal: dict[str, Any], recorded: list[Any]) -> tuple[int, dict]:
    """The index of the recording most matchers accept (then the closest body), and failures."""
    best: tuple[tuple[int, float, int], int, dict[str, str]] | None = None
    for index, other in enumerate(recorded):
        failures = {}
        for name in MATCH_ON:
            try:
                MATCHERS[name](request, other)
            except AssertionError as error:
                failures[name] = str(error)
        closeness = _closeness(normal["body"], normalise_request(other)["body"])
        rank = (len(MATCH_ON) - len(failures), closeness, -index)
        if best is None or rank > best[0]:
            best = (rank, index, failures)
    assert best is not None
    return best[1], best[2]


def _closeness(one: Any, other: Any) -> float:
    # Characters, not lines: two queries differ on their one "query" line either way.
    a = _render(one)[:_NEARNESS_CHARS]
    b = _render(other)[:_NEARNESS_CHARS]
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _describe(request: Any, normal: dict[str, Any], *, with_body: bool = True) -> list[str]:
    parts = urlsplit(request.uri)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"  {request.method} {_clip(target)}"]
    if with_body and normal["body"] is not None:
        lines.append("  body (normalised):")
        lines += _indent(_truncate(_render(normal["body"]).splitlines(), MAX_BODY_LINES), 4)
    return lines


def _body_difference(new: Any, recorded: Any) -> list[str]:
    lines = []
    found = differences(new, recorded)
    for where, one, other in found:
        if isinstance(one, DataFile) and isinstance(other, DataFile):
            lines.append(f"data at {where}: {difference(one, other)}")
        elif isinstance(one, SQL) or isinstance(other, SQL):
            lines.append(f"SQL at {where} (- recorded, + this request):")
            diff = _unified(sql_lines(str(other or "")), sql_lines(str(one or "")))
            lines += _indent(diff, 2)
    if all(_shown_above(one) or _shown_above(other) for _, one, other in found):
        return lines
    lines.append("body (normalised; - recorded, + this request):")
    if _is_text(new) and _is_text(recorded):
        # A file's text (a CSV UNLOAD wrote): line by line shows which rows changed.
        diff = _unified(recorded["text"].splitlines(), new["text"].splitlines())
    else:
        diff = _unified(
            _render(_hide_sql(recorded)).splitlines(), _render(_hide_sql(new)).splitlines()
        )
    return lines + _indent(diff, 2)


def _shown_above(value: Any) -> bool:
    return isinstance(value, SQL | DataFile)


def _is_text(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"text"} and isinstance(body["text"], str)


def _unified(recorded: list[str], new: list[str]) -> list[str]:
    diff = difflib.unified_diff(recorded, new, "recorded", "this request", n=2, lineterm="")
    return _truncate(list(diff), MAX_DIFF_LINES)


def _hide_sql(value: Any) -> Any:
    if isinstance(value, SQL):
        return _SQL_SHOWN_ABOVE
    if isinstance(value, dict):
        return {key: _hide_sql(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_hide_sql(item) for item in value]
    return value


def _render(value: Any) -> str:
    if value is None:
        return "(no body)"
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _truncate(lines: list[str], limit: int) -> list[str]:
    shown = [_clip(line) for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"... ({len(lines) - limit} more lines)")
    return shown


def _clip(line: str) -> str:
    return line if len(line) <= MAX_LINE_LENGTH else line[: MAX_LINE_LENGTH - 3] + "..."


def _indent(lines: list[str], width: int) -> list[str]:
    return [" " * width + line for line in lines]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
