"""Month files are staged sorted by account in small row groups, and a customer's recent
transactions read the same from sorted files as from the unsorted files of older lakes."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bankcrm.lake import staging
from bankcrm.lake.recent import _next_run, recent_transactions
from bankcrm.lake.staging import MonthlyStager
from bankcrm.lake.store import TRANSACTION_SCHEMA, LakeStore

ACCOUNTS = [f"{c:09d}-{a:02d}" for c in range(1, 31) for a in range(1, 4)]


def _rows(count: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    start = date(2026, 1, 1)
    return [
        {
            "transaction_id": i,
            "account_no": rng.choice(ACCOUNTS),
            "booked_on": start + timedelta(days=rng.randrange(0, 181)),
            "direction": "debit",
            "amount": Decimal(f"{i}.00"),
            "balance_after": None,
            "channel": "card",
            "category": "groceries",
            "counterparty_bank": None,
            "counterparty_account": None,
        }
        for i in range(1, count + 1)
    ]


def _stage(root: Path, rows: list[dict[str, object]]) -> list[tuple[str, list[str]]]:
    """Stage and publish `rows` in two batches; the months newest first, as the manifest
    gives them."""
    store = LakeStore(root)
    months: dict[str, list[str]] = {}
    for batch, part in (("a" * 64, rows[::2]), ("b" * 64, rows[1::2])):
        stager = MonthlyStager(store, batch)
        stager.write(pa.Table.from_pylist(part, schema=TRANSACTION_SCHEMA))
        for staged in stager.finish():
            months.setdefault(staged.month, []).append(staged.path)
        store.publish(batch)
    return [(month, sorted(paths)) for month, paths in sorted(months.items(), reverse=True)]


def _newest(rows: list[dict[str, object]], accounts: list[str], limit: int) -> list[object]:
    mine = [r for r in rows if r["account_no"] in accounts]
    mine.sort(key=lambda r: (r["booked_on"], r["transaction_id"]), reverse=True)
    return [r["amount"] for r in mine[:limit]]


def test_staged_months_are_sorted_by_account_in_small_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 50)
    months = _stage(tmp_path, _rows(3000, seed=1))
    assert len(months) == 6
    for _month, paths in months:
        for path in paths:
            parquet = pq.ParquetFile(tmp_path / path)
            table = parquet.read()
            key = [
                (r["account_no"], r["booked_on"], r["transaction_id"]) for r in table.to_pylist()
            ]
            assert key == sorted(key)
            assert parquet.metadata.num_row_groups == -(-table.num_rows // 50)
            assert parquet.schema_arrow == TRANSACTION_SCHEMA
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("*.sorted"))


@pytest.mark.parametrize("limit", [1, 5, 20, 1000])
def test_recent_transactions_newest_first_on_sorted_and_unsorted_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 50)
    rows = _rows(3000, seed=2)
    months = _stage(tmp_path / "sorted", rows)
    unsorted = tmp_path / "unsorted"
    for _month, paths in months:  # the same files as an older lake wrote them
        for path in paths:
            (unsorted / path).parent.mkdir(parents=True, exist_ok=True)
            table = pq.read_table(tmp_path / "sorted" / path)
            shuffled = table.take(pa.array(random.Random(3).sample(range(len(table)), len(table))))
            pq.write_table(shuffled, unsorted / path)
    mixed = tmp_path / "mixed"  # an older lake that newer, sorted batches were added to
    for number, (_month, paths) in enumerate(months):
        for path in paths:
            (mixed / path).parent.mkdir(parents=True, exist_ok=True)
            source = tmp_path / ("sorted" if number % 2 else "unsorted") / path
            (mixed / path).write_bytes(source.read_bytes())
    for accounts in (ACCOUNTS[:3], ACCOUNTS[40:41], [ACCOUNTS[7], ACCOUNTS[70]], ["nobody"]):
        expected = _newest(rows, accounts, limit)
        for root in (tmp_path / "sorted", unsorted, mixed):
            found = recent_transactions(root, months, accounts, limit)
            assert [r["amount"] for r in found] == expected
            assert all(r["account_no"] in accounts for r in found)


def test_recent_transactions_reads_as_many_months_as_the_rate_says(tmp_path: Path) -> None:
    assert _next_run(0, 0, 20) == 1  # the newest month alone
    assert _next_run(1, 5, 20) == 4  # 5 a month: 3 more months, and a quarter
    assert _next_run(1, 0, 20) == 25  # nothing yet: the rest
    assert _next_run(4, 19, 20) == 1
    months = [(f"2026-{m:02d}", [f"m{m}.parquet"]) for m in range(12, 0, -1)]
    assert recent_transactions(tmp_path, months, ["x"], 20) == []  # no such files
    assert recent_transactions(tmp_path, months, [], 20) == []
