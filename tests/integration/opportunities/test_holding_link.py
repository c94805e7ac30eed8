"""A won lending or account-opening opportunity links to the holding the next extract
brings, inside the import's transaction (both databases)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.customers.models import Customer
from bankcrm.ingest.service import run_import
from bankcrm.lake.store import LakeStore
from bankcrm.opportunities.models import Opportunity
from bankcrm.products.models import Holding, Product
from bankcrm.security.models import AuditEvent
from bankcrm.staff.models import Branch, Staff
from tests import factories as f
from tests import records

LOAN = {"product_code": "LOAN", "loan_status": "good", "principal": "200000", "balance": "-2000"}


def _by_no(session: Session, model: type, column: str, value: str) -> object:
    return session.scalars(select(model).where(getattr(model, column) == value)).one()


def test_won_opportunities_take_the_new_holdings_of_the_next_extract(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    run_import(
        sessions, lake, f.small_bank(customers=3, transactions_per_account=1).write(tmp_path / "d1")
    )
    with sessions() as session:
        c1, c2, c3 = (_by_no(session, Customer, "customer_no", f"C00000{n}") for n in (1, 2, 3))
        loan = _by_no(session, Product, "product_code", "LOAN")
        current = _by_no(session, Product, "product_code", "CUR")
        owner = _by_no(session, Staff, "staff_code", "S0001")
        branch = _by_no(session, Branch, "branch_code", "B001")
        assert isinstance(owner, Staff) and isinstance(branch, Branch)
        assert isinstance(loan, Product) and isinstance(current, Product)

        def won(product: Product, on: date, **party: object) -> int:
            return int(
                records.opportunity(
                    session, product, owner, stage="won", won_on=on, closed_on=on, **party
                ).id
            )

        first = won(loan, date(2024, 5, 1), customer=c1)  # takes C1's new loan
        second = won(loan, date(2024, 5, 3), customer=c1)  # won later: nothing left for it
        account = won(current, date(2024, 5, 1), customer=c2)  # the 2012 account is older
        prospect = records.prospect_for_opportunities(
            session,
            branch,
            status="converted",
            converted_customer_id=c3.id,  # type: ignore[attr-defined]
        )
        converted = won(loan, date(2024, 5, 1), prospect=prospect)  # via the conversion
        still_open = int(
            records.opportunity(session, loan, owner, customer=c2, stage="approved").id
        )
        session.commit()

    day2 = f.small_bank(customers=3, transactions_per_account=1)
    day2.add(
        "holdings",
        f.holding("L000001", "C000001", opened_on="2024-05-10", **LOAN),
        f.holding("A000102", "C000002", opened_on="2024-05-02"),
        f.holding("L000003", "C000003", opened_on="2024-06-01", **LOAN),
        f.holding("L000002", "C000002", opened_on="2024-06-01", **LOAN),  # for no won one
    )
    report = run_import(sessions, lake, day2.write(tmp_path / "d2"))
    assert report.quarantined == 0, report.problems

    with sessions() as session:
        holding_of = {
            o.id: o.holding_id
            for o in session.scalars(select(Opportunity).order_by(Opportunity.id))
        }
        numbers = {i: no for i, no in session.execute(select(Holding.id, Holding.account_no))}
        linked = {k: numbers.get(v) if v else None for k, v in holding_of.items()}
        assert linked == {
            first: "L000001",
            second: None,
            account: "A000102",
            converted: "L000003",
            still_open: None,
        }
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "link_holding")).one()
        assert event.actor == "system:import" and event.record_type == "opportunity"
        assert sorted(json.loads(event.record_ids or "[]")) == sorted([first, account, converted])

    # The next import links nothing twice.
    run_import(
        sessions, lake, f.small_bank(customers=3, transactions_per_account=1).write(tmp_path / "d3")
    )
    with sessions() as session:
        again = {o.id: o.holding_id for o in session.scalars(select(Opportunity))}
        assert again == holding_of
