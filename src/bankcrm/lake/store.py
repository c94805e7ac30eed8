"""The Parquet lake: transactions partitioned by month, published atomically per batch.

A batch first writes its files under `_staging/<batch>/` (hidden from Hive-style readers
such as Spark and DuckDB, which skip paths starting with '_'), each file written to a
temporary name and renamed. Only after the database has committed the batch are the
staged files renamed into `transactions/month=YYYY-MM/`. If the process dies in between,
`recover` finishes the publication (the batch is committed) or discards the staging
(it is not), so readers see the lake as before the batch or as after it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa

from bankcrm.kit.faults import checkpoint

TRANSACTIONS = "transactions"
STAGING = "_staging"
LATEST = "recent/latest.parquet"  # each account's newest transactions, see `latest`

TRANSACTION_SCHEMA = pa.schema(
    [
        pa.field("transaction_id", pa.int64(), nullable=False),
        pa.field("account_no", pa.string(), nullable=False),
        pa.field("booked_on", pa.date32(), nullable=False),
        pa.field("direction", pa.string(), nullable=False),
        pa.field("amount", pa.decimal128(18, 2), nullable=False),
        pa.field("balance_after", pa.decimal128(18, 2)),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("counterparty_bank", pa.string()),
        pa.field("counterparty_account", pa.string()),
    ]
)


class LakeStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def transactions_dir(self) -> Path:
        return self.root / TRANSACTIONS

    @property
    def latest_file(self) -> Path:
        return self.root / LATEST

    def staged_latest_file(self, batch_key: str) -> Path:
        return self.staging_dir(batch_key) / LATEST

    def staging_dir(self, batch_key: str) -> Path:
        return self.root / STAGING / batch_key

    def partition(self, month: str) -> str:
        return f"{TRANSACTIONS}/month={month}"

    def file_name(self, batch_key: str) -> str:
        return f"part-{batch_key[:20]}.parquet"

    def relative_path(self, month: str, batch_key: str) -> str:
        return f"{self.partition(month)}/{self.file_name(batch_key)}"

    def staged_batches(self) -> list[str]:
        staging = self.root / STAGING
        if not staging.is_dir():
            return []
        return sorted(p.name for p in staging.iterdir() if p.is_dir())

    def publish(self, batch_key: str) -> int:
        """Rename every staged file of the batch into place; safe to repeat after a crash."""
        staged = self.staging_dir(batch_key)
        moved = 0
        for source in sorted(staged.rglob("*.parquet")):
            relative = source.relative_to(staged)
            target = self.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            moved += 1
            checkpoint("publishing")
        if self.transactions_dir.is_dir():
            fsync(self.transactions_dir)
        shutil.rmtree(staged, ignore_errors=True)
        return moved

    def discard(self, batch_key: str) -> None:
        shutil.rmtree(self.staging_dir(batch_key), ignore_errors=True)

    def published_files(self) -> list[Path]:
        if not self.transactions_dir.is_dir():
            return []
        return sorted(self.transactions_dir.glob("month=*/*.parquet"))


def fsync(path: Path) -> None:
    """Make a file's content, or a folder's entries, durable before going on."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
