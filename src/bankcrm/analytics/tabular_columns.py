"""The learner's columns: which Arrow types a model can use, and how a table becomes the
float matrix the booster reads (numbers as floats, dates as days since 1970, text as
category codes ordered by frequency; see `bankcrm.analytics.learner` for the rules)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from bankcrm.kit.errors import UserError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Kind = Literal["numeric", "categorical"]
MAX_CATEGORIES = 255  # the booster's max_bins: category codes must lie in [0, 254]


@dataclass(frozen=True, slots=True)
class Feature:
    """One input column as the model saw it in training."""

    name: str
    kind: Kind
    categories: tuple[str, ...] = ()  # code i = categories[i], most frequent first
    other: bool = False  # rare values folded into code len(categories)

    @property
    def other_code(self) -> int:
        return len(self.categories)


def as_table(X: Any) -> pa.Table:
    """Accept the table types callers hold; everything below works on Arrow columns."""
    if isinstance(X, pa.Table):
        table = X
    elif isinstance(X, pa.RecordBatch):
        table = pa.Table.from_batches([X])
    elif type(X).__module__.split(".")[0] == "pandas":
        _refuse_repeated([str(name) for name in X.columns])  # Arrow says it as a ValueError
        try:
            table = pa.Table.from_pandas(X, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise UserError(f"cannot use the table: {exc}") from exc
    elif isinstance(X, Mapping):
        try:
            table = pa.table({str(k): v for k, v in X.items()})
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise UserError(f"cannot use the columns: {exc}") from exc
    else:
        raise TypeError(f"expected a pyarrow Table, pandas DataFrame or mapping, not {type(X)}")
    _refuse_repeated(table.column_names)
    return table


def _refuse_repeated(names: list[str]) -> None:
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise UserError(f"repeated column names: {', '.join(repeated)}")


def value_type(t: pa.DataType) -> pa.DataType:
    return t.value_type if pa.types.is_dictionary(t) else t


def kind_of(t: pa.DataType) -> Kind | None:
    """The feature kind of an Arrow type; None for types a model cannot use (lists, bytes)."""
    t = value_type(t)
    if (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_decimal(t)
        or pa.types.is_date(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_null(t)
    ):
        return "numeric"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "categorical"
    return None


_PER_DAY = {"s": 86_400.0, "ms": 86_400e3, "us": 86_400e6, "ns": 86_400e9}


def numeric_values(column: pa.ChunkedArray) -> FloatArray:
    t = value_type(column.type)
    if t != column.type:
        column = column.cast(t)
    if pa.types.is_null(t):
        return np.full(len(column), np.nan)
    if pa.types.is_date32(t):
        values = column.cast(pa.int32()).cast(pa.float64())
    elif pa.types.is_date64(t):
        values = pc.divide(column.cast(pa.int64()).cast(pa.float64()), _PER_DAY["ms"])
    elif pa.types.is_timestamp(t):
        values = pc.divide(column.cast(pa.int64()).cast(pa.float64()), _PER_DAY[t.unit])
    else:
        values = column.cast(pa.float64())
    out = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    infinite = np.isinf(out)
    if infinite.any():
        out = np.where(infinite, np.nan, out)
    return out


def as_strings(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(pa.large_string())


def categorical_feature(name: str, column: pa.ChunkedArray) -> Feature:
    counts = pc.value_counts(as_strings(column).drop_null())
    values = counts.field("values").to_pylist()
    frequency = counts.field("counts").to_pylist()
    ordered = [
        v for _, v in sorted(zip(frequency, values, strict=True), key=lambda c: (-c[0], c[1]))
    ]
    if len(ordered) > MAX_CATEGORIES:
        return Feature(name, "categorical", tuple(ordered[: MAX_CATEGORIES - 1]), other=True)
    return Feature(name, "categorical", tuple(ordered))


def category_codes(column: pa.ChunkedArray, feature: Feature) -> FloatArray:
    strings = as_strings(column)
    known = pa.array(feature.categories, pa.large_string())
    index = pc.index_in(strings, value_set=known)
    codes = np.array(index.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    if feature.other:
        present = np.asarray(strings.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
        codes[np.isnan(codes) & present] = feature.other_code
    return codes


def encode_value(feature: Feature, value: object) -> float:
    """One raw value (number, category text or None) as the booster sees it."""
    if value is None:
        return np.nan
    if feature.kind == "numeric":
        try:
            number = float(cast(Any, value))
        except (TypeError, ValueError) as exc:
            raise UserError(f"reference for '{feature.name}' must be a number: {value!r}") from exc
        return number if np.isfinite(number) else np.nan
    text = str(value)
    if text in feature.categories:
        return float(feature.categories.index(text))
    return float(feature.other_code) if feature.other else np.nan


def checked_labels(y: npt.ArrayLike, n: int) -> BoolArray:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"y must be one-dimensional with {n} values, got shape {arr.shape}")
    if arr.dtype != np.bool_:
        if not np.isin(arr, (0, 1)).all():
            raise ValueError("y must be boolean or 0/1")
        arr = arr.astype(np.bool_)
    return arr


def checked_weights(sample_weight: npt.ArrayLike | None, n: int) -> FloatArray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have {n} values, got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("sample_weight must be finite, non-negative and not all zero")
    return w


def weights_of(w: FloatArray | None, rows: npt.NDArray[np.intp]) -> FloatArray | None:
    return None if w is None else w[rows]


class SharedColumns:
    """A table several learners trained on the same columns read (the propensity models,
    one per product, score one table of customers): each numeric column is converted to
    float once and each text column dictionary-encoded once; a learner's own category
    codes are then a lookup per distinct value, and any subset of rows is a gather."""

    def __init__(self, X: Any) -> None:
        self.table = as_table(X)
        self._numeric: dict[str, FloatArray] = {}
        self._text: dict[str, tuple[npt.NDArray[np.int64], pa.ChunkedArray]] = {}

    def matrix(
        self, features: Sequence[Feature], rows: npt.NDArray[np.intp] | None = None
    ) -> FloatArray:
        """The rows (default: all) encoded for a model with these features, in its order."""
        take: Any = slice(None) if rows is None else rows
        n = self.table.num_rows if rows is None else len(rows)
        out = np.empty((n, len(features)), dtype=np.float64, order="F")  # filled by column
        for j, feature in enumerate(features):
            column = self.table.column(feature.name)
            if feature.kind == "numeric":
                if feature.name not in self._numeric:
                    self._numeric[feature.name] = numeric_values(column)
                out[:, j] = self._numeric[feature.name][take]
            elif pa.types.is_null(column.type):
                out[:, j] = np.nan
            else:
                index, values = self._dictionary(feature.name, column)
                codes = np.append(category_codes(values, feature), np.nan)  # index -1: missing
                out[:, j] = codes[index[take]]
        return out

    def _dictionary(
        self, name: str, column: pa.ChunkedArray
    ) -> tuple[npt.NDArray[np.int64], pa.ChunkedArray]:
        if name not in self._text:
            encoded = pc.dictionary_encode(as_strings(column).combine_chunks())
            index = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            values = pa.chunked_array([encoded.dictionary])
            self._text[name] = (np.asarray(index, dtype=np.int64), values)
        return self._text[name]


def encode(table: pa.Table, features: Sequence[Feature]) -> FloatArray:
    """The float matrix the booster reads, columns in training order (by name)."""
    matrix = np.empty((table.num_rows, len(features)), dtype=np.float64)
    for j, feature in enumerate(features):
        column = table.column(feature.name)
        if feature.kind == "numeric":
            matrix[:, j] = numeric_values(column)
        elif pa.types.is_null(column.type):
            matrix[:, j] = np.nan
        else:
            matrix[:, j] = category_codes(column, feature)
    return matrix
