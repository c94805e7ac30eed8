"""Duplicate detection on a generated bank: wall time, peak memory, pairs compared,
candidates, and precision and recall against the duplicates the generator planted.

    python benchmarks/bench_duplicates.py --customers 100000 1000000 [--reuse]

For each size: `bankcrm generate --customers N --seed 7 --duplicates 0.01` (kept with
--reuse), then the fastest honest path to the CRM database: `bankcrm import` of the
extract's branches, staff, products and customers files (detection reads only customers
and prospects; the import validates them as always), into a fresh SQLite file; then
`bankcrm duplicates detect --json`. A candidate is right when its two customer numbers are
a planted pair (`<extract>-truth/duplicates.parquet`). Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "duplicates"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench_duplicates:begin -->", "<!-- bench_duplicates:end -->"
SHARE = 0.01
FILES = ("branches.csv", "staff.csv", "products.csv", "customers.csv")


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system: what the job cost on a shared machine
    peak_mb: float
    stdout: str


def run(args: list[str], env: dict[str, str]) -> Run:
    """A bankcrm command: wall time and the child's own peak resident memory."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bankcrm.cli", *args], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    stdout = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bankcrm {' '.join(args)} failed")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    return f"{os.cpu_count()} cores (nproc), {cpu}, Python {sys.version.split()[0]}"


def accuracy(url: str, truth: Path) -> tuple[int, int, int, int]:
    """(candidates, true positives, planted, planted pairs that share a national id)."""
    planted = pq.read_table(truth / "duplicates.parquet").to_pylist()
    pairs = {frozenset((p["customer_no"], p["duplicate_of"])) for p in planted}
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select a.customer_no, b.customer_no from duplicate_candidates d "
                "join customers a on a.id = d.customer_id "
                "join customers b on b.id = d.other_customer_id"
            )
        ).all()
    engine.dispose()
    found = {frozenset(r) for r in rows}
    same_id = sum(1 for p in planted if "id_typo" not in p["variations"])
    return len(found), len(found & pairs), len(pairs), same_id


def bench(customers: int, reuse: bool, keep_db: bool = False) -> str:
    folder = OUT / str(customers)
    extract = folder / "extract"
    env = dict(os.environ)
    if not (reuse and (folder / "extract-truth" / "duplicates.parquet").exists()):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        run(
            ["generate", "--customers", str(customers), "--seed", "7", "--duplicates",
             str(SHARE), "--out", str(extract)],
            env,
        )  # fmt: skip
    db = folder / "bankcrm.db"
    url = f"sqlite:///{db}"
    env.update(BANKCRM_DATABASE_URL=url, BANKCRM_LAKE_DIR=str(folder / "lake"))
    imported = "kept"
    if not (keep_db and db.exists()):
        subset = folder / "customers-only"
        shutil.rmtree(subset, ignore_errors=True)
        subset.mkdir()
        for name in FILES:
            os.link(extract / name, subset / name)
        db.unlink(missing_ok=True)
        imported = f"{run(['import', str(subset)], env).seconds:,.0f} s"
    det = run(["duplicates", "detect", "--json"], env)
    report = json.loads(det.stdout.strip().splitlines()[-1])
    found, right, planted, _ = accuracy(url, folder / "extract-truth")
    precision = right / found if found else 0.0
    recall = right / planted if planted else 0.0
    skipped = sum(b["skipped"] for b in report["blocks"])
    row = (
        f"| {customers:,} | {report['records']:,} | {planted:,} | {imported} | "
        f"{det.seconds:,.1f} s | {det.cpu_seconds:,.1f} s | {det.peak_mb:,.0f} MB | "
        f"{report['pairs_compared']:,} | "
        f"{skipped:,} | {found:,} | {precision:.3f} | {recall:.3f} |"
    )
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--reuse", action="store_true", help="keep an extract generated before")
    parser.add_argument(
        "--keep-db", action="store_true", help="detect again in the database imported before"
    )
    args = parser.parse_args()
    rows = [bench(n, args.reuse, args.keep_db) for n in args.customers]
    text = DOC.read_text()
    table = "\n".join(
        [
            BEGIN,
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()} with "
            f"`flock /tmp/bench.lock python benchmarks/bench_duplicates.py --customers "
            f"{' '.join(str(n) for n in args.customers)}"
            f"{' --reuse' if args.reuse else ''}{' --keep-db' if args.keep_db else ''}`.",
            "",
            "| customers | records (with planted) | planted pairs | import (customers only) "
            "| detect (wall) | detect (CPU) | detect peak RSS | pairs compared | blocks skipped "
            "| candidates | precision | recall |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            END,
        ]
    )
    if BEGIN in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        DOC.write_text(head + table + tail)
    else:
        DOC.write_text(text.rstrip() + "\n\n## Duplicate detection\n\n" + table + "\n")


if __name__ == "__main__":
    main()
