"""Read one extract file (CSV or Parquet) as raw rows, after checking it can be read at all.

A file that cannot be read (missing, empty, not CSV/Parquet, header without a required
column) raises ExtractFileError before anything is written. Rows that are merely bad come
back with their line number so the validator can quarantine them.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bankcrm.ingest.columnar import Mask, strings
from bankcrm.ingest.spec import Entity
from bankcrm.kit.errors import UserError

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def bad_encoding(text: str) -> bool:
    """True when the text carries bytes that were not valid UTF-8 (surrogate-escaped)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class ExtractFileError(UserError):
    """A whole file is unusable; the import stops and writes nothing."""


@dataclass
class Chunk:
    """Rows of a file, column by column, with where each row sits in the file."""

    lines: list[int]  # CSV: physical line where the record ends; Parquet: 1-based row number
    columns: dict[str, pa.Array]
    shape_problems: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    broken: dict[str, Mask] = field(default_factory=dict)  # cells that were not UTF-8
    originals: dict[str, Sequence[Any]] = field(default_factory=dict)  # CSV cells as read

    def original(self, column: str, row: int) -> Any:
        """The cell as it appeared in the file, for the quarantine report."""
        if column in self.originals:
            return self.originals[column][row]
        values = self.columns[column]
        if pa.types.is_string(values.type):  # may hold bytes that are not UTF-8
            return values.cast(pa.binary())[row].as_py()
        return values[row].as_py()

    @property
    def rows(self) -> int:
        return len(self.lines) + len(self.shape_problems)


@dataclass
class FileHeader:
    columns: list[str]  # names as the spec spells them (spaces and BOM removed)
    unknown: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)  # names exactly as in the file

    def raw_name(self, column: str) -> str:
        return self.raw[self.columns.index(column)] if self.raw else column


def _check_header(path: Path, entity: Entity, names: list[str]) -> FileHeader:
    cleaned = [n.strip().lstrip("\ufeff") for n in names]
    if any(bad_encoding(n) for n in cleaned):
        raise ExtractFileError(f"{path.name}: the header is not valid UTF-8")
    duplicates = sorted({n for n in cleaned if cleaned.count(n) > 1})
    if duplicates:
        raise ExtractFileError(
            f"{path.name}: the header repeats column(s): {', '.join(duplicates)}"
        )
    missing = [c for c in entity.required_columns if c not in cleaned]
    if missing:
        raise ExtractFileError(
            f"{path.name}: the header lacks required column(s): {', '.join(missing)} "
            f"(found: {', '.join(cleaned) or 'nothing'}); see docs/import-format.md"
        )
    unknown = [n for n in cleaned if n not in entity.column_names]
    return FileHeader(columns=cleaned, unknown=unknown, raw=list(names))


def read_header(path: Path, entity: Entity) -> FileHeader:
    """Check the file opens and its header has every required column."""
    if path.stat().st_size == 0:
        raise ExtractFileError(f"{path.name}: the file is empty (not even a header row)")
    if path.suffix == ".parquet":
        try:
            schema = pq.ParquetFile(path).schema_arrow
        except (pa.ArrowException, OSError) as exc:
            raise ExtractFileError(f"{path.name}: not a readable Parquet file ({exc})") from exc
        header = _check_header(path, entity, list(schema.names))
        for raw_name, name in zip(header.raw, header.columns, strict=True):
            kind = schema.field(raw_name).type
            if name in entity.column_names and pa.types.is_nested(kind):
                raise ExtractFileError(
                    f"{path.name}: column {name} has type {kind}; a single value per cell "
                    "is expected (see docs/import-format.md)"
                )
        return header
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        try:
            first = next(csv.reader(handle), None)
        except csv.Error as exc:
            raise ExtractFileError(f"{path.name}: line 1: unreadable header ({exc})") from exc
    if not first or all(not cell.strip() for cell in first):
        raise ExtractFileError(f"{path.name}: line 1 should be the header row but is empty")
    return _check_header(path, entity, first)


