"""A customer's most recent transactions, read from the lake for the customer page.

The newest month is read first and older months only while fewer than `limit` rows were
found, so a page costs one or two month files, not the whole history.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

_local = threading.local()

COLUMNS = "account_no, booked_on, direction, amount, balance_after, channel, category"


def _connection() -> Any:
    """One DuckDB connection per thread (a connection is not shared across threads)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"threads": 1})
        _local.con = con
    return con


def recent_transactions(
    root: Path,
    months: Sequence[tuple[str, list[str]]],
    account_nos: Sequence[str],
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit` transactions of `account_nos`, newest first, from the month files."""
    if not account_nos or limit <= 0:
        return []
    found: list[dict[str, Any]] = []
    con = _connection()
    for _month, paths in months:
        files = [str(root / p) for p in paths if (root / p).is_file()]
        if not files:
            continue
        cursor = con.execute(
            f"select {COLUMNS} from read_parquet(?) where account_no in "
            f"(select unnest(?)) order by booked_on desc, transaction_id desc limit ?",
            [files, list(account_nos), limit - len(found)],
        )
        names = [d[0] for d in cursor.description]
        found.extend(dict(zip(names, row, strict=True)) for row in cursor.fetchall())
        if len(found) >= limit:
            break
    return found
