"""Where a customer 360 spends its time: the service call, its response serialised and the
commit (its audit row), for customers of one benchmark account manager, under cProfile.

    .venv/bin/python benchmarks/profile_360.py --postgres URL [--customers 300] [--top 40]

Runs on the bank `bench_api.py` prepared (benchmarks/out/api-100000/, its users created by
that script); prints CPU milliseconds per 360, SQL statements per 360 and the profile.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import OUT

from bankcrm.config import Settings
from bankcrm.customers import service
from bankcrm.customers.schemas import Customer360
from bankcrm.kit.db import make_engine, make_session_factory
from bankcrm.security.models import User
from bankcrm.security.service import principal_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--bank", type=Path, default=OUT / "api-100000")
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    settings = Settings(database_url=args.postgres, lake_dir=args.bank / "lake")
    sessions = make_session_factory(make_engine(args.postgres))
    with sessions() as session:
        user = session.scalars(
            sa.select(User).where(User.username.like("bench-am-%")).order_by(User.id)
        ).first()
        if user is None:
            raise SystemExit("no benchmark users: run benchmarks/bench_api.py first")
        ids = list(
            session.execute(
                sa.text("select id from customers where manager_id = :m order by id limit :n"),
                {"m": user.staff_id, "n": args.customers},
            ).scalars()
        )
        principal = principal_for(user)

    def one(customer_id: int) -> None:
        with sessions() as session:
            found = service.get_customer(session, settings, principal, customer_id)
            Customer360.model_validate(found).model_dump_json()
            session.commit()

    for customer_id in ids[:20]:  # warm: caches, prepared statements
        one(customer_id)
    statements = [0]

    @event.listens_for(Engine, "before_cursor_execute")
    def count(*_args: object) -> None:
        statements[0] += 1

    profile = cProfile.Profile()
    started = time.process_time()
    profile.enable()
    for customer_id in ids:
        one(customer_id)
    profile.disable()
    cpu = time.process_time() - started
    print(
        f"{len(ids)} customers: {1000 * cpu / len(ids):.1f} ms CPU per 360 (under cProfile), "
        f"{statements[0] / len(ids):.1f} SQL statements per 360"
    )
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
