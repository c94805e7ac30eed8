"""Each account's latest transactions, kept in one Parquet file beside the month files.

The customer page shows a customer's newest transactions. Looking them up in the month
files costs one read per month until enough rows are found (about six files a customer);
this store answers with one read. Every import that brings transactions rebuilds it from
the store as it was and the batch's staged month files (or, the first time, from every
published month file), keeping the newest `KEPT_PER_ACCOUNT` transactions of each account.
The file is staged with the batch and published with it by one rename, so a reader sees
the store that matches the month files beside it, and a died import leaves the old one.

The file is sorted by account like the month files, in small row groups, the order in its
footer, so `recent` reads it the same way. How many transactions it keeps per account is
in its footer too: a reader that wants more falls back to the month files.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from bankcrm.lake import staging
from bankcrm.lake.store import TRANSACTION_SCHEMA, LakeStore, fsync

KEPT_PER_ACCOUNT = 25  # at least settings.recent_transactions (20) for the page to use it
KEPT_KEY = b"bankcrm.kept_per_account"
COLUMNS = [
    "transaction_id",
    "account_no",
    "booked_on",
    "direction",
    "amount",
    "balance_after",
    "channel",
    "category",
]
SCHEMA = pa.schema([TRANSACTION_SCHEMA.field(name) for name in COLUMNS])
BATCH_ROWS = 65_536


def kept_per_account(path: Path) -> int | None:
    """How many transactions per account the store at `path` keeps; None: no usable store."""
    try:
        metadata = pq.read_metadata(path).metadata or {}
    except (FileNotFoundError, OSError, pa.ArrowInvalid):
        return None
    kept = metadata.get(KEPT_KEY)
    return int(kept) if kept is not None and kept.isdigit() else None


def build(
    store: LakeStore,
    staged: Sequence[Path],
    target: Path,
    kept: int = KEPT_PER_ACCOUNT,
    rebuild: bool = False,
) -> int:
    """Write the store that holds after the batch whose month files are `staged` to `target`
    (inside the batch's staging folder); returns its rows.

    Its sources are the published store when it keeps as many rows per account as asked,
    otherwise (or when asked to `rebuild`) every published month file (a lake from before
    the store, or one that kept fewer), and the staged files either way."""
    current = store.latest_file
    reuse = not rebuild and kept_per_account(current) == kept
    sources = [current] if reuse else store.published_files()
    sources = [*sources, *staged]
    temp = target.with_suffix(".tmp")
    temp.parent.mkdir(parents=True, exist_ok=True)
    if sources:
        rows = _select_and_write(sources, temp, kept)
    else:  # an empty lake: an empty store
        rows = _write(pa.RecordBatchReader.from_batches(SCHEMA, []), temp, kept)
    fsync(temp)
    temp.replace(target)
    return rows


def _select_and_write(sources: Sequence[Path], temp: Path, kept: int) -> int:
    """DuckDB picks each account's newest `kept` rows and sorts them by account."""
    spill = temp.parent / "_spill"  # DuckDB's sort spills here, inside the batch's staging
    con = duckdb.connect(config={"memory_limit": "2GB", "temp_directory": str(spill)})
    try:
        reader = con.execute(
            f"select {', '.join(COLUMNS)} from read_parquet(?, union_by_name := true) "
            "qualify row_number() over "
            "(partition by account_no order by booked_on desc, transaction_id desc) <= ? "
            "order by account_no, booked_on, transaction_id",
            [[str(p) for p in sources], kept],
        ).to_arrow_reader(BATCH_ROWS)
        return _write(reader, temp, kept)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _write(reader: pa.RecordBatchReader, target: Path, kept: int) -> int:
    schema = SCHEMA.with_metadata({KEPT_KEY: str(kept).encode()})
    rows = 0
    with pq.ParquetWriter(
        target,
        schema,
        compression="zstd",
        use_dictionary=[c for c in staging.DICTIONARY_COLUMNS if c in COLUMNS],
        sorting_columns=pq.SortingColumn.from_ordering(SCHEMA, staging.SORT_KEY),
    ) as writer:
        for batch in reader:
            writer.write_table(
                pa.Table.from_batches([batch]).cast(schema), row_group_size=staging.ROW_GROUP_ROWS
            )
            rows += batch.num_rows
    return rows
