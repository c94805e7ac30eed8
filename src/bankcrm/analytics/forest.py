"""A compiled walk of a fitted booster's trees: scikit-learn's scores, and cheap occlusion.

Explaining scores by occlusion (churn reasons, offer reasons, importance) predicts every
row once per occluded column with scikit-learn's predictor. `Forest` walks all trees for
one row from flat node arrays (compiled with numba), keeps the leaf of each tree, and for
an occluded column walks again only the trees that split on that column: a tree that
never reads the column gives the same leaf. Plain scoring runs at about scikit-learn's
speed; occlusion costs a fraction of a prediction per column instead of a whole one.

The sums run in scikit-learn's order (baseline, then tree 1, 2, ...), so every score is the
same float that `decision_function` returns, bit for bit; `learner` checks that on probe
rows before it uses a forest and falls back to scikit-learn otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
_MAX_THREADS: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
MAX_CODE = 255  # category codes lie in [0, 255]; anything else counts as missing

# node flags
_LEAF = 1
_MISSING_LEFT = 2


@dataclass(frozen=True)
class Forest:
    """All trees of one booster as flat arrays, columns numbered as in our matrix."""

    column: npt.NDArray[np.int32]  # per node: the column it splits on (-1 in a leaf)
    threshold: FloatArray  # numeric split: go left when value <= threshold
    left: npt.NDArray[np.int32]  # absolute node numbers
    right: npt.NDArray[np.int32]
    flags: npt.NDArray[np.uint8]  # _LEAF, _MISSING_LEFT
    category_row: npt.NDArray[np.int32]  # row of `goes_left` for a categorical split, else -1
    goes_left: npt.NDArray[np.uint8]  # per categorical split and code 0..255: 1 = left
    value: FloatArray  # leaf values
    roots: npt.NDArray[np.int32]  # first node of each tree, in boosting order
    baseline: float
    trees_of_column: npt.NDArray[np.uint8]  # columns x trees: 1 where the tree splits on it


def from_booster(booster: Any, n_columns: int) -> Forest:
    """Flatten a fitted single-output HistGradientBoostingClassifier.

    Reads scikit-learn internals (predictor nodes, category bitsets, the encoder of its
    categorical preprocessing); `learner` compares the result with the public
    decision_function before trusting it."""
    mask = booster.is_categorical_
    if mask is None:
        order = np.arange(n_columns)
        encoder_categories: list[Any] = []
    else:
        order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
        encoder = booster._preprocessor.named_transformers_["encoder"]
        encoder_categories = list(encoder.categories_)
    known, f_idx_map = booster._bin_mapper.make_known_categories_bitsets()
    parts: dict[str, list[Any]] = {k: [] for k in ("column", "threshold", "left", "right")}
    flags: list[Any] = []
    rows: list[Any] = []
    values: list[Any] = []
    tables: list[npt.NDArray[np.uint8]] = []
    roots = []
    uses = np.zeros((n_columns, len(booster._predictors)), dtype=np.uint8)
    offset = 0
    for t, (predictor,) in enumerate(booster._predictors):
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        columns = order[nodes["feature_idx"].astype(np.intp)]
        columns = np.where(leaf, -1, columns)
        uses[np.unique(columns[~leaf]), t] = 1
        category_row = np.full(nodes.size, -1, dtype=np.int32)
        for i in np.flatnonzero(~leaf & (nodes["is_categorical"] == 1)):
            category_row[i] = len(tables)
            feature = int(nodes["feature_idx"][i])
            tables.append(
                _category_directions(
                    encoder_categories[feature],
                    predictor.raw_left_cat_bitsets[nodes["bitset_idx"][i]],
                    known[f_idx_map[feature]],
                    bool(nodes["missing_go_to_left"][i]),
                )
            )
        roots.append(offset)
        parts["column"].append(columns.astype(np.int32))
        parts["threshold"].append(nodes["num_threshold"].astype(np.float64))
        parts["left"].append((nodes["left"].astype(np.int64) + offset).astype(np.int32))
        parts["right"].append((nodes["right"].astype(np.int64) + offset).astype(np.int32))
        flags.append(
            (leaf * _LEAF + (nodes["missing_go_to_left"] == 1) * _MISSING_LEFT).astype(np.uint8)
        )
        rows.append(category_row)
        values.append(nodes["value"].astype(np.float64))
        offset += nodes.size
    goes_left = np.stack(tables) if tables else np.zeros((1, MAX_CODE + 1), dtype=np.uint8)
    return Forest(
        column=np.concatenate(parts["column"]),
        threshold=np.concatenate(parts["threshold"]),
        left=np.concatenate(parts["left"]),
        right=np.concatenate(parts["right"]),
        flags=np.concatenate(flags),
        category_row=np.concatenate(rows),
        goes_left=np.ascontiguousarray(goes_left),
        value=np.concatenate(values),
        roots=np.asarray(roots, dtype=np.int32),
        baseline=float(booster._baseline_prediction.ravel()[0]),
        trees_of_column=uses,
    )


def _category_directions(
    seen: Any, raw_left: Any, known: Any, missing_left: bool
) -> npt.NDArray[np.uint8]:
    """Per code of ours (0..255): 1 if scikit-learn sends it left at this split.

    Our code c reaches scikit-learn as the position of c among the categories its encoder
    saw in training (unseen: missing); its predictor then goes left if that position is in
    the split's left bitset, right if it is a known category, else as missing values go."""
    seen = np.asarray(seen, dtype=np.float64)
    seen = seen[~np.isnan(seen)]
    position = np.full(MAX_CODE + 1, -1, dtype=np.int64)
    inside = (seen >= 0) & (seen <= MAX_CODE)
    position[seen[inside].astype(np.intp)] = np.flatnonzero(inside)
    out = np.full(MAX_CODE + 1, 1 if missing_left else 0, dtype=np.uint8)
    for code in range(MAX_CODE + 1):
        e = position[code]
        if e < 0:
            continue
        byte = np.uint8(e)  # scikit-learn casts the encoded value to its 8-bit bin type
        if (int(raw_left[byte // 32]) >> (int(byte) % 32)) & 1:
            out[code] = 1
        elif (int(known[byte // 32]) >> (int(byte) % 32)) & 1:
            out[code] = 0
    return out


@contextmanager
def threads(n_threads: int | None) -> Iterator[None]:
    """numba's threads for the walks: `n_threads` (None: all it has), restored after."""
    before = numba.get_num_threads()
    if n_threads is not None:
        numba.set_num_threads(max(1, min(n_threads, _MAX_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def scores(forest: Forest, matrix: FloatArray) -> FloatArray:
    """The booster's raw score (log-odds) per row: decision_function."""
    rows = np.ascontiguousarray(matrix, dtype=np.float64)
    out = np.empty(rows.shape[0], dtype=np.float64)
    _scores(rows, *_arrays(forest), out)
    return out


def occluded_scores(
    forest: Forest,
    matrix: FloatArray,
    columns: npt.NDArray[np.intp],
    values: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """(raw score per row, raw score per row with column columns[k] set to values[k])."""
    rows = np.ascontiguousarray(matrix, dtype=np.float64)
    base = np.empty(rows.shape[0], dtype=np.float64)
    out = np.empty((rows.shape[0], len(columns)), dtype=np.float64)
    uses = np.ascontiguousarray(forest.trees_of_column[np.asarray(columns, dtype=np.intp)])
    _occluded(
        rows,
        np.asarray(columns, dtype=np.int32),
        np.asarray(values, dtype=np.float64),
        uses,
        *_arrays(forest),
        base,
        out,
    )
    return base, out


def _arrays(forest: Forest) -> tuple[Any, ...]:
    return (
        forest.column,
        forest.threshold,
        forest.left,
        forest.right,
        forest.flags,
        forest.category_row,
        forest.goes_left,
        forest.value,
        forest.roots,
        forest.baseline,
    )


# The kernels: plain Python that numba compiles (cached beside this file); `Any` because
# numba, not mypy, types them.


def _walk(
    row: Any,
    occluded: int,
    replacement: float,
    root: int,
    column: Any,
    threshold: Any,
    left: Any,
    right: Any,
    flags: Any,
    crow: Any,
    goes: Any,
) -> int:
    """The leaf one row reaches in one tree; column `occluded` reads as `replacement`."""
    node = root
    while not flags[node] & _LEAF:
        j = column[node]
        x = replacement if j == occluded else row[j]
        if math.isnan(x):
            go_left = flags[node] & _MISSING_LEFT
        elif crow[node] >= 0:
            if x < 0 or x > MAX_CODE:
                go_left = flags[node] & _MISSING_LEFT
            else:
                go_left = goes[crow[node], int(x)]
        else:
            go_left = x <= threshold[node]
        node = left[node] if go_left else right[node]
    return int(node)


def _compiled(function: Any, **options: Any) -> Any:
    """numba's compiled `function`, its machine code cached beside this file (or in the
    user's cache folder) so that a new process need not compile again; uncached where no
    folder is writable (numba refuses to cache then, and the first call compiles)."""
    try:
        return numba.njit(cache=True, **options)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, **options)(function)


_leaf: Any = _compiled(_walk, inline="always")


def _scores_kernel(
    X: Any,
    column: Any,
    threshold: Any,
    left: Any,
    right: Any,
    flags: Any,
    crow: Any,
    goes: Any,
    value: Any,
    roots: Any,
    baseline: float,
    out: Any,
) -> None:
    for i in numba.prange(X.shape[0]):
        row = X[i]
        raw = 0.0 + baseline
        for t in range(roots.size):
            node = _leaf(row, -1, 0.0, roots[t], column, threshold, left, right, flags, crow, goes)
            raw += value[node]
        out[i] = raw


def _occluded_kernel(
    X: Any,
    columns: Any,
    values: Any,
    uses: Any,
    column: Any,
    threshold: Any,
    left: Any,
    right: Any,
    flags: Any,
    crow: Any,
    goes: Any,
    value: Any,
    roots: Any,
    baseline: float,
    base: Any,
    out: Any,
) -> None:
    n_trees = roots.size
    for i in numba.prange(X.shape[0]):
        row = X[i]
        leaves = np.empty(n_trees)
        raw = 0.0 + baseline
        for t in range(n_trees):
            node = _leaf(row, -1, 0.0, roots[t], column, threshold, left, right, flags, crow, goes)
            leaves[t] = value[node]
            raw += leaves[t]
        base[i] = raw
        for k in range(columns.size):
            j = columns[k]
            v = values[k]
            x = row[j]
            if x == v or (math.isnan(x) and math.isnan(v)):
                out[i, k] = raw  # nothing to occlude: the same walk
                continue
            total = 0.0 + baseline
            for t in range(n_trees):
                if uses[k, t]:
                    node = _leaf(
                        row, j, v, roots[t], column, threshold, left, right, flags, crow, goes
                    )
                    total += value[node]
                else:
                    total += leaves[t]
            out[i, k] = total


_scores: Any = _compiled(_scores_kernel, parallel=True)
_occluded: Any = _compiled(_occluded_kernel, parallel=True)
