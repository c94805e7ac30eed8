"""Writing a batch's transactions into per-month Parquet files under its staging folder.

Rows are appended to one unsorted temporary file per month while the batch is read; when
the batch finishes, each month is rewritten sorted by (account_no, booked_on,
transaction_id) in small row groups, so that a reader looking for one customer's accounts
skips every row group whose min/max statistics exclude them (the customer page's recent
transactions, `recent`). Files are written under a temporary name, fsynced and renamed
inside the staging folder; publishing them into the lake is the store's job, after the
database has committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bankcrm.lake.store import TRANSACTION_SCHEMA, LakeStore, fsync

SORT_KEY = [
    ("account_no", "ascending"),
    ("booked_on", "ascending"),
    ("transaction_id", "ascending"),
]
ROW_GROUP_ROWS = 2_048  # small enough to prune to one account's rows, see docs/benchmarks.md
# Dictionaries only where values repeat: for account numbers (sorted, a run each) they made
# sorted files larger and slower to decode.
DICTIONARY_COLUMNS = ["direction", "channel", "category", "counterparty_bank"]


def write_sorted(table: pa.Table, target: Path) -> None:
    """Write transactions as the lake keeps them: sorted by account, in small row groups,
    the order recorded in the footer (`sorting_columns`) for readers to rely on."""
    pq.write_table(
        table.sort_by(SORT_KEY),
        target,
        compression="zstd",
        row_group_size=ROW_GROUP_ROWS,
        use_dictionary=DICTIONARY_COLUMNS,
        sorting_columns=pq.SortingColumn.from_ordering(TRANSACTION_SCHEMA, SORT_KEY),
    )


@dataclass
class StagedFile:
    month: str
    path: str  # relative to the lake root, as it will be once published
    rows: int
    min_id: int
    max_id: int
    first_day: date
    last_day: date


@dataclass
class _MonthStats:
    rows: int = 0
    min_id: int = 2**63 - 1
    max_id: int = -(2**63)
    first_day: date = date.max
    last_day: date = date.min


class MonthlyStager:
    """Appends tables to one open Parquet writer per month of booking."""

    def __init__(self, store: LakeStore, batch_key: str) -> None:
        self.store = store
        self.batch_key = batch_key
        self.staging = store.staging_dir(batch_key)
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.stats: dict[str, _MonthStats] = {}

    def _temp(self, month: str) -> Path:
        return self.staging / (self.store.relative_path(month, self.batch_key) + ".tmp")

    def _sort(self, month: str) -> Path:
        """Rewrite a month's unsorted file sorted by account, in small row groups."""
        unsorted = self._temp(month)
        target = unsorted.with_suffix(".sorted")
        write_sorted(pq.read_table(unsorted, schema=TRANSACTION_SCHEMA), target)
        unsorted.unlink()
        return target

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        days = table.column("booked_on")
        codes = pc.add(pc.multiply(pc.year(days), 100), pc.month(days)).to_numpy()
        order = np.argsort(codes, kind="stable")  # one sort, then a slice per month
        table, codes = table.take(pa.array(order)), codes[order]
        starts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1, len(codes)]
        for start, end in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
            code = int(codes[start])
            self._append(f"{code // 100:04d}-{code % 100:02d}", table.slice(start, end - start))

    def _append(self, month: str, part: pa.Table) -> None:
        writer = self.writers.get(month)
        if writer is None:
            target = self._temp(month)
            target.parent.mkdir(parents=True, exist_ok=True)
            # unsorted and read back once at the end: not worth compressing
            writer = pq.ParquetWriter(target, TRANSACTION_SCHEMA, compression="none")
            self.writers[month] = writer
            self.stats[month] = _MonthStats()
        writer.write_table(part, row_group_size=1_000_000)
        ids, days = part.column("transaction_id"), part.column("booked_on")
        m = self.stats[month]
        m.rows += part.num_rows
        m.min_id = min(m.min_id, int(pc.min(ids).as_py()))
        m.max_id = max(m.max_id, int(pc.max(ids).as_py()))
        m.first_day = min(m.first_day, pc.min(days).as_py())
        m.last_day = max(m.last_day, pc.max(days).as_py())

    def _close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers = {}

    def finish(self) -> list[StagedFile]:
        """Close, make durable and name the files; what the manifest will record."""
        self._close()
        staged = []
        for month, m in sorted(self.stats.items()):
            relative = self.store.relative_path(month, self.batch_key)
            temp = self._sort(month)
            fsync(temp)  # on disk before it can be published, not only in the page cache
            temp.replace(self.staging / relative)
            staged.append(
                StagedFile(month, relative, m.rows, m.min_id, m.max_id, m.first_day, m.last_day)
            )
        return staged

    def abort(self) -> None:
        self._close()
        self.stats = {}
        self.store.discard(self.batch_key)
