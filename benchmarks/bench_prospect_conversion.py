"""How long the import's prospect conversion takes beside a big customer base.

Fills a fresh database with N customers (bulk inserts) and P open prospects, a tenth of
which match a customer by national id and a tenth by name and birth date only, then times
`prospects.conversion.convert_on_import` (the statements the import runs per batch).

    python benchmarks/bench_prospect_conversion.py --customers 1000000 --prospects 10000
    python benchmarks/bench_prospect_conversion.py --url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import insert

from bankcrm.customers.models import Customer
from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine, make_session_factory
from bankcrm.prospects import conversion
from bankcrm.prospects.models import Prospect
from bankcrm.staff.models import Branch

CHUNK = 50_000


def fill(url: str, customers: int, prospects: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with make_session_factory(engine)() as session, session.begin():
        branch = Branch(branch_code="B1", name="Bench", region="Prague")
        session.add(branch)
        session.flush()
        for start in range(0, customers, CHUNK):
            rows = [
                {
                    "customer_no": f"C{n:09d}", "kind": "individual",
                    "national_id": f"N{n:09d}", "first_name": "Petr",
                    "last_name": f"Svoboda{n}", "birth_date": date(1980, 1, 1 + n % 28),
                    "phone": f"+420{n:09d}", "kyc_status": "verified",
                    "onboarded_on": date(2012, 6, 1), "status": "active",
                    "branch_id": branch.id,
                }
                for n in range(start, min(start + CHUNK, customers))
            ]  # fmt: skip
            session.execute(insert(Customer), rows)
        step = max(1, customers // prospects)
        rows = []
        for k in range(prospects):
            n = k * step
            kind = k % 10
            rows.append({
                "prospect_no": f"PRS-{k:08d}", "kind": "individual",
                "national_id": f"N{n:09d}" if kind == 0 else f"X{k:09d}",
                "first_name": "petr", "last_name": f"SVOBODA{n}" if kind == 1 else f"Nowak{k}",
                "birth_date": date(1980, 1, 1 + n % 28), "source": "walk_in", "status": "new",
                "branch_id": branch.id, "created_by": "bench",
            })  # fmt: skip
        session.execute(insert(Prospect), rows)
    with make_session_factory(engine)() as session, session.begin():
        started = time.perf_counter()
        result = conversion.convert_on_import(session)
        seconds = time.perf_counter() - started
    engine.dispose()
    print(
        f"{engine.url.get_backend_name()}: {customers:,} customers, {prospects:,} prospects: "
        f"{result.converted:,} converted, {result.flagged:,} flagged in {seconds:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--prospects", type=int, default=10_000)
    parser.add_argument("--url", default=None, help="an empty database (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'bench.db'}"
        fill(url, args.customers, args.prospects)


if __name__ == "__main__":
    main()
