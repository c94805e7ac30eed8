"""Time `bankcrm score` on a generated bank: wall time, peak memory, time per step, and the
churn model's AUC against the generator's hidden truth; recorded in docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_score.py --customers 1000000 [--postgres URL] [--reuse]

The bank is generated and imported under benchmarks/out/score-<N>-<database>/ first (not
timed here: bench_ingest.py measures that); --reuse keeps one prepared by an earlier run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import DOC, OUT, machine, run

from bankcrm.analytics import metrics

BEGIN, END = "<!-- bench_score:begin -->", "<!-- bench_score:end -->"
STEPS = ("read", "features", "contribution", "churn", "lifetime value", "tiers", "offers")


def prepare(customers: int, database: str, postgres: str | None, reuse: bool) -> dict[str, str]:
    folder = OUT / f"score-{customers}-{database}"
    extract = folder / "extract"
    url = postgres if database == "postgresql" and postgres else f"sqlite:///{folder / 'bank.db'}"
    env = {
        **os.environ,
        "BANKCRM_DATABASE_URL": url,
        "BANKCRM_LAKE_DIR": str(folder / "lake"),
        "BANKCRM_MODELS_DIR": str(folder / "models"),
    }
    if reuse and (folder / "prepared").is_file():
        return env
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    run(["generate", "--customers", str(customers), "--seed", "7", "--out", str(extract)], env)
    if database == "postgresql":
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("drop schema public cascade"))
            conn.execute(sa.text("create schema public"))
        engine.dispose()
        run(["db", "upgrade"], env)
    run(["import", str(extract)], env)
    (folder / "prepared").write_text("ok\n")
    return env


def truth_auc(env: dict[str, str], truth: Path) -> tuple[float, float]:
    engine = sa.create_engine(env["BANKCRM_DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select c.customer_no, s.churn_probability from customer_scores s "
                "join customers c on c.id = s.customer_id "
                "where s.as_of = (select max(as_of) from customer_scores)"
            )
        ).all()
    engine.dispose()
    truth_table = pq.read_table(truth, columns=["customer_no", "will_churn"]).to_pydict()
    leaving = dict(zip(truth_table["customer_no"], truth_table["will_churn"], strict=True))
    y = [bool(leaving[no]) for no, _ in rows]
    p = [float(prob) for _, prob in rows]
    return metrics.roc_auc(y, p), metrics.top_decile_lift(y, p)


def last_summary(env: dict[str, str]) -> dict[str, object]:
    engine = sa.create_engine(env["BANKCRM_DATABASE_URL"])
    with engine.connect() as conn:
        text = conn.execute(
            sa.text("select summary from score_runs order by id desc limit 1")
        ).scalar_one()
    engine.dispose()
    return dict(json.loads(text))


def bench(customers: int, database: str, postgres: str | None, reuse: bool) -> str:
    env = prepare(customers, database, postgres, reuse)
    folder = OUT / f"score-{customers}-{database}"
    scored = run(["score"], env)
    summary = last_summary(env)
    steps = dict(summary["step_seconds"])  # type: ignore[call-overload]
    # the write is not timed inside the run (the summary is written with it): the rest of
    # the wall time, process start-up and the final transaction
    steps["write"] = round(scored.seconds - sum(steps.get(s, 0) for s in STEPS), 1)
    auc, lift = truth_auc(env, folder / "extract-truth" / "customers.parquet")
    test = dict(summary["churn_test_metrics"])  # type: ignore[call-overload]
    row = (
        f"| {customers:,} | {database} | {summary['customers']:,} | {scored.seconds:,.0f} s | "
        f"{scored.peak_mb:,.0f} MB | "
        + " | ".join(f"{steps.get(s, 0):,.0f}" for s in (*STEPS, "write"))
        + f" | {test['roc_auc']:.3f} | {auc:.3f} | {lift:.1f} |"
    )
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--postgres", help="also score on this PostgreSQL URL (emptied!)")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--reuse", action="store_true", help="reuse a prepared bank")
    args = parser.parse_args()
    rows = []
    for n in args.customers:
        for database in args.databases:
            if database == "postgresql" and not args.postgres:
                continue
            rows.append(bench(n, database, args.postgres, args.reuse))
    text = DOC.read_text()
    table = "\n".join(
        [
            BEGIN,
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()} with "
            f"`python benchmarks/bench_score.py {' '.join(sys.argv[1:])}`. Step times in "
            "seconds; AUC on the test quarter, and against the generator's hidden truth "
            "(customers it set to leave within 90 days after the as-of date).",
            "",
            "| customers | database | scored | score | peak RSS | read | features | "
            "contribution | churn | lifetime value | tiers | offers | write | test AUC | "
            "truth AUC | truth top-decile lift |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            END,
        ]
    )
    if BEGIN in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        DOC.write_text(head + table + tail)
    else:
        DOC.write_text(
            text.rstrip() + "\n\n## Scoring (`benchmarks/bench_score.py`)\n\n" + table + "\n"
        )


if __name__ == "__main__":
    main()