def count_rows(path: Path) -> int:
    """Rows in the file (for progress bars): Parquet metadata or CSV newlines."""
    if path.suffix == ".parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            lines += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def iter_chunks(
    path: Path, entity: Entity, rows: int | None = None, chunk_rows: int = 50_000
) -> Iterator[Chunk]:
    """Yield the file in chunks of columns, keyed by the header's column names. `rows` is
    count_rows(path) when the caller has it already (it costs a read of the whole file)."""
    header = read_header(path, entity)
    wanted = [c for c in header.columns if c in entity.column_names]
    if path.suffix == ".parquet":
        yield from _iter_parquet(path, header, wanted, chunk_rows)
        return
    table = _read_csv_fast(path, header, wanted, count_rows(path) if rows is None else rows)
    if table is None:  # blank lines, multi-line values or malformed rows: go line by line
        yield from _iter_csv(path, header, wanted, chunk_rows)
        return
    for start in range(0, table.num_rows, chunk_rows):
        part = table.slice(start, chunk_rows)
        lines = list(range(start + 2, start + 2 + part.num_rows))
        yield Chunk(lines, {name: part.column(name).combine_chunks() for name in wanted})


def _read_csv_fast(path: Path, header: FileHeader, wanted: list[str], rows: int) -> pa.Table | None:
    """Parse the whole file in Arrow's C++ reader when every record is one plain line, so
    that record i sits on line i + 2; return None when that cannot be guaranteed."""
    invalid: list[object] = []

    def on_invalid(row: object) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header.columns, skip_rows=1),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header.columns},
                include_columns=wanted,
                check_utf8=False,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if invalid or table.num_rows != rows:
        return None
    return table


def _csv_chunk(
    lines: list[int],
    rows: list[list[str]],
    header: FileHeader,
    wanted: list[str],
    shape_problems: list[tuple[int, str]],
) -> Chunk:
    position = {name: i for i, name in enumerate(header.columns)}
    by_column = list(zip(*rows, strict=True)) if rows else [() for _ in header.columns]
    chunk = Chunk(lines, {}, shape_problems)
    for name in wanted:
        cells = by_column[position[name]]
        values, broken = strings(cells)
        chunk.columns[name] = values
        chunk.originals[name] = cells
        if broken.any():
            chunk.broken[name] = broken
    return chunk


def _iter_csv(
    path: Path, header: FileHeader, wanted: list[str], chunk_rows: int
) -> Iterator[Chunk]:
    width = len(header.columns)
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        next(reader)
        lines: list[int] = []
        rows: list[list[str]] = []
        shape_problems: list[tuple[int, str]] = []
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                shape_problems.append((reader.line_num, f"malformed CSV ({exc})"))
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # blank line
            if len(cells) != width:
                reason = f"has {len(cells)} cells but the header has {width} columns"
                shape_problems.append((reader.line_num, reason))
            else:
                lines.append(reader.line_num)
                rows.append(cells)
            if len(lines) + len(shape_problems) >= chunk_rows:
                yield _csv_chunk(lines, rows, header, wanted, shape_problems)
                lines, rows, shape_problems = [], [], []
        if lines or shape_problems:
            yield _csv_chunk(lines, rows, header, wanted, shape_problems)


def _iter_parquet(
    path: Path, header: FileHeader, wanted: list[str], chunk_rows: int
) -> Iterator[Chunk]:
    row_number = 0
    raw_names = [header.raw_name(name) for name in wanted]
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=chunk_rows, columns=raw_names)
        for batch in batches:
            lines = list(range(row_number + 1, row_number + batch.num_rows + 1))
            row_number += batch.num_rows
            columns = {name: batch.column(raw) for name, raw in zip(wanted, raw_names, strict=True)}
            yield Chunk(lines, columns)
    except (pa.ArrowException, OSError) as exc:
        raise ExtractFileError(
            f"{path.name}: row {row_number + 1} onwards cannot be read ({exc})"
        ) from exc
