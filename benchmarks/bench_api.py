"""Drive the running API server on 127.0.0.1 with wrk: a realistic mix of account managers'
requests (customer 360, worklist, customer list, log a contact) at a fixed rate against a
generated bank on PostgreSQL; throughput, p50/p95/p99 latency per request and the CPU spent
per request go into docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_api.py --postgres URL [--customers 100000]
        [--rate 200] [--seconds 60] [--workers 2] [--reuse]

The database at URL is emptied. The bank is generated, imported, scored and its tasks
generated under benchmarks/out/api-<N>/ first (not timed; --reuse keeps one prepared by an
earlier run). The load comes from Debian's wrk (C, light on the cores the server and
PostgreSQL share with it), installed by this script when missing, or beforehand with
`make bench-api-tools`. One wrk process per request kind (benchmarks/api_load.lua) runs at
once with its share of the offered rate, so each kind gets its own latency distribution.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import DOC, OUT, machine, run

from bankcrm.kit.db import make_engine, make_session_factory
from bankcrm.security import service
from bankcrm.security.models import User
from bankcrm.security.secrets import hash_password

BEGIN, END = "<!-- bench_api:begin -->", "<!-- bench_api:end -->"
WRK = Path("/usr/bin/wrk")
LUA = Path(__file__).resolve().parent / "api_load.lua"
PORT = 8765
MANAGERS = 40  # account managers logged in, each working on their own portfolio
PER_USER_RATE = 2.0  # requests per second of one wrk connection, like a manager at work
WARM_UP = 15  # seconds of load before the measured window, not measured
# name in the table, kind in api_load.lua, share of the offered rate
KINDS = (
    ("customer 360", "customer_360", 0.5),
    ("worklist", "worklist", 0.2),
    ("customer list", "customer_list", 0.2),
    ("log interaction", "log_interaction", 0.1),
)


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
    accounts: list[dict[str, object]] = []
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


def ensure_wrk() -> None:
    """Debian's wrk, installed when missing (as root, or through sudo)."""
    if os.access(WRK, os.X_OK):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "wrk"],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
    )
    if not os.access(WRK, os.X_OK):
        raise SystemExit(f"{WRK} missing: make bench-api-tools (apt-get install wrk)")


