"""Redshift's SET, RESET and SHOW: the session's configuration parameters, never DuckDB's.

Redshift names a fixed set of parameters; the warehouse keeps their values, applies the two
that change what a statement does here (``search_path``, ``statement_timeout``) and refuses
any other name as Redshift does ("unrecognized configuration parameter"), so a client can
never reach the engine's own settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import SqlSyntaxError, UndefinedObject, UnsupportedFeature

# Redshift's configuration parameters and their defaults.
DEFAULTS: dict[str, str] = {
    "analyze_threshold_percent": "10",
    "cast_super_null_on_error": "on",
    "datestyle": "ISO, MDY",
    "describe_field_name_in_uppercase": "off",
    "downcase_delimited_identifier": "on",
    "enable_case_sensitive_identifier": "off",
    "enable_numeric_rounding": "on",
    "enable_result_cache_for_session": "on",
    "error_on_nondeterministic_update": "off",
    "extra_float_digits": "0",
    "max_cursor_result_set_size": "default",
    "query_group": "default",
    "search_path": "$user, public",
    "statement_timeout": "0",
    "timezone": "UTC",
    "wlm_query_slot_count": "1",
}
_SET = re.compile(
    r"^\s*SET\s+(?:SESSION\s+|LOCAL\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:TO|=)\s*"
    r"(?P<value>.*?)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_TIME_ZONE = re.compile(r"^\s*SET\s+TIME\s+ZONE\s+(?P<value>.*?)\s*;?\s*$", re.I | re.DOTALL)
_RESET = re.compile(r"^\s*RESET\s+(?P<name>ALL|[A-Za-z_][A-Za-z0-9_]*)\s*;?\s*$", re.I)
_SHOW = re.compile(r"^\s*SHOW\s+(?P<name>ALL|[A-Za-z_][A-Za-z0-9_]*)\s*;?\s*$", re.I)
# Redshift's SHOW statements about objects, not parameters.
_SHOW_STATEMENTS = frozenset(
    {"columns", "databases", "datashares", "external", "grants", "model", "procedure",
     "schemas", "table", "tables", "view"}
)  # fmt: skip
_DURATION = re.compile(r"^(\d+)\s*(ms|s|min)?$", re.IGNORECASE)
_UNITS = {"ms": 1, "s": 1000, "min": 60_000}


@dataclass
class Settings:
    """One warehouse's parameter values, as SET left them."""

    values: dict[str, str] = field(default_factory=lambda: dict(DEFAULTS))

    def statement_timeout_ms(self) -> int:
        """The statement time limit in milliseconds; 0 is none."""
        return int(self.values["statement_timeout"])

    def search_path(self) -> list[str]:
        """The schemas of ``search_path`` in order, ``$user`` left out (there are no users)."""
        names = [name.strip().strip('"') for name in self.values["search_path"].split(",")]
        return [name for name in names if name and name != "$user"]

    def set(self, sql: str) -> str:
        """Apply one SET statement; the parameter's name."""
        zone = _TIME_ZONE.match(sql)
        if zone:
            name, value = "timezone", zone.group("value")
        else:
            found = _SET.match(sql)
            if not found:
                if re.match(r"^\s*SET\s+SESSION\s+AUTHORIZATION\b", sql, re.IGNORECASE):
                    raise UnsupportedFeature(
                        "the embedded warehouse has one user: SET SESSION AUTHORIZATION "
                        "is not supported",
                        code="0A000",
                    )
                raise SqlSyntaxError(f'syntax error at or near "{_word_after_set(sql)}"')
            name, value = found.group("name").lower(), found.group("value")
        self._known(name)
        if not value:
            raise SqlSyntaxError("syntax error at end of input", code="42601")
        self.values[name] = _value(name, value)
        return name

    def reset(self, sql: str) -> str:
        """Apply one RESET statement; the parameter's name (or ALL)."""
        found = _RESET.match(sql)
        if not found:
            raise SqlSyntaxError("syntax error in RESET", code="42601")
        name = found.group("name").lower()
        if name == "all":
            self.values = dict(DEFAULTS)
            return name
        self._known(name)
        self.values[name] = DEFAULTS[name]
        return name

    def show(self, sql: str) -> list[tuple[str, str]]:
        """The rows SHOW gives: ``(name, value)`` pairs."""
        found = _SHOW.match(sql)
        if not found:
            raise SqlSyntaxError("syntax error in SHOW", code="42601")
        name = found.group("name").lower()
        if name in _SHOW_STATEMENTS:
            raise UnsupportedFeature(
                f"the embedded warehouse does not run SHOW {name.upper()}: query "
                "information_schema or SVV_TABLE_INFO instead",
                code="0A000",
            )
        if name == "all":
            return sorted(self.values.items())
        self._known(name)
        return [(name, self.values[name])]

    @staticmethod
    def _known(name: str) -> None:
        if name not in DEFAULTS:
            raise UndefinedObject(f'unrecognized configuration parameter "{name}"', code="42704")


def _value(name: str, text: str) -> str:
    value = text.strip()
    if name == "statement_timeout":
        unquoted = value.strip("'").strip()
        found = _DURATION.match(unquoted)
        if not found:
            raise UndefinedObject(
                f'invalid value for parameter "statement_timeout": "{unquoted}"', code="22023"
            )
        return str(int(found.group(1)) * _UNITS[(found.group(2) or "ms").lower()])
    if name == "search_path":
        return ", ".join(part.strip().strip("'") for part in value.split(","))
    return value.strip("'")


def _word_after_set(sql: str) -> str:
    words = sql.split()
    return words[1] if len(words) > 1 else "SET"
