"""What the warehouse knows beyond DuckDB: Redshift's physical design and materialized views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class TableDesign:
    """A table's Redshift physical design, kept because it is what the lab teaches."""

    name: str
    diststyle: str = "AUTO"
    distkey: str | None = None
    sortkey: list[str] = field(default_factory=list)
    sortkey_style: str = "COMPOUND"
    encodings: dict[str, str] = field(default_factory=dict)
    identity: dict[str, tuple[int, int]] = field(default_factory=dict)
    backup: bool = True


@dataclass
class MaterializedView:
    """A materialized view: stored rows, and the query that refreshes them."""

    name: str
    query: str
    duckdb_query: str
    auto_refresh: bool = False
    refreshed_at: datetime | None = None


class Catalog:
    """Table designs and materialized views by lower-case name."""

    def __init__(self) -> None:
        self.tables: dict[str, TableDesign] = {}
        self.materialized_views: dict[str, MaterializedView] = {}

    def design(self, name: str) -> TableDesign | None:
        """The recorded design of table ``name``, if it was created with one."""
        return self.tables.get(name.lower())

    def forget(self, name: str) -> None:
        """Drop what is known of ``name`` (a table or materialized view that was dropped)."""
        self.tables.pop(name.lower(), None)
        self.materialized_views.pop(name.lower(), None)
