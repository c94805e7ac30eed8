"""The analytics scan over two lakes of the same transactions, e.g. one imported before the
sorted month layout (1-million-row groups) and one after it (2,048-row groups): eight
quarter aggregations per account, like the scoring ledger, on 2 DuckDB threads.

    .venv/bin/python benchmarks/bench_lake_scan.py LAKE_DIR [LAKE_DIR ...] [--as-of DATE]
        [--ledger DATABASE_URL] [--rewrite ROWS TARGET_DIR]

--ledger times the scoring run's own ledger (`analytics.ledger.build_ledger`, four
snapshots, the accounts read from the bank's database at DATABASE_URL) and the feature
table of the as-of date, instead of the simplified scan. --rewrite first copies the first
lake into TARGET_DIR with ROWS-row groups (same rows, order, compression and dictionaries)
and adds the copy to the lakes compared.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from bankcrm.lake.staging import DICTIONARY_COLUMNS

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


def ledger_seconds(lake: Path, database_url: str, as_of: str) -> tuple[float, float, float]:
    """(ledger wall, ledger CPU, as-of feature table wall) of the scoring run's own code."""
    from bankcrm import cli
    from bankcrm.analytics import pipeline
    from bankcrm.config import Settings

    settings = Settings(database_url=database_url, lake_dir=lake)
    engine = pipeline._open_engine(settings, cli._runtime(settings).sessions)
    day = date.fromisoformat(as_of)
    wall, cpu = time.perf_counter(), time.process_time()
    ledger = engine.read_lake(day, pipeline.LEDGER_SNAPSHOTS)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    started = time.perf_counter()
    engine.features(day)
    features = time.perf_counter() - started
    ledger.release()
    return wall, cpu, features


def rewrite(source: Path, target: Path, rows: int) -> None:
    for path in sorted((source / "transactions").glob("month=*/*.parquet")):
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        file = pq.ParquetFile(path)
        pq.write_table(
            file.read(),
            out,
            compression="zstd",
            row_group_size=rows,
            use_dictionary=DICTIONARY_COLUMNS,
            sorting_columns=file.metadata.row_group(0).sorting_columns,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("lakes", nargs="+", type=Path)
    parser.add_argument("--as-of", default="2026-09-30")
    parser.add_argument("--ledger", metavar="DATABASE_URL", help="time the real ledger")
    parser.add_argument("--rewrite", nargs=2, metavar=("ROWS", "TARGET_DIR"))
    args = parser.parse_args()
    lakes = list(args.lakes)
    if args.rewrite:
        target = Path(args.rewrite[1])
        rewrite(lakes[0], target, int(args.rewrite[0]))
        lakes.append(target)
    for lake in lakes:
        files = sorted((lake / "transactions").glob("month=*/*.parquet"))
        groups = sum(pq.read_metadata(f).num_row_groups for f in files)
        rows = sum(pq.read_metadata(f).num_rows for f in files)
        if args.ledger:
            wall, cpu, features = ledger_seconds(lake, args.ledger, args.as_of)
            print(
                f"{lake}: {rows:,} rows in {groups:,} row groups: ledger {wall:.1f} s wall, "
                f"{cpu:.1f} s CPU; as-of features {features:.1f} s",
                flush=True,
            )
            continue
        wall, cpu = scan_seconds(lake, args.as_of)
        print(f"{lake}: {rows:,} rows in {groups:,} row groups: {wall:.1f} s wall, {cpu:.1f} s CPU")


if __name__ == "__main__":
    main()
