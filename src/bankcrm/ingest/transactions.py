"""Transactions: validated column-at-a-time (they come by the hundred million) and staged
into the lake by month. One pass checks and writes; a second, filtered pass runs only when
ids repeat (within the file or against the lake), which a clean extract never needs.
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
from bankcrm.ingest.columnar import as_mask, convert, first_reasons, shown
from bankcrm.ingest.reader import ExtractFileError, FileHeader, read_header
from bankcrm.ingest.validate import KeyBook, Problem
from bankcrm.lake.staging import MonthlyStager
from bankcrm.lake.store import TRANSACTION_SCHEMA

BATCH_ROWS = 1_000_000
MAX_PROBLEMS_KEPT = 100_000
ENTITY = spec.TRANSACTIONS
Progress = Callable[[int], None]


@dataclass
class TypedBatch:
    """A batch converted to the lake schema, plus one problem mask per column."""

    table: pa.Table
    problems: dict[str, tuple[npt.NDArray[np.bool_], npt.NDArray[np.object_]]]  # mask, reasons
    raw: dict[str, pa.Array]
    blank: npt.NDArray[np.bool_]  # CSV blank lines: neither loaded nor reported

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
    rewrite: bool = False  # rows written in the first pass must be filtered again


def type_batch(raw_columns: dict[str, pa.Array], book: KeyBook) -> TypedBatch:
    """Convert one batch to the lake schema and find what is wrong in each column."""
    n = len(next(iter(raw_columns.values())))
    arrays: list[pa.Array] = []
    problems: dict[str, tuple[npt.NDArray[np.bool_], npt.NDArray[np.object_]]] = {}
    for column in ENTITY.columns:
        raw = raw_columns.get(column.name)
        target = TRANSACTION_SCHEMA.field(column.name).type
        if raw is None:
            raw = pa.nulls(n, pa.string())
        typed, checks = convert(column, raw, target)
        present = as_mask(pc.is_valid(typed))
        if column.references is not None:
            unknown = present & ~book.known_mask(column.references[0], typed)
            reason = f"unknown {column.references[0]} (not in this extract nor in the database)"
            checks.append((unknown, reason))
        if column.name == "booked_on":
            future = as_mask(pc.greater(typed, pa.scalar(date.today(), pa.date32())))
            checks.append((future, "lies in the future"))
        bad, reasons = first_reasons(checks, n)
        if bad.any():
            problems[column.name] = (bad, reasons)
        arrays.append(typed)
    blank = np.zeros(n, dtype=bool)  # a CSV blank line: every cell empty text
    if all(pa.types.is_string(raw.type) for raw in raw_columns.values()):
        blank = np.logical_and.reduce([as_mask(pc.equal(raw, "")) for raw in raw_columns.values()])
    if blank.any():
        problems = {c: (mask & ~blank, reasons) for c, (mask, reasons) in problems.items()}
    table = pa.Table.from_arrays(arrays, schema=TRANSACTION_SCHEMA)
    return TypedBatch(table, problems, raw_columns, blank)


@dataclass
class Skipped:
    """CSV lines the Arrow reader did not turn into rows: blank ones and malformed ones."""

    lines: list[int] = field(default_factory=list)  # every skipped line, for line numbers
    malformed: list[int] = field(default_factory=list)  # the ones to report


def _csv_batches(path: Path, header: FileHeader, skipped: Skipped) -> Iterator[dict[str, pa.Array]]:
    def on_invalid(row: pacsv.InvalidRow) -> str:
        line = int(row.number) if row.number is not None else -1
        skipped.lines.append(line)
        if row.text.strip():
            skipped.malformed.append(line)
        return "skip"

    present = [c for c in header.columns if c in ENTITY.column_names]
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=header.columns, skip_rows=1, block_size=32 << 20, use_threads=False
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header.columns},
            include_columns=present,
            check_utf8=False,
            strings_can_be_null=False,
        ),
    )
    for record_batch in reader:
        yield {name: record_batch.column(name) for name in present}


def _parquet_batches(path: Path, header: FileHeader) -> Iterator[dict[str, pa.Array]]:
    present = [c for c in header.columns if c in ENTITY.column_names]
    raw_names = [header.raw_name(c) for c in present]
    parquet = pq.ParquetFile(path)
    for record_batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=raw_names):
        yield {name: record_batch.column(raw) for name, raw in zip(present, raw_names, strict=True)}


def _has_rows(path: Path) -> bool:
    """Anything after the header? (Arrow refuses a header-only CSV without a newline.)"""
    if path.suffix == ".parquet":
        return bool(pq.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as handle:
        handle.readline()
        return bool(handle.read(1))


def iter_typed(path: Path, book: KeyBook, skipped: Skipped) -> Iterator[TypedBatch]:
    header = read_header(path, ENTITY)
    if not _has_rows(path):
        return
    try:
        source = (
            _parquet_batches(path, header)
            if path.suffix == ".parquet"
            else _csv_batches(path, header, skipped)
        )
        for raw in source:
            yield type_batch(raw, book)
    except (pa.ArrowException, OSError) as exc:
        raise ExtractFileError(f"{path.name}: cannot be read ({exc})") from exc


def _line_of(index: int, is_csv: bool, skipped: npt.NDArray[np.int64]) -> int:
    """Map a 0-based row index to the file line (CSV) or 1-based row (Parquet)."""
    if not is_csv:
        return index + 1
    before = 0
    while True:  # the line of row `index` is index + 2 plus the skipped lines before it
        line = index + 2 + before
        now = int(np.searchsorted(skipped, line, side="right"))
        if now == before:
            return line
        before = now


def scan(
    path: Path,
    book: KeyBook,
    lake_ids: Callable[[int, int], npt.NDArray[np.int64]],
    progress: Progress | None = None,
    stager: MonthlyStager | None = None,
) -> ScanResult:
    """Find every bad row and every row the lake already holds. With a stager, the rows that
    pass their own checks are written as they go; `rewrite` then says whether repeated ids
    (in the file or already in the lake) make a second, filtered pass necessary."""
    result = ScanResult()
    skipped = Skipped()
    is_csv = path.suffix != ".parquet"
    id_parts: list[npt.NDArray[np.int64]] = []
    bad_parts: list[npt.NDArray[np.bool_]] = []
    blank_parts: list[npt.NDArray[np.bool_]] = []
    offset = 0
    for batch in iter_typed(path, book, skipped):
        n = batch.table.num_rows
        lines_so_far = np.sort(np.asarray(skipped.lines, dtype=np.int64))
        for name, (mask, reasons) in batch.problems.items():
            raw = batch.raw.get(name)
            for i in np.flatnonzero(mask)[: max(MAX_PROBLEMS_KEPT - len(result.problems), 0)]:
                text = shown(raw[int(i)].as_py()) if raw is not None else None
                reason = str(reasons[i]).replace("{value}", text or "")
                line = _line_of(offset + int(i), is_csv, lines_so_far)
                result.problems.append(Problem(path.name, line, name, text, reason))
        ids = pc.fill_null(batch.table.column("transaction_id"), 0)
        id_parts.append(np.asarray(ids.to_numpy(), dtype=np.int64))
        bad = batch.bad
        bad_parts.append(bad)
        blank_parts.append(batch.blank)
        if stager is not None:
            stager.write(batch.table.filter(pa.array(~(bad | batch.blank))))
        offset += n
        if progress is not None:
            progress(n)
    all_skipped = np.sort(np.asarray(skipped.lines, dtype=np.int64))
    for line in skipped.malformed[: max(MAX_PROBLEMS_KEPT - len(result.problems), 0)]:
        reason = "wrong number of cells for the header"
        result.problems.append(Problem(path.name, line, None, None, reason))
    all_ids = np.concatenate(id_parts) if id_parts else np.zeros(0, np.int64)
    del id_parts
    drop = np.concatenate(bad_parts) if bad_parts else np.zeros(0, bool)
    blank = np.concatenate(blank_parts) if blank_parts else np.zeros(0, bool)
    del bad_parts, blank_parts
    result.rows_read = offset - int(blank.sum()) + len(skipped.malformed)
    result.bad_rows = int(drop.sum()) + len(skipped.malformed)
    drop |= blank
    candidates = all_ids[~drop]
    if len(candidates):
        candidates.sort()  # in place: one copy of the ids, not three
        repeated = np.unique(candidates[1:][candidates[1:] == candidates[:-1]])
        low, high = int(candidates[0]), int(candidates[-1])
        del candidates
        if len(repeated):
            _drop_duplicates(path.name, all_ids, drop, repeated, result, is_csv, all_skipped)
            result.rewrite = True
        existing = lake_ids(low, high)
        if len(existing):
            in_lake = np.isin(all_ids, existing) & ~drop
            result.already_in_lake = int(in_lake.sum())
            result.rewrite = result.rewrite or result.already_in_lake > 0
            drop |= in_lake
    result.drop = drop
    result.problems.sort(key=lambda p: p.line)
    return result


def _drop_duplicates(
    file: str,
    all_ids: npt.NDArray[np.int64],
    drop: npt.NDArray[np.bool_],
    repeated: npt.NDArray[np.int64],
    result: ScanResult,
    is_csv: bool,
    skipped: npt.NDArray[np.int64],
) -> None:
    """Keep the first row of each repeated id; quarantine the others, naming the first."""
    rows = np.flatnonzero(np.isin(all_ids, repeated) & ~drop)
    ids = all_ids[rows]
    unique, first_position = np.unique(ids, return_index=True)
    is_first = np.zeros(len(rows), dtype=bool)
    is_first[first_position] = True
    later = rows[~is_first]
    first_rows = rows[first_position[np.searchsorted(unique, all_ids[later])]]
    room = max(MAX_PROBLEMS_KEPT - len(result.problems), 0)
    for row, first in zip(later[:room].tolist(), first_rows[:room].tolist(), strict=True):
        key = int(all_ids[row])
        result.problems.append(
            Problem(
                file,
                _line_of(row, is_csv, skipped),
                "transaction_id",
                str(key),
                f"duplicate key '{key}': already on line {_line_of(first, is_csv, skipped)}",
            )
        )
    drop[later] = True
    result.bad_rows += len(later)


def stage(
    path: Path,
    book: KeyBook,
    drop: npt.NDArray[np.bool_],
    stager: MonthlyStager,
    progress: Progress | None = None,
) -> None:
    """Second pass, only when the first found repeated ids: write the rows not dropped."""
    offset = 0
    for batch in iter_typed(path, book, Skipped()):
        n = batch.table.num_rows
        keep = ~drop[offset : offset + n]
        offset += n
        stager.write(batch.table.filter(pa.array(keep)))
        if progress is not None:
            progress(n)
