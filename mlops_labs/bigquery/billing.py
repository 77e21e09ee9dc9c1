"""What a query would bill on demand: bytes processed, bytes billed, and the maximumBytesBilled cap.

Bytes processed are the logical size of every table the statement reads (``Catalog.num_bytes``:
8 bytes an INT64, 2 + UTF-8 length a STRING ...). BigQuery counts only the columns a query
references, so the sandbox's figure is an upper bound of BigQuery's. Bytes billed follow the
on-demand rule: rounded up to the next MiB, at least 10 MiB for each table referenced, and
nothing for a statement that reads no table.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import BigQueryError
from .models import Catalog, TableName

MIB = 1024 * 1024
MINIMUM_PER_TABLE = 10 * MIB


class BytesBilledLimitExceeded(BigQueryError):
    """A query that would bill more than its maximumBytesBilled."""

    reason = "bytesBilledLimitExceeded"


def bytes_processed(catalog: Catalog, tables: Iterable[TableName]) -> int:
    """The logical bytes of every (distinct, known) table read."""
    total = 0
    for name in dict.fromkeys(tables):
        table = catalog.tables.get((name.project, name.dataset, name.table))
        if table is not None:
            total += catalog.num_bytes(table)
    return total


def bytes_billed(processed: int, tables: Iterable[TableName]) -> int:
    """On-demand bytes billed for ``processed`` bytes read from ``tables``."""
    count = len(dict.fromkeys(tables))
    if count == 0:
        return 0
    rounded = -(-processed // MIB) * MIB
    return max(rounded, MINIMUM_PER_TABLE * count)


def check_cap(billed: int, cap: object) -> None:
    """BytesBilledLimitExceeded, as BigQuery words it, when ``billed`` is above ``cap``."""
    if cap in (None, ""):
        return
    limit = int(str(cap))
    if billed > limit:
        raise BytesBilledLimitExceeded(
            f"Query exceeded limit for bytes billed: {limit}. {billed} or higher required."
        )
