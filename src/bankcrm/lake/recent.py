"""A customer's most recent transactions, read from the lake for the customer page.

Month files are written sorted by account in small row groups, and say so in their
footer (`sorting_columns`, see `staging`). For such a file the row groups that can hold
the customer's accounts are found by bisecting the row groups' min/max statistics of
`account_no`, kept per process and per file (checked against the file's size and
modification time), and only those row groups are decoded: a lookup costs a few thousand
rows per month file instead of the whole file. Files written before sorting (older lakes)
are still read, by DuckDB scanning them with the same filter: the same answer, slower.

The newest month is read first, then as many older months as the rows found so far say
are needed, so a customer page costs a few row groups, not one read per month.

A lake with the store of each account's latest transactions (`latest`) answers from that
one file instead (`latest_transactions`); the month files are the fallback for a lake
without it or a page that wants more rows than it keeps.
"""

from __future__ import annotations

import bisect
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from bankcrm.lake import repository
from bankcrm.lake.latest import KEPT_KEY
from bankcrm.lake.store import LakeStore

COLUMNS = ["account_no", "booked_on", "direction", "amount", "balance_after", "channel", "category"]
ORDER = [("booked_on", "descending"), ("transaction_id", "descending")]
SORTED_BY = "account_no"

_local = threading.local()
_lock = threading.Lock()


@dataclass(frozen=True)
class _Index:
    """What a sorted file's footer says about where each account can be."""

    stamp: tuple[int, int]  # (size, modification time) the index was read at
    metadata: pq.FileMetaData | None  # None: the file is not sorted by account
    lows: list[str]
    highs: list[str]


_indexes: dict[str, _Index] = {}


def _index(path: str, stamp: tuple[int, int]) -> _Index:
    index = _indexes.get(path)
    if index is not None and index.stamp == stamp:
        return index
    metadata = pq.read_metadata(path)
    column = metadata.schema.names.index(SORTED_BY)
    lows: list[str] = []
    highs: list[str] = []
    usable = metadata.num_row_groups > 0
    for i in range(metadata.num_row_groups):
        group = metadata.row_group(i)
        ordering = group.sorting_columns
        stats = group.column(column).statistics
        if not ordering or ordering[0].column_index != column or ordering[0].descending:
            usable = False
            break
        if stats is None or not stats.has_min_max:
            usable = False
            break
        lows.append(stats.min)
        highs.append(stats.max)
    if usable and any(highs[i] > lows[i + 1] for i in range(len(lows) - 1)):
        usable = False  # groups out of order: not one sorted run
    index = _Index(stamp, metadata if usable else None, lows, highs)
    with _lock:
        _indexes[path] = index
    return index


Months = list[tuple[str, list[str]]]
_months: dict[tuple[str, int], tuple[tuple[int, ...], Months]] = {}


def _folder_stamps(root: Path, months: int) -> tuple[int, ...] | None:
    """Modification times of the lake's transactions folder and of its newest `months`
    month folders: publishing a batch, or rewriting a file, renames files into them, which
    changes their times. None when the lake is changing under our feet."""
    top = LakeStore(root).transactions_dir
    try:
        names = sorted(e.name for e in os.scandir(top) if e.name.startswith("month="))
        return (top.stat().st_mtime_ns, *((top / n).stat().st_mtime_ns for n in names[-months:]))
    except FileNotFoundError:
        return None


def newest_months(session: Session, root: Path, months: int) -> Months:
    """The manifest's newest `months` months of transactions with their files, read from
    the database once per process and again only when the lake's folders changed. Files
    are published only after the database has committed their rows, and the folders are
    looked at before the database is asked, so a later publication is always seen."""
    key = (str(root), months)
    stamps = _folder_stamps(root, months)
    cached = _months.get(key)
    if stamps is not None and cached is not None and cached[0] == stamps:
        return cached[1]
    found = repository.files_by_month(session, "transactions", months)
    if stamps is not None:
        with _lock:
            _months[key] = (stamps, found)
    return found


