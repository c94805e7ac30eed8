"""A later extract updates records by the bank's external id and keeps what they were."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.customers.models import Customer
from bankcrm.ingest.models import RecordHistory
from bankcrm.ingest.service import run_import
from bankcrm.lake.store import LakeStore
from bankcrm.products.models import Holding
from tests import factories as f


def test_changed_records_are_updated_with_history_and_new_ones_added(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    first = f.small_bank(customers=3, transactions_per_account=2)
    run_import(sessions, lake, first.write(tmp_path / "day1"))

    second = f.small_bank(customers=3, transactions_per_account=2)
    second.rows["customers"][1] = f.customer(2, email="new@mail.example", risk_rating="high")
    second.rows["holdings"][0] = f.holding("A000001", "C000001", balance="99.90")
    second.add("customers", f.customer(4))
    second.add("transactions", f.transaction(100, "A000001", booked_on="2024-04-02"))
    report = run_import(sessions, lake, second.write(tmp_path / "day2"))

    by_file = {r.entity: r for r in report.files}
    assert (by_file["customers"].loaded, by_file["customers"].updated) == (1, 1)
    assert by_file["customers"].unchanged == 2
    assert (by_file["holdings"].updated, by_file["holdings"].unchanged) == (1, 2)
    assert (by_file["transactions"].loaded, by_file["transactions"].unchanged) == (1, 6)
    with sessions() as session:
        changed = session.scalars(select(Customer).where(Customer.customer_no == "C000002")).one()
        assert (changed.email, changed.risk_rating, changed.version) == (
            "new@mail.example",
            "high",
            2,
        )
        account = session.scalars(select(Holding).where(Holding.account_no == "A000001")).one()
        assert (account.balance, account.version) == (Decimal("99.90"), 2)
        history = {
            h.external_id: h.previous
            for h in session.scalars(select(RecordHistory).order_by(RecordHistory.id))
        }
        assert history["C000002"] == {
            "email": "c2@mail.example",
            "risk_rating": "low",
            "version": 1,
        }
        assert history["A000001"] == {"balance": "12500.50", "version": 1}
        assert session.scalar(select(func.count()).select_from(Customer)) == 4
