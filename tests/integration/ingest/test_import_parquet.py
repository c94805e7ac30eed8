"""Parquet extracts: typed columns are used as they are, odd ones are refused or
quarantined cell by cell, never stored wrong."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.ingest.reader import ExtractFileError
from bankcrm.ingest.service import run_import
from bankcrm.lake.store import LakeStore
from bankcrm.products.models import Holding
from tests import factories as f


def _with_parquet_holdings(folder: Path, table: pa.Table) -> Path:
    (folder / "holdings.csv").unlink()
    pq.write_table(table, folder / "holdings.parquet")
    return folder


def _holdings(**columns: pa.Array) -> pa.Table:
    n = len(next(iter(columns.values())))
    base = {
        " account_no ": pa.array([f"A{i:06d}" for i in range(1, n + 1)]),  # spaces in names
        "customer_no": pa.array([f"C{i:06d}" for i in range(1, n + 1)]),
        "product_code": pa.array(["CUR"] * n),
        "opened_on": pa.array([date(2020, 1, 1)] * n),
        "currency": pa.array(["CZK"] * n),
        "balance": pa.array([Decimal("10.00")] * n, pa.decimal128(38, 2)),
        "status": pa.array(["active"] * n),
    }
    base.update(columns)
    return pa.table(base)


def test_typed_columns_load_and_bad_cells_are_quarantined(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    folder = f.small_bank(customers=4, transactions_per_account=0).write(tmp_path / "x")
    table = _holdings(
        balance=pa.array([1.005, math.nan, 1e20, 2.5]),
        opened_on=pa.array([date(2020, 1, 1), date(2020, 1, 1), date(2020, 1, 1), None]),
    )
    _with_parquet_holdings(folder, table)

    report = run_import(sessions, lake, folder)

    problems = sorted((p.file, p.line, p.column, p.reason) for p in report.problems)
    assert problems == [
        (
            "holdings.parquet",
            2,
            "balance",
            "not a number (use a dot for decimals, no thousands separator)",
        ),
        (
            "holdings.parquet",
            3,
            "balance",
            "not a number (use a dot for decimals, no thousands separator)",
        ),
        ("holdings.parquet", 4, "opened_on", "required but empty"),
    ]
    with sessions() as session:
        kept = session.scalars(select(Holding)).all()
        assert [(h.account_no, h.balance) for h in kept] == [("A000001", Decimal("1.01"))]


def test_integer_dates_are_not_taken_for_day_counts(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    folder = f.small_bank(customers=1, transactions_per_account=0).write(tmp_path / "x")
    _with_parquet_holdings(folder, _holdings(opened_on=pa.array([20200101], pa.int32())))

    report = run_import(sessions, lake, folder)

    assert [(p.column, p.reason) for p in report.problems] == [
        ("opened_on", "not a date in the form YYYY-MM-DD")
    ]


def test_nested_column_refuses_the_file(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    folder = f.small_bank(customers=1, transactions_per_account=0).write(tmp_path / "x")
    _with_parquet_holdings(folder, _holdings(currency=pa.array([["CZK"]])))

    with pytest.raises(ExtractFileError, match="column currency has type list"):
        run_import(sessions, lake, folder)
