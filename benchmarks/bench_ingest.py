"""Time `bankcrm generate` and `bankcrm import` at several sizes; record rows per second and
peak memory in docs/benchmarks.md with the machine it ran on.

    .venv/bin/python benchmarks/bench_ingest.py --customers 100000 1000000 [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench_ingest:begin -->", "<!-- bench_ingest:end -->"


@dataclass
class Run:
    seconds: float
    peak_mb: float


def run(args: list[str], env: dict[str, str]) -> Run:
    """Run a bankcrm command; wall time and the child's own peak resident memory."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bankcrm.cli", *args], env=env)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bankcrm {' '.join(args)} failed")
    return Run(seconds, usage.ru_maxrss / 1024)


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.0f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def batch_files(url: str) -> list[dict[str, float]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        summary = conn.execute(sa.text("select summary from import_batches")).scalar_one()
    engine.dispose()
    data = summary if isinstance(summary, dict) else json.loads(summary)
    return list(data["files"])


def bench(customers: int, database: str, postgres: str | None) -> list[str]:
    folder = OUT / str(customers)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    extract = folder / "extract"
    env = dict(os.environ)
    gen = run(
        ["generate", "--customers", str(customers), "--seed", "7", "--out", str(extract)], env
    )
    if database == "postgresql":
        assert postgres is not None
        url = postgres
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("drop schema public cascade"))
            conn.execute(sa.text("create schema public"))
        engine.dispose()
        run(["db", "upgrade"], {**env, "BANKCRM_DATABASE_URL": url})
    else:
        url = f"sqlite:///{folder / 'bankcrm.db'}"
    env.update(BANKCRM_DATABASE_URL=url, BANKCRM_LAKE_DIR=str(folder / "lake"))
    imp = run(["import", str(extract)], env)
    files = {f["entity"]: f for f in batch_files(url)}
    tx_rows = int(files["transactions"]["rows_read"])
    cust = files["customers"]
    tx = files["transactions"]
    size = sum(p.stat().st_size for p in extract.iterdir()) / 1e9
    row = (
        f"| {customers:,} | {database} | {tx_rows:,} | {size:.2f} GB | {gen.seconds:,.0f} s | "
        f"{tx_rows / gen.seconds:,.0f} | {gen.peak_mb:,.0f} MB | {imp.seconds:,.0f} s | "
        f"{cust['rows_read'] / cust['seconds']:,.0f} | {tx['rows_read'] / tx['seconds']:,.0f} | "
        f"{imp.peak_mb:,.0f} MB |"
    )
    print(row, flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    return [row]


def _existing_rows(text: str) -> dict[tuple[str, str], str]:
    """Rows already in the doc, by (customers, database), so a partial rerun keeps them."""
    _, _, rest = text.partition(BEGIN)
    section, _, _ = rest.partition(END)
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and cells[0][:1].isdigit():
            rows[(cells[0], cells[1])] = line
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--postgres", help="also import into this PostgreSQL URL (emptied!)")
    parser.add_argument(
        "--databases", nargs="+", default=["sqlite", "postgresql"], help="which to measure"
    )
    args = parser.parse_args()
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n"
    rows = _existing_rows(text)
    for n in args.customers:
        for database in args.databases:
            if database == "postgresql" and not args.postgres:
                continue
            (row,) = bench(n, database, args.postgres)
            rows[(f"{n:,}", database)] = row
    ordered = sorted(rows.items(), key=lambda kv: (int(kv[0][0].replace(",", "")), kv[0][1]))
    table = "\n".join(
        [
            BEGIN,
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()} with "
            "`python benchmarks/bench_ingest.py --customers 100000 1000000 --postgres URL` "
            "(a run may measure only some rows: `--databases postgresql`).",
            "",
            "| customers | database | transactions | extract size | generate | generated "
            "tx/s | generate peak RSS | import | customer rows/s | transaction rows/s | "
            "import peak RSS |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *(line for _key, line in ordered),
            END,
        ]
    )
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(head + table + tail)


if __name__ == "__main__":
    main()
