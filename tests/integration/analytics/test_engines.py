"""The lake and Arrow tables read the same on every analytics engine (DuckDB and Spark).

Each test runs once per engine and checks against values computed here from the Arrow
data, so passing on both means both engines give identical results.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ibis.backends import BaseBackend

from bankcrm.config import Settings
from bankcrm.kit.errors import UserError
from bankcrm.lake import engines
from bankcrm.lake.engines import (
    TRANSACTIONS_IBIS_SCHEMA,
    connect_analytics,
    lake_uri,
    read_transactions,
    table_from_arrow,
    to_arrow,
)
from bankcrm.lake.store import TRANSACTION_SCHEMA, LakeStore

CHANNELS = ("atm", "card", "online", "branch")


def _transactions(first_id: int, n: int, month: str) -> pa.Table:
    year, mon = map(int, month.split("-"))
    ids = range(first_id, first_id + n)
    return pa.table(
        {
            "transaction_id": list(ids),
            "account_no": [f"ACC{i % 7:03d}" for i in ids],
            "booked_on": [date(year, mon, 1 + i % 28) for i in ids],
            "direction": ["credit" if i % 3 == 0 else "debit" for i in ids],
            "amount": [Decimal(i * 37 % 100_000) / 100 for i in ids],
            "balance_after": [None if i % 5 == 0 else Decimal(i * 91 - 5_000) / 100 for i in ids],
            "channel": [CHANNELS[i % 4] for i in ids],
            "category": ["fee" if i % 11 == 0 else "transfer" for i in ids],
            "counterparty_bank": [None if i % 2 else "0800" for i in ids],
            "counterparty_account": [None if i % 2 else f"CP{i}" for i in ids],
        },
        schema=TRANSACTION_SCHEMA,
    )


def _write_lake(root: Path) -> pa.Table:
    """Three published months and files that readers must skip; returns what is published."""
    store = LakeStore(root)
    published = []
    first = 1
    for month, n in (("2024-01", 40), ("2024-02", 25), ("2024-03", 60)):
        table = _transactions(first, n, month)
        half = n // 2  # two files in a month, as two import batches leave them
        for part, piece in enumerate((table.slice(0, half), table.slice(half))):
            path = root / store.relative_path(month, f"batch{month}{part}")
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(piece, path)
        published.append(table.append_column("month", pa.array([month] * n)))
        first += n
    # A batch still in staging, a temporary file and a hidden file: never read.
    staged = store.staging_dir("unpublished") / store.relative_path("2024-03", "unpublished")
    staged.parent.mkdir(parents=True)
    pq.write_table(_transactions(10_000, 5, "2024-03"), staged)
    month_dir = root / store.partition("2024-01")
    pq.write_table(_transactions(20_000, 5, "2024-01"), month_dir / "_part-tmp.parquet")
    pq.write_table(_transactions(30_000, 5, "2024-01"), month_dir / ".part-hidden.parquet")
    return pa.concat_tables(published)


def _expected_by_month(table: pa.Table) -> list[dict[str, object]]:
    rows = table.to_pylist()
    out = []
    for month in sorted({r["month"] for r in rows}):
        inside = [r for r in rows if r["month"] == month]
        balances = [r["balance_after"] for r in inside if r["balance_after"] is not None]
        out.append(
            {
                "month": month,
                "rows": len(inside),
                "accounts": len({r["account_no"] for r in inside}),
                "credit": sum(r["amount"] for r in inside if r["direction"] == "credit"),
                "debit": sum(r["amount"] for r in inside if r["direction"] == "debit"),
                "balance_sum": sum(balances),
                "balances": len(balances),
                "no_counterparty": sum(r["counterparty_bank"] is None for r in inside),
                "first_day": min(r["booked_on"] for r in inside),
                "last_day": max(r["booked_on"] for r in inside),
                "max_id": max(r["transaction_id"] for r in inside),
                "mean_amount": sum(float(r["amount"]) for r in inside) / len(inside),
            }
        )
    return out


def test_the_lake_reads_the_same_on_every_engine(
    analytics_backend: BaseBackend, tmp_path: Path
) -> None:
    published = _write_lake(tmp_path / "lake")
    tx = read_transactions(analytics_backend, tmp_path / "lake")

    assert tx.schema() == TRANSACTIONS_IBIS_SCHEMA
    credit = tx.direction == "credit"
    summary = (
        tx.group_by("month")
        .aggregate(
            rows=tx.count(),
            accounts=tx.account_no.nunique(),
            credit=tx.amount.sum(where=credit),
            debit=tx.amount.sum(where=~credit),
            balance_sum=tx.balance_after.sum(),
            balances=tx.balance_after.count(),
            no_counterparty=tx.count(where=tx.counterparty_bank.isnull()),
            first_day=tx.booked_on.min(),
            last_day=tx.booked_on.max(),
            max_id=tx.transaction_id.max(),
            mean_amount=tx.amount.cast("float64").mean(),
        )
        .order_by("month")
    )
    result = to_arrow(analytics_backend, summary)

    assert result.schema.field("credit").type == pa.decimal128(38, 2)
    assert result.schema.field("first_day").type == pa.date32()
    expected = _expected_by_month(published)
    got = result.to_pylist()
    for row in (*got, *expected):
        row["mean_amount"] = pytest.approx(row["mean_amount"], rel=1e-12)
    assert got == expected
    # Row for row, with every type as in the lake's schema.
    rows = to_arrow(analytics_backend, tx.order_by("transaction_id"))
    assert rows.schema == TRANSACTIONS_IBIS_SCHEMA.to_pyarrow()
    assert rows.to_pylist() == published.to_pylist()


def test_an_empty_lake_is_an_empty_table(analytics_backend: BaseBackend, tmp_path: Path) -> None:
    (tmp_path / "lake" / "transactions").mkdir(parents=True)
    tx = read_transactions(analytics_backend, tmp_path / "lake")

    assert tx.schema() == TRANSACTIONS_IBIS_SCHEMA
    assert to_arrow(analytics_backend, tx.count().as_table()).column(0).to_pylist() == [0]


ZONE = timezone(timedelta(hours=2))
ARROW = pa.table(
    {
        "customer_id": pa.array([1, 2, 3, 4, 2**53 + 1], pa.int64()),
        "day": pa.array([date(2024, 2, 29), None, date(1969, 12, 31), date(2040, 1, 1), None]),
        "at": pa.array(
            [datetime(2024, 3, 31, 23, 59, 59, 999_999), None, datetime(1970, 1, 1), None, None],
            pa.timestamp("us"),
        ),
        "at_zoned": pa.array(
            [datetime(2024, 3, 31, 1, 30, tzinfo=ZONE), None, None, None, None],
            pa.timestamp("us", tz="Europe/Prague"),
        ),
        "money": pa.array(
            [Decimal("0.01"), None, Decimal("-9999999999999999.99"), Decimal("12.50"), None],
            pa.decimal128(18, 2),
        ),
        "rate": [0.1, None, -1e300, 0.0, 2.5],
        "kind": pa.array(["retail", None, "corporate", "", "retail"]).dictionary_encode(),
        "name": pa.array(
            ["Dvořák", None, "Łukasz 'Q' \"x\"", "a\nb", "\U0001f3e6"], pa.large_string()
        ),
        "consent": [True, None, False, True, False],
    }
)
EXPECTED_ROWS = [
    {
        "customer_id": 1,
        "day": date(2024, 2, 29),
        "at": datetime(2024, 3, 31, 23, 59, 59, 999_999),
        "at_zoned": datetime(2024, 3, 30, 23, 30),  # the UTC wall time
        "money": Decimal("0.01"),
        "rate": 0.1,
        "kind": "retail",
        "name": "Dvořák",
        "consent": True,
    },
    dict.fromkeys(ARROW.column_names) | {"customer_id": 2, "rate": None},
    {
        "customer_id": 3,
        "day": date(1969, 12, 31),
        "at": datetime(1970, 1, 1),
        "at_zoned": None,
        "money": Decimal("-9999999999999999.99"),
        "rate": -1e300,
        "kind": "corporate",
        "name": "Łukasz 'Q' \"x\"",
        "consent": False,
    },
    {
        "customer_id": 4,
        "day": date(2040, 1, 1),
        "at": None,
        "at_zoned": None,
        "money": Decimal("12.50"),
        "rate": 0.0,
        "kind": "",
        "name": "a\nb",
        "consent": True,
    },
    {
        "customer_id": 2**53 + 1,
        "day": None,
        "at": None,
        "at_zoned": None,
        "money": None,
        "rate": 2.5,
        "kind": "retail",
        "name": "\U0001f3e6",
        "consent": False,
    },
]
EXPECTED_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("day", pa.date32()),
        ("at", pa.timestamp("us")),
        ("at_zoned", pa.timestamp("us")),
        ("money", pa.decimal128(18, 2)),
        ("rate", pa.float64()),
        ("kind", pa.string()),
        ("name", pa.string()),
        ("consent", pa.bool_()),
    ]
)


def test_an_arrow_table_round_trips_unchanged(analytics_backend: BaseBackend) -> None:
    table = table_from_arrow(analytics_backend, "round_trip", ARROW)

    assert table.schema().to_pyarrow() == EXPECTED_SCHEMA
    back = to_arrow(analytics_backend, table.order_by("customer_id"))
    assert back.schema == EXPECTED_SCHEMA
    assert back.to_pylist() == EXPECTED_ROWS
    # ibis's own path (through pandas on Spark) agrees.
    assert analytics_backend.to_pyarrow(table.order_by("customer_id")).equals(back)
    # Registering again under the same name replaces the table.
    again = table_from_arrow(analytics_backend, "round_trip", ARROW.slice(0, 2))
    assert to_arrow(analytics_backend, again.count().as_table()).column(0).to_pylist() == [2]


def test_expressions_over_arrow_tables_agree(analytics_backend: BaseBackend) -> None:
    t = table_from_arrow(analytics_backend, "typed", ARROW)
    as_of = date(2024, 3, 31)
    expr = (
        t.mutate(
            age_days=ibis.literal(as_of).epoch_days() - t.day.epoch_days(),
            money_f=t.money.cast("float64"),
            upper=t.name.upper(),
            day_of_at=t.at.date(),
            month=t.day.truncate("M"),
        )
        .group_by("kind")
        .aggregate(
            n=lambda s: s.count(),
            days=lambda s: s.age_days.sum(),
            money=lambda s: s.money.sum(),
            money_f=lambda s: s.money_f.sum(),
            rate_max=lambda s: s.rate.max(),
            # Not count(where=s.consent): ibis compiles it for Spark as SUM(CAST(... AS
            # BIGINT)), NULL where every condition is NULL (DuckDB counts 0).
            consenting=lambda s: s.count(where=s.consent.fill_null(False)),
            first_month=lambda s: s.month.min(),
            last_at_day=lambda s: s.day_of_at.max(),
            ratio=lambda s: s.money_f.sum() / s.count(where=s.consent.fill_null(False)).nullif(0),
        )
        .order_by(ibis.asc("kind", nulls_first=True))
    )
    rows = to_arrow(analytics_backend, expr).to_pylist()

    assert rows == [
        {
            "kind": None,
            "n": 1,
            "days": None,
            "money": None,
            "money_f": None,
            "rate_max": None,
            "consenting": 0,
            "first_month": None,
            "last_at_day": None,
            "ratio": None,
        },
        {
            "kind": "",
            "n": 1,
            "days": -5754,
            "money": Decimal("12.50"),
            "money_f": 12.5,
            "rate_max": 0.0,
            "consenting": 1,
            "first_month": date(2040, 1, 1),
            "last_at_day": None,
            "ratio": 12.5,
        },
        {
            "kind": "corporate",
            "n": 1,
            "days": 19814,
            "money": Decimal("-9999999999999999.99"),
            "money_f": -9999999999999999.99,
            "rate_max": -1e300,
            "consenting": 0,
            "first_month": date(1969, 12, 1),
            "last_at_day": date(1970, 1, 1),
            "ratio": None,
        },
        {
            "kind": "retail",
            "n": 2,
            "days": 31,
            "money": Decimal("0.01"),
            "money_f": 0.01,
            "rate_max": 2.5,
            "consenting": 1,
            "first_month": date(2024, 2, 1),
            "last_at_day": date(2024, 3, 31),
            "ratio": 0.01,
        },
    ]


def test_float_literals_are_doubles(analytics_backend: BaseBackend) -> None:
    # Spark SQL reads a bare 365.0 as DECIMAL(4,1): integer / 365.0 would be a decimal
    # rounded to six places (0.652055) unless the literal is written as a double.
    t = table_from_arrow(analytics_backend, "days", pa.table({"days": pa.array([1, 238])}))
    expr = t.select("days", years=t.days / 365.0, half=t.days * 0.5, tenth=t.days + 0.1)
    rows = to_arrow(analytics_backend, expr.order_by("days")).to_pylist()

    # To the last bits or so: DuckDB adds 0.1 as a decimal, then converts (238.10000000000002).
    assert rows == [
        {"days": 1, "years": approx(1 / 365), "half": 0.5, "tenth": approx(1.1)},
        {"days": 238, "years": approx(238 / 365), "half": 119.0, "tenth": approx(238.1)},
    ]


def approx(value: float) -> object:
    return pytest.approx(value, rel=1e-14, abs=0.0)


def test_duckdb_is_the_default_engine_with_its_memory_limit() -> None:
    con = connect_analytics(Settings(duckdb_memory_limit="512MB"))
    try:
        assert con.name == "duckdb"
        limit = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
        assert limit in ("488.2 MiB", "512.0 MB")
    finally:
        con.disconnect()


def test_spark_without_pyspark_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # import fails as if not installed

    with pytest.raises(UserError, match=r"install bankcrm\[spark\]"):
        engines.connect_spark("local[1]")


def test_spark_without_java_is_a_user_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(UserError, match="Java 17"):
        engines.connect_spark("local[1]")
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserError, match="Java 17"):
        engines.connect_spark("local[1]")


@pytest.mark.parametrize(
    ("given", "uri"),
    [
        (Path("s3a://bank-lake/crm"), "s3a://bank-lake/crm"),  # a Path has eaten a slash
        ("s3a://bank-lake/crm", "s3a://bank-lake/crm"),
        (Path("hdfs://namenode:8020/lake"), "hdfs://namenode:8020/lake"),
        (
            "abfss://crm@bank.dfs.core.windows.net/lake",
            "abfss://crm@bank.dfs.core.windows.net/lake",
        ),
        ("file:///srv/lake", "/srv/lake"),
        (Path("/srv/lake"), "/srv/lake"),
    ],
)
def test_lake_locations(given: str | Path, uri: str) -> None:
    assert lake_uri(given) == uri
