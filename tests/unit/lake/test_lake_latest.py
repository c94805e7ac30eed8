"""The store of each account's latest transactions: built at each import from the store as
it was and the batch, the same as built from every month file, and read by the customer
page instead of the month files when it keeps enough rows."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bankcrm.lake import latest, staging
from bankcrm.lake.recent import COLUMNS, latest_transactions
from bankcrm.lake.staging import MonthlyStager
from bankcrm.lake.store import TRANSACTION_SCHEMA, LakeStore

ACCOUNTS = [f"{c:09d}-{a:02d}" for c in range(1, 31) for a in range(1, 4)]
KEPT = 5


def _rows(count: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {
            "transaction_id": i,
            "account_no": rng.choice(ACCOUNTS),
            "booked_on": date(2026, 1, 1) + timedelta(days=rng.randrange(0, 181)),
            "direction": "credit",
            "amount": Decimal(f"{i}.00"),
            "balance_after": Decimal("1.00"),
            "channel": "transfer",
            "category": "salary",
            "counterparty_bank": None,
            "counterparty_account": None,
        }
        for i in range(1, count + 1)
    ]


def _import(store: LakeStore, batch: str, rows: list[dict[str, object]]) -> None:
    """What an import does with a batch's transactions: stage the months, build the store
    beside them, publish both."""
    stager = MonthlyStager(store, batch)
    stager.write(pa.Table.from_pylist(rows, schema=TRANSACTION_SCHEMA))
    staged = [store.staging_dir(batch) / f.path for f in stager.finish()]
    latest.build(store, staged, store.staged_latest_file(batch), kept=KEPT)
    store.publish(batch)


def _newest(rows: list[dict[str, object]], accounts: list[str], limit: int) -> list[object]:
    mine = sorted(
        (r for r in rows if r["account_no"] in accounts),
        key=lambda r: (r["booked_on"], r["transaction_id"]),
        reverse=True,
    )
    return [r["transaction_id"] for r in mine[:limit]]


@pytest.fixture(autouse=True)
def small_row_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 40)


def test_each_import_keeps_every_accounts_newest_rows(tmp_path: Path) -> None:
    store = LakeStore(tmp_path)
    rows = _rows(3000, seed=4)
    for number, batch in enumerate(("a" * 64, "b" * 64, "c" * 64)):
        _import(store, batch, rows[number::3])
    table = pq.read_table(store.latest_file)
    found: dict[str, list[int]] = {}
    for r in table.to_pylist():
        found.setdefault(r["account_no"], []).append(r["transaction_id"])
    assert found.keys() == set(ACCOUNTS)
    for account, ids in found.items():
        assert sorted(ids) == sorted(_newest(rows, [account], KEPT))
    key = [(r["account_no"], r["booked_on"], r["transaction_id"]) for r in table.to_pylist()]
    assert key == sorted(key)
    parquet = pq.ParquetFile(store.latest_file)
    assert parquet.metadata.num_row_groups == -(-table.num_rows // 40)
    assert parquet.metadata.row_group(0).sorting_columns[0].column_index == 1
    assert latest.kept_per_account(store.latest_file) == KEPT
    assert not list(tmp_path.rglob("*.tmp")) and not any((tmp_path / "_staging").iterdir())

    rebuilt = tmp_path / "rebuilt.parquet"  # from every month file: the same store
    latest.build(store, [], rebuilt, kept=KEPT, rebuild=True)
    assert pq.read_table(rebuilt).equals(table)


@pytest.mark.parametrize("limit", [1, 3, KEPT])
def test_the_page_reads_the_store_like_the_month_files(tmp_path: Path, limit: int) -> None:
    store = LakeStore(tmp_path)
    rows = _rows(2000, seed=5)
    _import(store, "a" * 64, rows[::2])
    _import(store, "b" * 64, rows[1::2])
    for accounts in (ACCOUNTS[:3], ACCOUNTS[40:41], [ACCOUNTS[7], ACCOUNTS[70]], ["nobody"]):
        found = latest_transactions(tmp_path, accounts, limit)
        assert found is not None
        assert [r["amount"] for r in found] == [
            Decimal(f"{i}.00") for i in _newest(rows, accounts, limit)
        ]
        assert all(set(r) == set(COLUMNS) and r["account_no"] in accounts for r in found)


def test_no_store_or_one_that_keeps_too_few_sends_the_page_to_the_months(tmp_path: Path) -> None:
    store = LakeStore(tmp_path)
    assert latest_transactions(tmp_path, ACCOUNTS[:1], 3) is None  # no store yet
    _import(store, "a" * 64, _rows(500, seed=6))
    assert latest_transactions(tmp_path, ACCOUNTS[:1], KEPT + 1) is None
    assert latest_transactions(tmp_path, [], KEPT) == []


def test_an_empty_lake_has_an_empty_store(tmp_path: Path) -> None:
    store = LakeStore(tmp_path)
    target = tmp_path / "latest.parquet"
    assert latest.build(store, [], target, kept=KEPT) == 0
    assert pq.read_table(target).num_rows == 0
    assert latest.kept_per_account(target) == KEPT
    assert latest.kept_per_account(tmp_path / "missing.parquet") is None
