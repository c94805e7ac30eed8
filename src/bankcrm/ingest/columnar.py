"""Cell checks a column at a time (Arrow compute), shared by every extract file.

Python loops over cells are the slow part of an import; here each column of a chunk is
converted and checked in one pass of vectorised kernels, and only the (rare) bad cells
are looked at one by one to say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from bankcrm.ingest.spec import Column, ColumnType

Mask = npt.NDArray[np.bool_]
Check = tuple[Mask, str]

INT_RE = r"^[+-]?\d{1,18}$"
DECIMAL_RE = r"^[+-]?(\d{1,16}(\.\d*)?|\.\d+)$"  # below 10^16: fits every money column
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$"
TRUE_WORDS = ("true", "1", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "no", "n", "f")
DECIMAL_REASON = "not a number (use a dot for decimals, no thousands separator)"
DEFAULT_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.TEXT: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.DECIMAL: pa.decimal128(24, 6),
    ColumnType.DATE: pa.date32(),
    ColumnType.DATETIME: pa.timestamp("us"),
    ColumnType.BOOLEAN: pa.bool_(),
}


def as_mask(values: pa.Array | pa.ChunkedArray) -> Mask:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def strings(cells: Sequence[str | None]) -> tuple[pa.Array, Mask]:
    """Python strings to an Arrow array; cells carrying undecodable bytes become empty and
    are flagged (the CSV reader keeps such bytes as surrogate escapes)."""
    try:
        return pa.array(cells, type=pa.string()), np.zeros(len(cells), dtype=bool)
    except UnicodeEncodeError:
        broken = np.zeros(len(cells), dtype=bool)
        clean: list[str | None] = []
        for i, cell in enumerate(cells):
            try:
                if cell is not None:
                    cell.encode("utf-8")
                clean.append(cell)
            except UnicodeEncodeError:
                broken[i] = True
                clean.append("")
        return pa.array(clean, type=pa.string()), broken


def _utf8_problems(values: pa.Array) -> Mask:
    """Cells of a string array read without UTF-8 checking whose bytes are not UTF-8."""
    try:
        values.validate(full=True)
        return np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        out = np.zeros(len(values), dtype=bool)
        for i, cell in enumerate(pc.cast(values, pa.binary()).to_pylist()):
            if cell is not None:
                try:
                    cell.decode("utf-8")
                except UnicodeDecodeError:
                    out[i] = True
        return out


def _typed_input(column: Column, raw: pa.Array, target: pa.DataType) -> pa.Array | None:
    """Cast an already-typed Parquet column, or None to take the text route (which then
    names what is wrong cell by cell)."""
    kind = raw.type
    if pa.types.is_null(kind):
        return pa.nulls(len(raw), target)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind):
        return None
    if column.type in (ColumnType.DATE, ColumnType.DATETIME) and not (
        pa.types.is_date(kind) or pa.types.is_timestamp(kind)
    ):
        return None  # 20200101 or a day count is not a date
    if pa.types.is_decimal(target) or pa.types.is_integer(target):
        if not (
            pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
        ):
            return None
        magnitude = pc.abs(pc.cast(raw, pa.float64()))
        if pc.any(pc.or_kleene(pc.is_nan(magnitude), pc.greater_equal(magnitude, 1e16))).as_py():
            return None  # NaN, infinities and huge values: the text route rejects them
    try:
        if pa.types.is_decimal(target):
            if pa.types.is_floating(kind):  # to 6 places here; convert rounds to the scale
                raw = pc.cast(pc.round(raw, 6), pa.decimal128(24, 6), safe=False)
            return pc.cast(raw, pa.decimal128(24, 6))
        return pc.cast(raw, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None  # not castable as a whole: the text route checks it cell by cell


def _as_text(raw: pa.Array) -> pa.Array:
    """Any scalar column as strings; bytes are reinterpreted, not validated, so that bad
    UTF-8 is found per cell rather than failing the whole column."""
    if pa.types.is_binary(raw.type):
        return raw.view(pa.string())
    if pa.types.is_large_binary(raw.type):
        return raw.view(pa.large_string()).cast(pa.string())
    if pa.types.is_large_string(raw.type):
        return raw.cast(pa.string())
    if pa.types.is_string(raw.type):
        return raw
    return pc.cast(raw, pa.string())


def _parse_text(
    column: Column, text: pa.Array, missing: Mask, target: pa.DataType
) -> tuple[pa.Array, list[Check]]:
    """Parse trimmed text by type: the values and which present cells failed, and why."""
    kind = column.type
    present = ~missing
    if kind is ColumnType.TEXT:
        nul = as_mask(pc.match_substring(text, "\x00"))
        return text, [(nul, "contains a NUL character")]
    if kind is ColumnType.BOOLEAN:
        lower = pc.utf8_lower(text)
        true = as_mask(pc.is_in(lower, value_set=pa.array(TRUE_WORDS)))
        false = as_mask(pc.is_in(lower, value_set=pa.array(FALSE_WORDS)))
        return pa.array(true, pa.bool_()), [(present & ~(true | false), "not true or false")]
    if kind is ColumnType.INTEGER:
        shaped = as_mask(pc.match_substring_regex(text, INT_RE))
        safe = pc.if_else(pa.array(shaped & present), text, "0")
        return pc.cast(safe, target), [(present & ~shaped, "not a whole number")]
    if kind is ColumnType.DECIMAL:
        shaped = as_mask(pc.match_substring_regex(text, DECIMAL_RE))
        safe = pc.if_else(pa.array(shaped & present), text, "0")
        # 6 places first, then rounded (half away from zero) to the column's own places
        return pc.cast(safe, pa.decimal128(24, 6), safe=False), [
            (present & ~shaped, DECIMAL_REASON)
        ]
    if kind is ColumnType.DATE:
        shaped = as_mask(pc.match_substring_regex(text, DATE_RE))
        safe = pc.if_else(pa.array(shaped & present), text, "2000-01-01")
        day = pc.strptime(safe, format="%Y-%m-%d", unit="s", error_is_null=True)
        real = as_mask(pc.equal(pc.strftime(day, format="%Y-%m-%d"), safe))  # no 30 February
        values = pc.cast(pc.if_else(pa.array(real), day, pa.scalar(None, day.type)), target)
        return values, [
            (present & ~shaped, "not a date in the form YYYY-MM-DD"),
            (present & shaped & ~real, "not a real calendar date"),
        ]
    text = pc.replace_substring_regex(text, r"^(\d{4}-\d{2}-\d{2}) ", r"\1T")
    text = pc.replace_substring_regex(text, r"Z$", "")
    text = pc.replace_substring_regex(text, r"^(\S{10}T\d{2}:\d{2})$", r"\1:00")
    shaped = as_mask(pc.match_substring_regex(text, DATETIME_RE))
    safe = pc.if_else(pa.array(shaped & present), text, "2000-01-01T00:00:00")
    whole = pc.utf8_slice_codeunits(safe, 0, 19)
    second = pc.strptime(whole, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    real = as_mask(pc.equal(pc.strftime(second, format="%Y-%m-%dT%H:%M:%S"), whole))
    safe = pc.if_else(pa.array(real), safe, "2000-01-01T00:00:00")
    values = pc.cast(safe, pa.timestamp("us"))  # keeps fractions of a second
    values = pc.cast(pc.if_else(pa.array(real), values, pa.scalar(None, values.type)), target)
    return values, [
        (present & ~shaped, "not a date-time in the form YYYY-MM-DDTHH:MM:SS"),
        (present & shaped & ~real, "not a real calendar date"),
    ]


def convert(
    column: Column, raw: pa.Array, target: pa.DataType | None = None
) -> tuple[pa.Array, list[Check]]:
    """Typed values of one column (missing and bad cells null, defaults filled in) and
    what is wrong where."""
    target = target or DEFAULT_TYPES[column.type]
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    if pa.types.is_dictionary(raw.type):
        raw = raw.dictionary_decode()
    typed = _typed_input(column, raw, target)
    checks: list[Check] = []
    if typed is None:
        text = _as_text(raw)
        broken = _utf8_problems(text)
        if broken.any():
            text = pc.if_else(pa.array(broken), "", text)
            checks.append((broken, "not valid UTF-8 (bad encoding)"))
        text = pc.utf8_trim_whitespace(text)
        missing = as_mask(pc.or_kleene(pc.is_null(text), pc.equal(text, "")))
        typed, failed = _parse_text(column, text, missing, target)
        checks.extend(failed)
        bad = missing.copy()
        for mask, _reason in failed:
            bad |= mask
        typed = pc.if_else(pa.array(bad), pa.scalar(None, typed.type), typed)
    if column.type is ColumnType.DECIMAL:
        typed = pc.round(typed, column.scale, round_mode="half_towards_infinity")
        typed = pc.cast(typed, target, safe=False) if target != typed.type else typed
    if column.default is not None:
        typed = pc.fill_null(typed, pa.scalar(column.default, typed.type))
    present = as_mask(pc.is_valid(typed))
    if column.required:
        checks.append((~present, "required but empty"))
    if column.enum is not None:
        allowed = as_mask(pc.is_in(typed, value_set=pa.array(column.enum)))
        reason = f"'{{value}}' is not one of: {', '.join(column.enum)}"
        checks.append((present & ~allowed, reason))
    if column.non_negative:
        checks.append((as_mask(pc.less(typed, pa.scalar(0, typed.type))), "may not be negative"))
    if column.max_value is not None:
        too_big = pc.greater(pc.abs(pc.cast(typed, pa.float64())), column.max_value)
        checks.append((as_mask(too_big), f"may not exceed {column.max_value:g}"))
    if column.max_length is not None:
        too_long = as_mask(pc.greater(pc.utf8_length(typed), column.max_length))
        checks.append((too_long, f"longer than {column.max_length} characters"))
    return typed, checks


def first_reasons(checks: list[Check], n: int) -> tuple[Mask, npt.NDArray[np.object_]]:
    """Per cell: is anything wrong, and the first reason that applies."""
    combined = np.zeros(n, dtype=bool)
    reasons = np.full(n, "", dtype=object)
    for mask, reason in checks:
        fresh = mask & ~combined
        if fresh.any():
            reasons[fresh] = reason
            combined |= fresh
    return combined, reasons


def row_digests(columns: list[pa.Array], n: int) -> list[str]:
    """A fingerprint per row of its typed values (as canonical text), to tell a changed
    record from a repeated one without comparing every field in Python."""
    if n == 0:
        return []
    filled = [pc.fill_null(c, "\x00") for c in columns]
    joined = pc.binary_join_element_wise(*filled, "\x1f").to_pylist()
    return [blake2b(text.encode(), digest_size=16).hexdigest() for text in joined]


def shown(value: object) -> str | None:
    """A cell as it may be printed and stored in the quarantine (at most 200 characters)."""
    if value is None:
        return None
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = text.replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:200]
