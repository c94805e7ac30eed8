"""The analytics scan over two lakes of the same transactions, e.g. one imported before the
sorted month layout (1-million-row groups) and one after it (2,048-row groups): eight
quarter aggregations per account, like the scoring ledger, on 2 DuckDB threads.

    .venv/bin/python benchmarks/bench_lake_scan.py LAKE_DIR [LAKE_DIR ...] [--as-of DATE]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

QUARTERS = 8


def scan_seconds(lake: Path, as_of: str) -> tuple[float, float]:
    files = str(lake / "transactions" / "month=*" / "*.parquet")
    con = duckdb.connect(config={"threads": 2})
    wall, cpu = time.perf_counter(), time.process_time()
    for q in range(QUARTERS):
        con.execute(
            "select account_no, count(*), sum(amount), max(balance_after) "
            "from read_parquet(?, hive_partitioning = true) "
            "where booked_on > ?::date - ?::integer and booked_on <= ?::date - ?::integer "
            "group by account_no",
            [files, as_of, 91 * (q + 1), as_of, 91 * q],
        ).fetchall()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("lakes", nargs="+", type=Path)
    parser.add_argument("--as-of", default="2026-09-30")
    args = parser.parse_args()
    for lake in args.lakes:
        files = sorted((lake / "transactions").glob("month=*/*.parquet"))
        groups = sum(pq.read_metadata(f).num_row_groups for f in files)
        rows = sum(pq.read_metadata(f).num_rows for f in files)
        wall, cpu = scan_seconds(lake, args.as_of)
        print(f"{lake}: {rows:,} rows in {groups:,} row groups: {wall:.1f} s wall, {cpu:.1f} s CPU")


if __name__ == "__main__":
    main()
