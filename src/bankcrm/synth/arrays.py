"""Small numpy / pyarrow helpers shared by the generator modules.

Everything here is vectorised: the generator never loops over transactions in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

NEVER = 1_000_000  # day sentinel for "does not happen"


def strings(values: Sequence[str]) -> pa.Array:
    """A string array for use as a lookup table with :func:`pick`."""
    return pa.array(list(values), type=pa.string())


def pick(table: pa.Array, idx: npt.ArrayLike, valid: Bool | None = None) -> pa.Array:
    """table[idx] as an Arrow array; rows where ``valid`` is false become null."""
    ids = np.asarray(idx, dtype=np.int64)
    mask = None if valid is None else ~valid
    if mask is not None:
        ids = np.where(mask, 0, ids)
    return pc.take(table, pa.array(ids, mask=mask))


def coded(dictionary: pa.Array, codes: npt.ArrayLike, valid: Bool | None = None) -> pa.Array:
    """A dictionary-encoded array (cheap to build, written to Parquet as plain strings)."""
    ids = np.asarray(codes)
    index_type = np.int8 if len(dictionary) < 128 else np.int32
    mask = None if valid is None else ~valid
    if mask is not None:
        ids = np.where(mask, 0, ids)
    return pa.DictionaryArray.from_arrays(pa.array(ids.astype(index_type), mask=mask), dictionary)


def fixed_take(values: pa.Array, idx: I64) -> pa.Array:
    """values[idx] for strings of one common width (ids), copied with numpy: fast."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
    offsets = offsets[values.offset : values.offset + len(values) + 1]
    width = int(offsets[1] - offsets[0]) if len(values) else 0
    if len(values) == 0 or not (np.diff(offsets) == width).all() or values.null_count:
        return pick(values, idx)
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    out = data.view(f"V{width}")[idx]  # one opaque record per string: a single gather
    new_offsets = np.arange(0, width * (len(idx) + 1), width, dtype=np.int32)
    return pa.StringArray.from_buffers(len(idx), pa.py_buffer(new_offsets), pa.py_buffer(out))


def digits(values: npt.ArrayLike, width: int) -> pa.Array:
    """Zero-padded decimal strings, e.g. digits([7], 3) -> ['007']."""
    text = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(text, width=width, padding="0")


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation of arrays and literal strings."""
    args = [pa.scalar(p) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, "")


def categorical(rng: np.random.Generator, probs: F64) -> I64:
    """One draw per row of a (rows, k) probability matrix (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    out: I64 = np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1).astype(np.int64)
    return out


def expand(counts: npt.ArrayLike) -> I64:
    """Owner index for each of sum(counts) items: expand([2, 0, 1]) -> [0, 0, 2]."""
    c = np.asarray(counts, dtype=np.int64)
    return np.repeat(np.arange(len(c), dtype=np.int64), c)


def rank_in_group(group: I64) -> I64:
    """0-based position of each row within its run of equal ``group`` values (sorted input)."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n, dtype=np.int64) - first


def stable_order(keys: I64, bits: int) -> I64:
    """Stable argsort of non-negative keys below 2**bits using 16-bit radix passes (fast)."""
    order = np.arange(len(keys), dtype=np.int64)
    for shift in range(0, max(bits, 1), 16):
        part = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(part, kind="stable")]
    return order


def sigmoid(x: F64) -> F64:
    return 1.0 / (1.0 + np.exp(-x))


def uniform_days(rng: np.random.Generator, lo: I64, hi: I64) -> I64:
    """A uniform integer day in [lo, hi] per row (hi >= lo)."""
    span = (hi - lo + 1).astype(np.float64)
    return lo + np.floor(rng.random(len(lo)) * span).astype(np.int64)
