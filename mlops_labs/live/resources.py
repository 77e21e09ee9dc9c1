"""What a live run made: one record per resource, in the order teardown removes them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Teardown order: what holds or serves something goes before what it holds or serves.
KINDS = (
    "vertex-endpoint",
    "vertex-model",
    "bigquery-model",
    "bigquery-table",
    "bigquery-dataset",
    "gcs-bucket",
    "sagemaker-model-package-group",
    "s3-bucket",
    "redshift-schema",
)


@dataclass(frozen=True)
class Resource:
    """One resource a run created: its kind, its name, and where its API answered."""

    kind: str
    name: str
    project: str | None = None
    base_url: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown resource kind {self.kind!r}: one of {', '.join(KINDS)}")

    def to_json(self) -> dict[str, Any]:
        """The record as the ledger file keeps it."""
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Resource:
        """A record read back from a ledger file."""
        return cls(**data)

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


def teardown_order(resources: list[Resource]) -> list[Resource]:
    """``resources`` by kind in ``KINDS`` order, the newest first within a kind."""
    newest_first = list(reversed(resources))
    return sorted(newest_first, key=lambda resource: KINDS.index(resource.kind))
