"""BigQuery ML's automatic preprocessing: standardise numbers, one-hot encode categories.

What BigQuery documents (CREATE MODEL, "automatic feature preprocessing"): numeric columns
(INT64, NUMERIC, BIGNUMERIC, FLOAT64) are standardised; BOOL, STRING, BYTES, DATE, DATETIME and
TIME are one-hot encoded; a NULL number is imputed with the training mean; a NULL category is a
category of its own. TIMESTAMP is not one-hot encoded by default (BigQuery's older docs: CAST
it to STRING): the sandbox refuses TIMESTAMP features by name rather than guess.

Inferred, not confirmed: a category first seen at prediction time, or a NULL where training saw
none, encodes as all zeros (or as the NULL category when training had one); the standard
deviation is the population one; a constant column is centred, not scaled.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import BigQueryMLError, Unsupported

NUMERIC_TYPES = ("INT64", "INTEGER", "FLOAT64", "FLOAT", "NUMERIC", "BIGNUMERIC", "BIGDECIMAL")
CATEGORICAL_TYPES = ("STRING", "BOOL", "BOOLEAN", "BYTES", "DATE", "DATETIME", "TIME")
NULL_CATEGORY = "_null_filler"


@dataclass
class Feature:
    """One input column: its BigQuery type and what training learned about it."""

    name: str
    sql_type: str
    mean: float = 0.0
    scale: float = 1.0
    categories: list[str] = field(default_factory=list)

    @property
    def numeric(self) -> bool:
        """Whether the column is standardised (else one-hot encoded)."""
        return self.sql_type in NUMERIC_TYPES


@dataclass
class Preprocessor:
    """The fitted transformation from query rows to the model's numeric matrix."""

    features: list[Feature]
    standardize: bool = True

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, types: dict[str, str], *, standardize: bool = True
    ) -> Preprocessor:
        """Learn means, scales and categories from the training rows."""
        features = []
        for name in frame.columns:
            feature = Feature(name, types[name])
            column = frame[name]
            if feature.numeric:
                values = numeric_values(column)
                present = values[~np.isnan(values)]
                feature.mean = float(present.mean()) if present.size else 0.0
                spread = float(present.std()) if present.size else 0.0
                feature.scale = spread if standardize and spread > 0 else 1.0
            else:
                feature.categories = sorted(set(category_values(column)))
            features.append(feature)
        return cls(features, standardize)

    @property
    def names(self) -> list[str]:
        """The input columns, in training order."""
        return [f.name for f in self.features]

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The model matrix of ``frame``; BigQueryMLError if a feature column is missing."""
        missing = [name for name in self.names if name not in frame.columns]
        if missing:
            raise BigQueryMLError(
                f"The input data has no column {missing[0]}, a feature the model was trained on"
            )
        blocks = []
        for feature in self.features:
            column = frame[feature.name]
            if feature.numeric:
                values = numeric_values(column)
                # A NULL number is imputed with the training mean.
                values = np.where(np.isnan(values), feature.mean, values)
                centre = feature.mean if self.standardize else 0.0
                blocks.append(((values - centre) / feature.scale).reshape(-1, 1))
            else:
                index = {c: i for i, c in enumerate(feature.categories)}
                encoded = np.zeros((len(column), len(feature.categories)))
                for row, key in enumerate(category_values(column)):
                    at = index.get(key, index.get(NULL_CATEGORY))
                    if at is not None:
                        encoded[row, at] = 1.0
                blocks.append(encoded)
        if not blocks:
            return np.zeros((len(frame), 0))
        return np.hstack(blocks)


def numeric_values(column: pd.Series) -> np.ndarray:
    """A numeric column as float64, NULL as NaN."""
    return pd.to_numeric(column.astype(object).where(column.notna(), np.nan)).to_numpy(float)


def category_values(column: pd.Series) -> list[str]:
    """A categorical column as strings, NULL as the NULL category."""
    return [NULL_CATEGORY if _is_null(v) else _category(v) for v in column.tolist()]


def _category(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def infer_types(frame: pd.DataFrame, schema: dict[str, str] | None = None) -> dict[str, str]:
    """Each column's BigQuery type: from ``schema`` where given, else from its values."""
    declared = {k.lower(): v.upper() for k, v in (schema or {}).items()}
    return {name: declared.get(name.lower()) or _type_of(frame[name]) for name in frame.columns}


def _type_of(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column.dtype):
        return "BOOL"
    if pd.api.types.is_integer_dtype(column.dtype):
        return "INT64"
    if pd.api.types.is_float_dtype(column.dtype):
        return "FLOAT64"
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return "TIMESTAMP"
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return "DATETIME"
    values = [v for v in column.tolist() if not _is_null(v)]
    kinds = {_value_type(v) for v in values}
    if kinds == {"INT64", "FLOAT64"}:
        return "FLOAT64"
    if len(kinds) == 1:
        return kinds.pop()
    if not kinds:
        return "FLOAT64"
    raise BigQueryMLError(f"Column {column.name} mixes values of types {sorted(kinds)}")


def _value_type(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "BOOL"
    if isinstance(value, int | np.integer):
        return "INT64"
    if isinstance(value, float | np.floating):
        return "FLOAT64"
    if isinstance(value, decimal.Decimal):
        return "NUMERIC"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, bytes):
        return "BYTES"
    if isinstance(value, dt.datetime):
        return "TIMESTAMP" if value.tzinfo else "DATETIME"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, dt.time):
        return "TIME"
    return type(value).__name__.upper()


def check_feature_types(types: dict[str, str]) -> None:
    """Refuse, by name, feature columns whose type the sandbox does not preprocess."""
    for name, sql_type in types.items():
        if sql_type == "TIMESTAMP":
            raise Unsupported(
                f"TIMESTAMP feature {name} is not supported by the BigQuery sandbox: CAST it to "
                "STRING or extract its parts in the training query"
            )
        if sql_type not in NUMERIC_TYPES + CATEGORICAL_TYPES:
            raise Unsupported(
                f"Feature {name} of type {sql_type} is not supported by the BigQuery sandbox"
            )
