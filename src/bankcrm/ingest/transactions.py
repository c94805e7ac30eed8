"""Transactions: validated column-at-a-time (they come by the hundred million) and staged
into the lake. Pass one finds every bad row; pass two writes the good ones by month.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bankcrm.ingest import spec
from bankcrm.ingest.reader import ExtractFileError, read_header
from bankcrm.ingest.validate import KeyBook, Problem
from bankcrm.lake.store import TRANSACTION_SCHEMA, LakeStore

BATCH_ROWS = 1_000_000
MAX_PROBLEMS_KEPT = 100_000
_INT_RE = r"^[+-]?\d{1,18}$"
_DEC_RE = r"^[+-]?(\d{1,16}(\.\d*)?|\.\d+)$"  # fits decimal(18,2)
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
ENTITY = spec.TRANSACTIONS
Progress = Callable[[int], None]


@dataclass
class TypedBatch:
    """A batch converted to the lake schema, plus one problem mask per column."""

    table: pa.Table
    problems: dict[str, tuple[npt.NDArray[np.bool_], npt.NDArray[np.object_]]]  # mask, reasons
    raw: dict[str, pa.Array]

    @property
    def bad(self) -> npt.NDArray[np.bool_]:
        mask = np.zeros(self.table.num_rows, dtype=bool)
        for column_mask, _reason in self.problems.values():
            mask |= column_mask
        return mask


@dataclass
class ScanResult:
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    bad_rows: int = 0
    drop: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    already_in_lake: int = 0


@dataclass
class StagedFile:
    month: str
    path: str
    rows: int
    min_id: int
    max_id: int
    first_day: date
    last_day: date


def _np(mask: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _utf8_problems(values: pa.Array) -> npt.NDArray[np.bool_]:
    """Cells whose bytes are not valid UTF-8 (checked per cell only if the batch fails)."""
    try:
        values.validate(full=True)
        return np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        cells = pc.cast(values, pa.binary()).to_pylist()
        out = np.zeros(len(values), dtype=bool)
        for i, cell in enumerate(cells):
            if cell is not None:
                try:
                    cell.decode("utf-8")
                except UnicodeDecodeError:
                    out[i] = True
        return out


Check = tuple[npt.NDArray[np.bool_], str]


def _convert(column: spec.Column, raw: pa.Array) -> tuple[pa.Array, list[Check]]:
    """Return the typed values and the masks of cells that could not be converted."""
    target = TRANSACTION_SCHEMA.field(column.name).type
    n = len(raw)
    if not (pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type)):
        try:
            if pa.types.is_decimal(target) and pa.types.is_floating(raw.type):
                if pc.any(pc.greater_equal(pc.abs(raw), 1e16)).as_py():
                    raise pa.ArrowInvalid("too large for decimal(18,2)")
                raw = pc.round(raw, 2)
            typed = pc.cast(raw, target, safe=not pa.types.is_decimal(target))
            return typed, []
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raw = pc.cast(raw, pa.string())
    raw = raw.cast(pa.string())
    broken = _utf8_problems(raw)
    if broken.any():
        raw = pc.if_else(pa.array(broken), "", raw)
    text = pc.utf8_trim_whitespace(raw)
    missing = _np(pc.or_kleene(pc.is_null(text), pc.equal(text, "")))
    filler: str
    if column.type is spec.ColumnType.INTEGER:
        ok, filler, reason = _np(pc.match_substring_regex(text, _INT_RE)), "0", "not a whole number"
    elif column.type is spec.ColumnType.DECIMAL:
        ok, filler = _np(pc.match_substring_regex(text, _DEC_RE)), "0"
        reason = "not a number (use a dot for decimals, no thousands separator)"
    elif column.type is spec.ColumnType.DATE:
        shaped = _np(pc.match_substring_regex(text, _DATE_RE))
        filler, reason = "2000-01-01", "not a real date in the form YYYY-MM-DD"
        safe_text = pc.if_else(pa.array(shaped), text, filler)
        parsed = pc.strptime(safe_text, format="%Y-%m-%d", unit="s", error_is_null=True)
        round_trip = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), safe_text)
        ok = shaped & _np(round_trip)
    else:
        ok, filler, reason = np.ones(n, dtype=bool), "", ""
    ok |= missing
    safe = pc.if_else(pa.array(ok & ~missing), text, pa.scalar(filler, pa.string()))
    if column.type is spec.ColumnType.DATE:
        typed = pc.cast(pc.strptime(safe, format="%Y-%m-%d", unit="s"), pa.date32())
    elif pa.types.is_decimal(target):
        typed = pc.cast(safe, target, safe=False)
    else:
        typed = pc.cast(safe, target)
    typed = pc.if_else(pa.array(missing), pa.scalar(None, target), typed)
    return typed, [(broken, "not valid UTF-8 (bad encoding)"), (~ok & ~broken, reason)]


def type_batch(raw_columns: dict[str, pa.Array], book: KeyBook) -> TypedBatch:
    n = len(next(iter(raw_columns.values())))
    arrays: list[pa.Array] = []
    problems: dict[str, tuple[npt.NDArray[np.bool_], npt.NDArray[np.object_]]] = {}
    for column in ENTITY.columns:
        raw = raw_columns.get(column.name)
        target = TRANSACTION_SCHEMA.field(column.name).type
        if raw is None:
            arrays.append(pa.nulls(n, target))
            continue
        typed, checks = _convert(column, raw)
        present = _np(pc.is_valid(typed))
        if column.required:
            checks.append((~present, "required but empty"))
        if column.enum is not None:
            allowed = _np(pc.is_in(typed, value_set=pa.array(column.enum)))
            checks.append((present & ~allowed, f"not one of: {', '.join(column.enum)}"))
        if column.non_negative:
            negative = _np(pc.less(typed, pa.scalar(0, target)))
            checks.append((negative, "may not be negative"))
        if column.max_length is not None:
            too_long = _np(pc.greater(pc.utf8_length(typed), column.max_length))
            checks.append((too_long, f"longer than {column.max_length} characters"))
        if column.references is not None:
            known = pa.array(list(book.ids.get(column.references[0], {})), pa.string())
            unknown = present & ~_np(pc.is_in(typed, value_set=known))
            checks.append(
                (
                    unknown,
                    f"unknown {column.references[0]} (not in this extract nor in the database)",
                )
            )
        if column.name == "booked_on":
            future = _np(pc.greater(typed, pa.scalar(date.today(), pa.date32())))
            checks.append((future, "lies in the future"))
        combined = np.zeros(n, dtype=bool)
        reasons = np.full(n, "", dtype=object)
        for mask, why in checks:
            fresh = mask & ~combined
            reasons[fresh] = why
            combined |= mask
        if combined.any():
            problems[column.name] = (combined, reasons)
        arrays.append(typed)
    return TypedBatch(
        pa.Table.from_arrays(arrays, schema=TRANSACTION_SCHEMA), problems, raw_columns
    )


def _csv_batches(
    path: Path, columns: list[str], skipped: list[int]
) -> Iterator[dict[str, pa.Array]]:
    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped.append(int(row.number) if row.number is not None else -1)
        return "skip"

    present = [c for c in columns if c in ENTITY.column_names]
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=columns, skip_rows=1, block_size=32 << 20, use_threads=False
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns},
            include_columns=present,
            check_utf8=False,
            strings_can_be_null=False,
        ),
    )
    for record_batch in reader:
        yield {name: record_batch.column(name) for name in present}


def _parquet_batches(path: Path, columns: list[str]) -> Iterator[dict[str, pa.Array]]:
    present = [c for c in columns if c in ENTITY.column_names]
    for record_batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS, columns=present):
        yield {name: record_batch.column(name) for name in present}


def iter_typed(path: Path, book: KeyBook, skipped: list[int]) -> Iterator[TypedBatch]:
    header = read_header(path, ENTITY)
    try:
        source = (
            _parquet_batches(path, header.columns)
            if path.suffix == ".parquet"
            else _csv_batches(path, header.columns, skipped)
        )
        for raw in source:
            yield type_batch(raw, book)
    except pa.ArrowInvalid as exc:
        raise ExtractFileError(f"{path.name}: cannot be read ({exc})") from exc


def _line_of(index: int, is_csv: bool, skipped: list[int]) -> int:
    """Map a 0-based row index to the file line (CSV) or 1-based row (Parquet)."""
    if not is_csv:
        return index + 1
    line = index + 2
    for s in sorted(x for x in skipped if x >= 0):
        if s <= line:
            line += 1
        else:
            break
    return line


def scan(
    path: Path,
    book: KeyBook,
    lake_ids: Callable[[int, int], npt.NDArray[np.int64]],
    progress: Progress | None = None,
) -> ScanResult:
    """Pass one: find every bad row and every row the lake already holds."""
    result = ScanResult()
    skipped: list[int] = []
    is_csv = path.suffix != ".parquet"
    id_parts: list[npt.NDArray[np.int64]] = []
    bad_parts: list[npt.NDArray[np.bool_]] = []
    offset = 0
    for batch in iter_typed(path, book, skipped):
        n = batch.table.num_rows
        for name, (mask, reasons) in batch.problems.items():
            raw = batch.raw.get(name)
            for i in np.flatnonzero(mask)[: MAX_PROBLEMS_KEPT - len(result.problems)]:
                shown = _shown(raw[int(i)].as_py()) if raw is not None else None
                line = _line_of(offset + int(i), is_csv, skipped)
                result.problems.append(Problem(path.name, line, name, shown, str(reasons[i])))
        ids = pc.fill_null(batch.table.column("transaction_id"), 0)
        id_parts.append(np.asarray(ids.to_numpy(), dtype=np.int64))
        bad_parts.append(batch.bad)
        offset += n
        if progress is not None:
            progress(n)
    for line in skipped:
        reason = "wrong number of cells for the header"
        result.problems.append(Problem(path.name, line, None, None, reason))
    result.rows_read = offset + len(skipped)
    all_ids = np.concatenate(id_parts) if id_parts else np.zeros(0, np.int64)
    drop = np.concatenate(bad_parts) if bad_parts else np.zeros(0, bool)
    result.bad_rows = int(drop.sum()) + len(skipped)
    valid_idx = np.flatnonzero(~drop)
    if len(valid_idx):
        ids_valid = all_ids[valid_idx]
        order = np.argsort(ids_valid, kind="stable")
        sorted_ids = ids_valid[order]
        repeat = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1]) + 1
        if len(repeat):
            starts = np.r_[0, np.flatnonzero(sorted_ids[1:] != sorted_ids[:-1]) + 1]
            group_start = starts[np.searchsorted(starts, repeat, side="right") - 1]
            dup_rows = valid_idx[order[repeat]]
            first_rows = valid_idx[order[group_start]]
            for row, first in list(zip(dup_rows, first_rows, strict=True))[:MAX_PROBLEMS_KEPT]:
                key = int(all_ids[row])
                first_line = _line_of(int(first), is_csv, skipped)
                result.problems.append(
                    Problem(
                        path.name,
                        _line_of(int(row), is_csv, skipped),
                        "transaction_id",
                        str(key),
                        f"duplicate key '{key}': already on line {first_line}",
                    )
                )
            drop[dup_rows] = True
            result.bad_rows += len(dup_rows)
        existing = lake_ids(int(sorted_ids[0]), int(sorted_ids[-1]))
        if len(existing):
            in_lake = np.isin(all_ids, existing) & ~drop
            result.already_in_lake = int(in_lake.sum())
            drop |= in_lake
    result.drop = drop
    result.problems.sort(key=lambda p: p.line)
    return result


def _shown(value: object) -> str | None:
    if value is None:
        return None
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:200]


@dataclass
class _MonthStats:
    rows: int = 0
    min_id: int = 2**63 - 1
    max_id: int = -(2**63)
    first_day: date = date.max
    last_day: date = date.min


def stage(
    path: Path,
    book: KeyBook,
    drop: npt.NDArray[np.bool_],
    store: LakeStore,
    batch_key: str,
    progress: Progress | None = None,
) -> list[StagedFile]:
    """Pass two: write the rows not dropped into per-month staged Parquet files."""
    staging = store.staging_dir(batch_key)
    writers: dict[str, pq.ParquetWriter] = {}
    stats: dict[str, _MonthStats] = {}
    offset = 0
    skipped: list[int] = []
    try:
        for batch in iter_typed(path, book, skipped):
            n = batch.table.num_rows
            keep = ~drop[offset : offset + n]
            offset += n
            table = batch.table.filter(pa.array(keep))
            if table.num_rows:
                _write_by_month(table, staging, store, batch_key, writers, stats)
            if progress is not None:
                progress(n)
    finally:
        for writer in writers.values():
            writer.close()
    staged = []
    for month, m in sorted(stats.items()):
        relative = store.relative_path(month, batch_key)
        (staging / (relative + ".tmp")).replace(staging / relative)
        staged.append(
            StagedFile(month, relative, m.rows, m.min_id, m.max_id, m.first_day, m.last_day)
        )
    return staged


def _write_by_month(
    table: pa.Table,
    staging: Path,
    store: LakeStore,
    batch_key: str,
    writers: dict[str, pq.ParquetWriter],
    stats: dict[str, _MonthStats],
) -> None:
    months = pc.strftime(table.column("booked_on"), format="%Y-%m")
    for month in pc.unique(months).to_pylist():
        part = table.filter(pc.equal(months, month))
        writer = writers.get(month)
        if writer is None:
            target = staging / (store.relative_path(month, batch_key) + ".tmp")
            target.parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(target, TRANSACTION_SCHEMA, compression="zstd")
            writers[month] = writer
            stats[month] = _MonthStats()
        writer.write_table(part, row_group_size=1_000_000)
        ids, days = part.column("transaction_id"), part.column("booked_on")
        m = stats[month]
        m.rows += part.num_rows
        m.min_id = min(m.min_id, int(pc.min(ids).as_py()))
        m.max_id = max(m.max_id, int(pc.max(ids).as_py()))
        m.first_day = min(m.first_day, pc.min(days).as_py())
        m.last_day = max(m.last_day, pc.max(days).as_py())