def _connection() -> Any:
    """One DuckDB connection per thread (a connection is not shared across threads)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"threads": 1})
        _local.con = con
    return con


def _scan(files: list[str], accounts: list[str], limit: int) -> pa.Table:
    """Unsorted files: DuckDB scans them with the filter."""
    marks = ", ".join("?" for _ in accounts)
    return (
        _connection()
        .execute(
            f"select transaction_id, {', '.join(COLUMNS)} from read_parquet(?) "
            f"where account_no in ({marks}) order by booked_on desc, transaction_id desc limit ?",
            [files, *accounts, limit],
        )
        .to_arrow_table()
    )


def _read(path: str, index: _Index, accounts: list[str], wanted: pa.Array) -> pa.Table | None:
    """The rows of `accounts` in the row groups of a sorted file that can hold them."""
    assert index.metadata is not None
    groups = sorted(
        {
            group
            for account in accounts  # a customer's accounts need not sort next to each other
            for group in range(
                bisect.bisect_left(index.highs, account), bisect.bisect_right(index.lows, account)
            )
        }
    )
    if not groups:
        return None
    table = pq.ParquetFile(path, metadata=index.metadata).read_row_groups(
        groups, columns=["transaction_id", *COLUMNS], use_threads=False
    )
    return table.filter(pc.is_in(table.column("account_no"), value_set=wanted))


def _next_run(months_read: int, rows: int, limit: int) -> int:
    """How many more months to read: the newest alone first, then as many as the rate
    seen so far says are needed for the rest, and a quarter more."""
    if months_read == 0:
        return 1
    return max(1, math.ceil((limit - rows) * months_read / max(rows, 1) * 1.25))


def latest_transactions(
    root: Path, account_nos: Sequence[str], limit: int
) -> list[dict[str, Any]] | None:
    """Up to `limit` transactions of `account_nos`, newest first, from the lake's store of
    each account's latest transactions; None when there is no store that keeps enough."""
    path = str(LakeStore(root).latest_file)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    index = _index(path, (info.st_size, info.st_mtime_ns))
    if index.metadata is None:
        return None
    kept = (index.metadata.metadata or {}).get(KEPT_KEY, b"0")
    if not kept.isdigit() or int(kept) < limit:
        return None
    accounts = sorted(set(account_nos))
    if not accounts or limit <= 0:
        return []
    part = _read(path, index, accounts, pa.array(accounts, pa.string()))
    return [] if part is None else _newest(part, limit)


def _newest(table: pa.Table, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.sort_by(ORDER).slice(0, limit).select(COLUMNS).to_pylist()
    return rows


def recent_transactions(
    root: Path,
    months: Sequence[tuple[str, list[str]]],
    account_nos: Sequence[str],
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit` transactions of `account_nos`, newest first, from the month files."""
    accounts = sorted(set(account_nos))
    if not accounts or limit <= 0:
        return []
    wanted = pa.array(accounts, pa.string())
    found: list[pa.Table] = []
    rows = 0
    done = 0
    while done < len(months) and rows < limit:
        size = _next_run(done, rows, limit)
        run = [p for _month, paths in months[done : done + size] for p in paths]
        done += size
        unsorted: list[str] = []
        for relative in run:
            path = str(root / relative)
            try:
                info = os.stat(path)
            except FileNotFoundError:
                continue
            index = _index(path, (info.st_size, info.st_mtime_ns))
            if index.metadata is None:
                unsorted.append(path)
            else:
                part = _read(path, index, accounts, wanted)
                if part is not None and part.num_rows:
                    found.append(part)
                    rows += part.num_rows
        if unsorted:
            part = _scan(unsorted, accounts, limit)
            found.append(part)
            rows += part.num_rows
    if not found:
        return []
    return _newest(pa.concat_tables(found, promote_options="permissive"), limit)
