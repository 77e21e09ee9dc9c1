"""Warehouse errors: one line each, worded like Redshift's, with the position where it helps."""


class WarehouseError(Exception):
    """A statement the warehouse refused or could not run."""

    def __init__(self, message: str, *, code: str = "XX000", position: int | None = None) -> None:
        super().__init__(message)
        self.code = code  # the SQLSTATE Redshift would report
        self.position = position  # 1-based character offset into the statement, if known


class SqlSyntaxError(WarehouseError):
    """The statement does not parse."""


class UndefinedObject(WarehouseError):
    """A table, view or column that does not exist."""


class UnsupportedFeature(WarehouseError):
    """Valid Redshift SQL that the embedded warehouse does not run; the message names it."""


class S3AccessError(WarehouseError):
    """COPY or UNLOAD could not use its S3 location."""
