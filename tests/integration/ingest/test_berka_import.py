"""The real PKDD'99 Czech bank data through the same road as any extract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.customers.models import Customer
from bankcrm.ingest.berka import convert_berka
from bankcrm.ingest.service import run_import
from bankcrm.lake.store import LakeStore
from bankcrm.products.models import Holding
from bankcrm.status.service import system_status


def _status(sessions: sessionmaker[Session]) -> dict[str, Any]:
    with sessions() as session:
        return system_status(session)


def test_berka_counts_are_exact_and_a_second_import_changes_nothing(
    sessions: sessionmaker[Session], lake: LakeStore, berka_dir: Path, tmp_path: Path
) -> None:
    converted = tmp_path / "berka"
    convert_berka(berka_dir, converted)

    first = run_import(sessions, lake, converted, "berka", source=str(berka_dir))
    status = _status(sessions)

    assert first.quarantined == 0
    assert status["customers"]["total"] == 5_369
    assert status["holdings"]["current_accounts"] == 4_500
    assert status["holdings"]["loans"] == 682
    assert status["holdings"]["cards"] == 892
    assert status["loans_by_status"] == {"good": 606, "bad": 76}
    assert status["relationships"] == 869
    assert status["standing_orders"] == 6_471
    assert status["branches"] == 77
    assert status["transactions"]["rows"] == 49_102
    assert status["transactions"]["first_day"] == "1993-01-01"
    assert status["transactions"]["last_day"] == "1994-03-31"
    lake_rows = duckdb.sql(
        f"select count(*) from read_parquet('{lake.transactions_dir}/*/*.parquet', "
        "hive_partitioning=true)"
    ).fetchone()
    assert lake_rows == (49_102,)

    again = run_import(sessions, lake, converted, "berka")
    assert again.already_imported
    assert _status(sessions) == status

    # The same content in another byte order is a new extract: every row is unchanged.
    customers = converted / "customers.csv"
    header, *rows = customers.read_text(encoding="utf-8").splitlines()
    customers.write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    reordered = run_import(sessions, lake, converted, "berka")
    assert not reordered.already_imported
    assert sum(f.loaded + f.updated for f in reordered.files) == 0
    assert sum(f.unchanged for f in reordered.files) == first.files_rows_loaded()
    after = _status(sessions)
    assert after["customers"] == status["customers"]
    assert after["holdings"] == status["holdings"]
    assert after["transactions"] == status["transactions"]


def test_berka_fields_are_decoded(
    sessions: sessionmaker[Session], lake: LakeStore, berka_dir: Path, tmp_path: Path
) -> None:
    converted = tmp_path / "berka"
    convert_berka(berka_dir, converted)
    run_import(sessions, lake, converted, "berka")

    with sessions() as session:
        client_1 = session.scalars(select(Customer).where(Customer.customer_no == "C1")).one()
        assert (client_1.sex, client_1.birth_date.isoformat()) == ("F", "1970-12-13")  # type: ignore[union-attr]
        client_2 = session.scalars(select(Customer).where(Customer.customer_no == "C2")).one()
        assert (client_2.sex, client_2.birth_date.isoformat()) == ("M", "1945-02-04")  # type: ignore[union-attr]
        # loan 5314;1787;930705;96396;12;8033.00;"B": finished, not paid
        loan = session.scalars(select(Holding).where(Holding.account_no == "L5314")).one()
        assert loan.loan_status == "bad"
        assert loan.status == "closed"
        assert (loan.principal, loan.term_months) == (96396, 12)
        assert loan.opened_on.isoformat() == "1993-07-05"
    first_tx = duckdb.sql(
        f"select account_no, booked_on::varchar, direction, amount::double, channel, category "
        f"from read_parquet('{lake.transactions_dir}/*/*.parquet', hive_partitioning=true) "
        "where transaction_id = 695247"
    ).fetchone()
    # 695247;2378;930101;"PRIJEM";"VKLAD";700.00;700.00
    assert first_tx == ("A2378", "1993-01-01", "credit", 700.0, "branch", "cash_deposit")
