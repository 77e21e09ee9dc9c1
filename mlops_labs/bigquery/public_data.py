"""The public datasets every sandbox holds, read-only: ``bigquery-public-data.ml_datasets``.

``ml_datasets.penguins`` is built offline from palmerpenguins' raw Palmer Station data, shaped
like the real table: its seven columns with their names, types and modes (species REQUIRED,
the rest NULLABLE; the four measurements FLOAT), long species names, upper-case sex, 344 rows.

One cell differs from palmerpenguins: the real table's logical size is 28947 bytes where
palmerpenguins' rows come to 28944, three bytes being one more one-character STRING: the "."
the real table has in ``sex`` (BigQuery ML tutorials filter it out). The Kaggle copy of the
same data, which carries that ".", has it on the Gentoo penguin from Biscoe measuring 44.5 /
15.7 / 217 / 4875, whose sex palmerpenguins leaves missing; the sandbox puts it there.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .models import PUBLIC_PROJECT, Catalog, Dataset, Table
from .values import Field

ML_DATASETS = "ml_datasets"
PENGUINS = "penguins"
PENGUINS_FIELDS = [
    Field("species", "STRING", "REQUIRED"),
    Field("island", "STRING"),
    Field("culmen_length_mm", "FLOAT"),
    Field("culmen_depth_mm", "FLOAT"),
    Field("flipper_length_mm", "FLOAT"),
    Field("body_mass_g", "FLOAT"),
    Field("sex", "STRING"),
]
_RAW_COLUMNS = {
    "Species": "species",
    "Island": "island",
    "Culmen Length (mm)": "culmen_length_mm",
    "Culmen Depth (mm)": "culmen_depth_mm",
    "Flipper Length (mm)": "flipper_length_mm",
    "Body Mass (g)": "body_mass_g",
    "Sex": "sex",
}
# (species, island, culmen length, culmen depth, flipper length, body mass) of the "." row.
_DOT_SEX_ROW = ("Gentoo penguin (Pygoscelis papua)", "Biscoe", 44.5, 15.7, 217.0, 4875.0)
# The real table's creation and last-modified times (tables.get), in milliseconds.
_PENGUINS_CREATED_MS = 1619804743188
_PENGUINS_MODIFIED_MS = 1634584675234


def penguins_frame() -> pd.DataFrame:
    """The rows of ``ml_datasets.penguins`` in palmerpenguins' order (NaN where NULL)."""
    from palmerpenguins import load_penguins_raw

    frame = load_penguins_raw()[list(_RAW_COLUMNS)].rename(columns=_RAW_COLUMNS)
    measured = frame[["species", "island", *[f.name for f in PENGUINS_FIELDS[2:6]]]]
    is_dot_row = measured.apply(lambda row: tuple(row) == _DOT_SEX_ROW, axis=1)
    frame.loc[is_dot_row & frame["sex"].isna(), "sex"] = "."
    return frame


def install_public_data(catalog: Catalog) -> None:
    """Create the read-only public datasets in a fresh catalog."""
    with catalog.lock:
        catalog.create_dataset(
            Dataset(
                PUBLIC_PROJECT,
                ML_DATASETS,
                created_ms=_PENGUINS_CREATED_MS,
                modified_ms=_PENGUINS_MODIFIED_MS,
            )
        )
        table = Table(
            PUBLIC_PROJECT,
            ML_DATASETS,
            PENGUINS,
            list(PENGUINS_FIELDS),
            created_ms=_PENGUINS_CREATED_MS,
            modified_ms=_PENGUINS_MODIFIED_MS,
        )
        catalog.create_table(table)
        frame = penguins_frame()
        rows: list[dict[str, Any]] = (
            frame.astype(object).where(frame.notna(), None).to_dict("records")
        )
        catalog.insert_rows(table, rows)
        table.modified_ms = _PENGUINS_MODIFIED_MS
        # Only now: creating them needed writes, which read-only datasets refuse.
        table.read_only = True
        catalog.datasets[(PUBLIC_PROJECT, ML_DATASETS)].read_only = True
