"""Drive the running API server on 127.0.0.1 with locust: a realistic mix of account
managers' requests (customer 360, worklist, customer list, log a contact) at a fixed rate
against a generated bank on PostgreSQL; throughput and p50/p95/p99 latency per request go
into docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_api.py --postgres URL [--customers 100000]
        [--rate 200] [--seconds 60] [--workers 2] [--reuse]

The database at URL is emptied. The bank is generated, imported, scored and its tasks
generated under benchmarks/out/api-<N>/ first (not timed; --reuse keeps one prepared by an
earlier run). Locust runs from the benchmark venv, not the project's:

    python3 -m venv .venv-bench && .venv-bench/bin/pip install locust
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import DOC, OUT, ROOT, machine, run

from bankcrm.kit.db import make_engine, make_session_factory
from bankcrm.security import service
from bankcrm.security.models import User
from bankcrm.security.secrets import hash_password

BEGIN, END = "<!-- bench_api:begin -->", "<!-- bench_api:end -->"
LOCUST = ROOT / ".venv-bench" / "bin" / "locust"
PORT = 8765
MANAGERS = 40  # account managers logged in, each working on their own portfolio
PER_USER_RATE = 2.0  # requests per second of one simulated manager
NAMES = ("customer 360", "worklist", "customer list", "log interaction")


def prepare(customers: int, url: str, reuse: bool) -> dict[str, str]:
    folder = OUT / f"api-{customers}"
    env = {
        **os.environ,
        "BANKCRM_DATABASE_URL": url,
        "BANKCRM_LAKE_DIR": str(folder / "lake"),
        "BANKCRM_MODELS_DIR": str(folder / "models"),
        "BANKCRM_SECRET_KEY_FILE": str(folder / "secret.key"),
    }
    if reuse and (folder / "prepared").is_file():
        run(["db", "upgrade"], env)  # the code may have a newer schema than the bank
        analyze(url)
        return env
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    extract = folder / "extract"
    run(["generate", "--customers", str(customers), "--seed", "7", "--out", str(extract)], env)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("drop schema public cascade"))
        conn.execute(sa.text("create schema public"))
    engine.dispose()
    run(["db", "upgrade"], env)
    run(["import", str(extract)], env)
    run(["score"], env)
    run(["tasks", "generate"], env)
    analyze(url)
    (folder / "prepared").write_text("ok\n")
    return env


def analyze(url: str) -> None:
    """Planner statistics for the freshly loaded tables, as autovacuum would gather them in
    production (it may be off on a test server: without statistics PostgreSQL chose bitmap
    scans over whole products' holdings for a customer's loans, 4 ms instead of 0.2 ms)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("analyze"))
    engine.dispose()


def managers(url: str) -> list[dict[str, object]]:
    """Users for the account managers with the largest portfolios, each with a fresh bearer
    token and the ids of their customers."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    accounts = []
    password = hash_password("benchmark password, not a secret")
    with sessions() as session:
        rows = session.execute(
            sa.text(
                "select manager_id, count(*) from customers where manager_id is not null "
                "group by manager_id order by count(*) desc limit :n"
            ),
            {"n": MANAGERS},
        ).all()
        for staff_id, _count in rows:
            username = f"bench-am-{staff_id}"
            user = session.scalars(sa.select(User).where(User.username == username)).first()
            if user is None:
                branch = session.execute(
                    sa.text("select branch_id from staff where id = :s"), {"s": staff_id}
                ).scalar_one()
                user = User(
                    username=username,
                    password_hash=password,
                    role="account_manager",
                    staff_id=staff_id,
                    branch_id=branch,
                )
                session.add(user)
                session.flush()
            token = service.issue(session, user, "bearer", 120).token
            ids = session.execute(
                sa.text("select id from customers where manager_id = :s order by id limit 500"),
                {"s": staff_id},
            ).scalars()
            accounts.append({"token": token, "customers": list(ids)})
        session.commit()
    engine.dispose()
    return accounts


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer at {url}")


def load(
    env: dict[str, str], accounts: list[dict[str, object]], rate: float, seconds: int, workers: int
) -> dict[str, dict[str, float]]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bankcrm.cli",
            "serve",
            "--port",
            str(PORT),
            "--workers",
            str(workers),
        ],
        env={**env, "BANKCRM_SECURE_COOKIES": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{PORT}/openapi.json")
        users = max(1, round(rate / PER_USER_RATE))
        prefix = OUT / "api-locust"
        locust_env = {
            **os.environ,
            "BENCH_API_USERS": json.dumps(accounts),
            "BENCH_API_USER_RATE": str(PER_USER_RATE),
        }
        common = [
            str(LOCUST),
            "-f",
            str(Path(__file__).parent / "api_load.py"),
            "--headless",
            "--host",
            f"http://127.0.0.1:{PORT}",
            "-u",
            str(users),
            "-r",
            str(users),
            "--exit-code-on-error",
            "0",  # errors are counted in the table, not a reason to stop
        ]
        # Warm-up: connection pools, DuckDB's first reads, the operating system's caches.
        subprocess.run(
            [*common, "--run-time", "15s", "--only-summary"],
            env=locust_env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        subprocess.run(
            [*common, "--run-time", f"{seconds}s", "--csv", str(prefix), "--only-summary"],
            env=locust_env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    stats = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            stats[row["Name"]] = {
                "requests": float(row["Request Count"]),
                "failures": float(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
            }
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True, help="PostgreSQL URL (emptied!)")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=200, help="requests per second offered")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--reuse", action="store_true", help="reuse a prepared bank")
    args = parser.parse_args()
    if not LOCUST.is_file():
        raise SystemExit(
            f"{LOCUST} missing: python3 -m venv .venv-bench && .venv-bench/bin/pip install locust"
        )
    env = prepare(args.customers, args.postgres, args.reuse)
    stats = load(env, managers(args.postgres), args.rate, args.seconds, args.workers)
    rows = []
    for name in (*NAMES, "Aggregated"):
        s = stats.get(name)
        if s is None:
            continue
        rows.append(
            f"| {name} | {s['requests']:,.0f} | {s['rps']:,.1f} | {s['failures']:,.0f} | "
            f"{s['p50']:,.0f} | {s['p95']:,.0f} | {s['p99']:,.0f} |"
        )
        print(rows[-1], flush=True)
    table = "\n".join(
        [
            BEGIN,
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()} with `python benchmarks/"
            f"bench_api.py {' '.join('URL' if '://' in a else a for a in sys.argv[1:])}` "
            f"({args.customers:,} customers on PostgreSQL, {args.workers} server workers, locust "
            f"on the same machine offering {args.rate:.0f} requests/s for {args.seconds} s after a "
            "15 s warm-up). Latencies in milliseconds.",
            "",
            "| request | requests | per second | errors | p50 | p95 | p99 |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            END,
        ]
    )
    text = DOC.read_text()
    if BEGIN in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        DOC.write_text(head + table + tail)
    else:
        DOC.write_text(
            text.rstrip("\n")
            + "\n\n## API under load (`benchmarks/bench_api.py`)\n\n"
            + table
            + "\n"
        )


if __name__ == "__main__":
    main()