def write_accounts(accounts: list[dict[str, object]], path: Path) -> None:
    """The managers' tokens and customers as a Lua table for api_load.lua."""
    lines = ["return {"]
    for account in accounts:
        token = str(account["token"])
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", token):
            raise SystemExit("unexpected characters in a bearer token")
        customers = account["customers"]
        assert isinstance(customers, list)
        ids = ", ".join(str(int(c)) for c in customers)
        lines.append(f'  {{ token = "{token}", customers = {{ {ids} }} }},')
    lines.append("}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def connections(rate: float) -> int:
    return max(1, round(rate / PER_USER_RATE))


def run_wrk(rate: float, seconds: int, accounts_lua: Path) -> dict[str, dict[str, Any]]:
    """The four wrk processes at once, one per kind of request; each one's JSON summary."""
    processes = {}
    for name, kind, share in KINDS:
        processes[name] = subprocess.Popen(
            [
                str(WRK),
                "-t1",
                "-c",
                str(connections(rate * share)),
                "-d",
                f"{seconds}s",
                "--timeout",
                "60s",  # slower answers would leave the latency histogram as time-outs
                "-s",
                str(LUA),
                f"http://127.0.0.1:{PORT}",
                "--",
                kind,
                f"{rate * share:g}",
                str(accounts_lua),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    results = {}
    for name, process in processes.items():
        out, err = process.communicate()
        line = next((x for x in out.splitlines() if x.startswith("BENCH_API_JSON ")), None)
        if process.returncode != 0 or line is None:
            raise SystemExit(f"wrk ({name}) failed:\n{out}{err}")
        results[name] = json.loads(line.partition(" ")[2])
    return results


def cpu_seconds(server_group: int) -> dict[str, float]:
    """CPU time so far (user + system, children reaped included) of the server's process
    group and of this machine's PostgreSQL processes."""
    ticks = {"server": 0, "postgres": 0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process has just ended
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        if int(fields[2]) == server_group:
            ticks["server"] += used
        elif comm == "postgres":
            ticks["postgres"] += used
    hertz = os.sysconf("SC_CLK_TCK")
    return {key: value / hertz for key, value in ticks.items()}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def merged_percentile(parts: list[tuple[float, list[float]]], p: float) -> float:
    """Percentile of several latency distributions together, each given as its number of
    requests and its quantiles every 0.1%."""
    points = sorted(
        (value, count / len(quantiles)) for count, quantiles in parts for value in quantiles
    )
    total = sum(weight for _value, weight in points)
    seen = 0.0
    for value, weight in points:
        seen += weight
        if seen >= total * p / 100 - 1e-9:
            return value
    return 0.0


def load(
    env: dict[str, str], accounts: list[dict[str, object]], rate: float, seconds: int, workers: int
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Per kind of request (and aggregated): requests, per second, errors, p50/p95/p99 in
    ms; and the CPU seconds of the server, PostgreSQL and wrk in the measured window."""
    accounts_lua = OUT / "api-wrk" / "accounts.lua"
    write_accounts(accounts, accounts_lua)
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
        # Warm-up: connection pools, DuckDB's first reads, the operating system's caches.
        run_wrk(rate, WARM_UP, accounts_lua)
        before, wrk_before = cpu_seconds(server.pid), children_cpu()
        results = run_wrk(rate, seconds, accounts_lua)
        after, wrk_after = cpu_seconds(server.pid), children_cpu()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    cpu = {key: after[key] - before[key] for key in before}
    cpu["wrk"] = wrk_after - wrk_before
    stats = {}
    for name, _kind, share in KINDS:
        r = results[name]
        requests = float(r["requests"])
        stats[name] = {
            "offered": rate * share,
            "requests": requests,
            "rps": requests / (float(r["duration_us"]) / 1e6),
            "failures": float(
                sum(int(r[key]) for key in ("non2xx", "connect", "read", "write", "timeout"))
            ),
            **{p: float(r[p]) / 1000 for p in ("p50", "p95", "p99")},
        }
    parts = [
        (float(results[name]["requests"]), [float(q) / 1000 for q in results[name]["quantiles"]])
        for name, _kind, _share in KINDS
    ]
    stats["Aggregated"] = {
        "offered": rate,
        **{
            key: sum(stats[name][key] for name, _kind, _share in KINDS)
            for key in ("requests", "rps", "failures")
        },
        **{f"p{p}": merged_percentile(parts, p) for p in (50, 95, 99)},
    }
    return stats, cpu


def milliseconds(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True, help="PostgreSQL URL (emptied!)")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=200, help="requests per second offered")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--reuse", action="store_true", help="reuse a prepared bank")
    args = parser.parse_args()
    ensure_wrk()
    env = prepare(args.customers, args.postgres, args.reuse)
    stats, cpu = load(env, managers(args.postgres), args.rate, args.seconds, args.workers)
    rows = []
    for name in (*(name for name, _kind, _share in KINDS), "Aggregated"):
        s = stats[name]
        rows.append(
            f"| {name} | {s['requests']:,.0f} | {s['offered']:,.0f} | {s['rps']:,.1f} | "
            f"{s['failures']:,.0f} | {milliseconds(s['p50'])} | {milliseconds(s['p95'])} | "
            f"{milliseconds(s['p99'])} |"
        )
        print(rows[-1], flush=True)
    served = max(stats["Aggregated"]["requests"], 1)
    per_request = ", ".join(
        f"{label} {cpu[key] * 1000 / served:.1f} ms"
        for key, label in (("server", "server"), ("postgres", "PostgreSQL"), ("wrk", "wrk"))
    )
    print(f"CPU per request: {per_request}", flush=True)
    users = sum(connections(args.rate * share) for _name, _kind, share in KINDS)
    table = "\n".join(
        [
            BEGIN,
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()} with `python benchmarks/"
            f"bench_api.py {' '.join('URL' if '://' in a else a for a in sys.argv[1:])}` "
            f"({args.customers:,} customers on PostgreSQL, {args.workers} server workers, wrk "
            f"on the same machine offering {args.rate:.0f} requests/s for {args.seconds} s after a "
            f"{WARM_UP} s warm-up: one wrk process per request kind, {users} connections in all, "
            f"each offering about {PER_USER_RATE:g} requests/s). Latencies in milliseconds. "
            f"CPU per request served (user and system time over the measured window): "
            f"{per_request}.",
            "",
            "| request | requests | offered per second | per second | errors | p50 | p95 | p99 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
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
