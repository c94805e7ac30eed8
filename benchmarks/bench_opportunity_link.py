"""The holding link of won opportunities at the end of an import (opportunities/linking.py)
on a bank of N customers with one holding each, 1 in 100 opened after W won opportunities:

    python benchmarks/bench_opportunity_link.py sqlite:////tmp/link.db 1000000 10000

Prints how long the link took, and the next import's pass with nothing left to link."""

from __future__ import annotations

import sys
import time
from datetime import date

from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine
from bankcrm.opportunities.linking import link_won_opportunities
from bankcrm.opportunities.models import Opportunity
from bankcrm.products.models import Holding, Product
from bankcrm.security.principal import system_principal
from bankcrm.staff.models import Branch, Staff

STEP = 50_000


def table(model: type) -> Table:
    found: Table = model.__table__  # type: ignore[attr-defined]
    return found


def main(url: str, customers: int, won: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as c:
        c.execute(
            insert(table(Branch)), [{"id": 1, "branch_code": "B1", "name": "B", "region": "R"}]
        )
        staff = {"id": 1, "staff_code": "S1", "branch_id": 1, "first_name": "A", "last_name": "B"}
        c.execute(insert(table(Staff)), [{**staff, "role": "account_manager"}])
        loan = {"id": 1, "product_code": "L", "name": "Loan", "category": "consumer_loan"}
        c.execute(insert(table(Product)), [{**loan, "currency": "CZK"}])
        for low in range(0, customers, STEP):
            high = min(customers, low + STEP)
            people = [
                {
                    "id": i + 1,
                    "customer_no": f"C{i}",
                    "kind": "individual",
                    "national_id": str(i),
                    "kyc_status": "verified",
                    "onboarded_on": date(2010, 1, 1),
                    "status": "active",
                    "branch_id": 1,
                }
                for i in range(low, high)
            ]
            c.execute(insert(table(Customer)), people)
            accounts = [
                {
                    "id": i + 1,
                    "account_no": f"A{i}",
                    "customer_id": i + 1,
                    "product_id": 1,
                    "opened_on": date(2024, 6, 1) if i % 100 == 0 else date(2015, 1, 1),
                    "currency": "CZK",
                    "balance": 0,
                    "status": "active",
                    "loan_status": "good",
                }
                for i in range(low, high)
            ]
            c.execute(insert(table(Holding)), accounts)
        sales = [
            {
                "id": k + 1,
                "opportunity_no": f"O{k}",
                "customer_id": k * 100 + 1,
                "product_id": 1,
                "amount": 1000,
                "currency": "CZK",
                "stage": "won",
                "probability": 1,
                "expected_close_on": date(2024, 6, 1),
                "owner_id": 1,
                "branch_id": 1,
                "won_on": date(2024, 5, 1),
                "created_by": "bench",
            }
            for k in range(won)
        ]
        c.execute(insert(table(Opportunity)), sales)
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
        started = time.perf_counter()
        linked = link_won_opportunities(session, system_principal("import"))
        session.commit()
        took = time.perf_counter() - started
        started = time.perf_counter()
        again = link_won_opportunities(session, system_principal("import"))
        session.commit()
        print(
            f"{engine.dialect.name}, {customers:,} customers and holdings: linked "
            f"{len(linked):,} of {won:,} won in {took:.2f} s; the next import's pass "
            f"linked {len(again)} in {time.perf_counter() - started:.3f} s"
        )
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
