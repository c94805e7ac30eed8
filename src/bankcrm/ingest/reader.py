"""Read one extract file (CSV or Parquet) as raw rows, after checking it can be read at all.

A file that cannot be read (missing, empty, not CSV/Parquet, header without a required
column) raises ExtractFileError before anything is written. Rows that are merely bad come
back with their line number so the validator can quarantine them.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bankcrm.ingest.parse import bad_encoding
from bankcrm.ingest.spec import Entity
from bankcrm.kit.errors import UserError

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class ExtractFileError(UserError):
    """A whole file is unusable; the import stops and writes nothing."""


@dataclass
class RawRow:
    line: int  # CSV: physical line where the record ends; Parquet: 1-based row number
    cells: dict[str, Any]
    problem: str | None = None  # set when the row could not be split into cells


@dataclass
class FileHeader:
    columns: list[str]
    unknown: list[str] = field(default_factory=list)


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
    return FileHeader(columns=cleaned, unknown=unknown)


def read_header(path: Path, entity: Entity) -> FileHeader:
    """Check the file opens and its header has every required column."""
    if path.stat().st_size == 0:
        raise ExtractFileError(f"{path.name}: the file is empty (not even a header row)")
    if path.suffix == ".parquet":
        try:
            names = pq.ParquetFile(path).schema_arrow.names
        except (pa.ArrowException, OSError) as exc:
            raise ExtractFileError(f"{path.name}: not a readable Parquet file ({exc})") from exc
        return _check_header(path, entity, list(names))
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


def iter_rows(path: Path, entity: Entity, chunk_rows: int = 50_000) -> Iterator[list[RawRow]]:
    """Yield raw rows in chunks, keyed by the spec's column names."""
    header = read_header(path, entity)
    if path.suffix == ".parquet":
        yield from _iter_parquet(path, header, chunk_rows)
    else:
        yield from _iter_csv(path, header, chunk_rows)


def _iter_csv(path: Path, header: FileHeader, chunk_rows: int) -> Iterator[list[RawRow]]:
    names = header.columns
    width = len(names)
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        next(reader)
        chunk: list[RawRow] = []
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                chunk.append(RawRow(reader.line_num, {}, f"malformed CSV ({exc})"))
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # blank line
            if len(cells) != width:
                problem = f"has {len(cells)} cells but the header has {width} columns"
                chunk.append(RawRow(reader.line_num, {}, problem))
            else:
                chunk.append(RawRow(reader.line_num, dict(zip(names, cells, strict=True))))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _iter_parquet(path: Path, header: FileHeader, chunk_rows: int) -> Iterator[list[RawRow]]:
    row_number = 0
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        chunk: list[RawRow] = []
        for record in batch.to_pylist():
            row_number += 1
            chunk.append(RawRow(row_number, record))
        yield chunk
