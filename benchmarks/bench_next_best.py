"""Next best product, segments, association rules and the demand forecast on an imported bank:
time-based holdout AUC and top-decile lift per product, time per step, the forecast backtest.

    .venv/bin/bankcrm generate --customers 50000 --seed 11 --out /tmp/nbp/extract
    BANKCRM_DATABASE_URL=sqlite:////tmp/nbp/bankcrm.db BANKCRM_LAKE_DIR=/tmp/nbp/lake \\
        .venv/bin/bankcrm import /tmp/nbp/extract
    .venv/bin/python benchmarks/bench_next_best.py --bank /tmp/nbp [--threads 1]

Holdout: models trained on features at as_of-364 with openings in (as_of-364, as_of-182],
scored on features at as_of-182 against openings in (as_of-182, as_of]. Offers: models
trained at as_of-182 (the production setting), scored at as_of with an illustrative margin
of CZK 1,000 + 100 x product_id a year. Backtest: models trained at as_of-273, forecast made
at as_of-91 for the quarter up to as_of, without and with the trend factor.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from bankcrm.analytics import propensity as pr
from bankcrm.analytics import repository
from bankcrm.analytics.associations import association_rules
from bankcrm.analytics.features import FeatureSources, build_features
from bankcrm.analytics.forecast import ForecastConfig, backtest_forecast, uptake_trend
from bankcrm.analytics.ledger import build_ledger
from bankcrm.analytics.metrics import roc_auc, top_decile_lift
from bankcrm.analytics.next_best import next_best_offers
from bankcrm.analytics.segments import segment_customers
from bankcrm.kit.db import make_engine, make_session_factory
from bankcrm.lake.engines import connect_duckdb, read_transactions, table_from_arrow, to_arrow
from bankcrm.products.models import Product
from bankcrm.synth.catalogue import AS_OF


def clock(label: str, started: float) -> None:
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)


def load(bank: Path, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, pd.DataFrame]]:
    engine = make_engine(f"sqlite:///{bank / 'bankcrm.db'}")
    with make_session_factory(engine)() as session:
        tables = {
            "accounts": repository.accounts(session),
            "customers": repository.customers(session),
            "interactions": repository.interactions(session),
            "cases": repository.cases(session),
        }
        columns = (Product.product_code, Product.name, Product.category, Product.active)
        products = pd.DataFrame(session.execute(select(Product.id.label("product_id"), *columns)))
    engine.dispose()
    con = connect_duckdb()
    sources = FeatureSources(
        transactions=read_transactions(con, bank / "lake"),
        **{name: table_from_arrow(con, name, t) for name, t in tables.items()},
    )
    started = time.perf_counter()
    ledger = build_ledger(sources.transactions, sources.accounts, as_of, snapshots=5)
    features = {
        back: to_arrow(
            con, build_features(sources, ledger, as_of - timedelta(days=back))
        ).to_pandas()
        for back in (0, 91, 182, 273, 364)
    }
    clock("features at 5 dates", started)
    return tables["accounts"].to_pandas(), products, features


def holdout(
    accounts: pd.DataFrame,
    features: dict[int, pd.DataFrame],
    as_of: date,
    config: pr.TrainingConfig,
    codes: dict[int, str],
) -> None:
    train_day, test_day = as_of - timedelta(days=364), as_of - timedelta(days=182)
    started = time.perf_counter()
    models = pr.train_propensity(features[364], accounts, train_day, config=config)
    clock(f"train {len(models.models)} models", started)
    scores = pr.score_propensity(models, features[182], pr.open_holdings(accounts, test_day))
    opened = pr.openings(accounts, test_day, as_of)
    took = np.isin(
        pr.pair_key(scores["customer_id"], scores["product_id"]),
        pr.pair_key(opened["customer_id"], opened["product_id"]),
    )
    rows = []
    for product, part in scores.assign(took=took).groupby("product_id"):
        y, p = part["took"].to_numpy(), part["propensity"].to_numpy()
        ok = 0 < y.sum() < y.size
        rows.append(
            {
                "product": codes[int(product)],
                "customers": y.size,
                "opened": int(y.sum()),
                "expected": p.sum(),
                "auc": roc_auc(y, p) if ok else np.nan,
                "lift_top10": top_decile_lift(y, p) if ok else np.nan,
            }
        )
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    print(f"median AUC {table['auc'].median():.3f}, median lift {table['lift_top10'].median():.2f}")
    print(
        "no model (openings in training window):", {codes[k]: v for k, v in models.skipped.items()}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bank", type=Path, required=True, help="folder with bankcrm.db, lake/")
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    parser.add_argument("--threads", type=int, default=None, help="learner OpenMP threads")
    parser.add_argument("--min-positives", type=int, default=40)
    args = parser.parse_args()
    as_of: date = args.as_of
    config = pr.TrainingConfig(threads=args.threads, min_positives=args.min_positives)
    accounts, products, features = load(args.bank, as_of)
    codes = dict(zip(products["product_id"], products["product_code"], strict=True))
    holdout(accounts, features, as_of, config, codes)

    now = features[0]
    started = time.perf_counter()
    segments = segment_customers(now)
    clock("segments", started)
    print(segments.profiles[["segment_id", "segment", "share", "description"]].to_string())

    held = pr.open_holdings(accounts, as_of)
    started = time.perf_counter()
    rules = association_rules(held.merge(products, on="product_id"))
    clock(f"association rules ({len(rules)})", started)
    print("\n".join(rules["sentence"].head(5)))

    started = time.perf_counter()
    models = pr.train_propensity(
        features[182], accounts, as_of - timedelta(days=182), config=config
    )
    clock("train production models", started)
    margin = {int(p): 1_000.0 + 100 * int(p) for p in products["product_id"]}
    started = time.perf_counter()
    result = next_best_offers(models, now, held, products, margin)
    clock(f"offers ({len(result.offers)} for {result.offers['customer_id'].nunique()})", started)
    print("\n".join(result.offers["explanation"].head(6)))
    print(result.suitability.customers_excluded.to_string(index=False))

    made_on = as_of - timedelta(days=91)
    started = time.perf_counter()
    then_models = pr.train_propensity(
        features[273], accounts, as_of - timedelta(days=273), config=config
    )
    clock("train backtest models", started)
    then = features[91]
    groups = then[["customer_id", "branch_id"]].assign(segment_id=segments.model.predict(then))
    scores = pr.score_propensity(then_models, then, pr.open_holdings(accounts, made_on))
    trend = uptake_trend(accounts, made_on, sorted(then_models.models))
    for level in (1.0, trend):
        bt = backtest_forecast(scores, groups, accounts, made_on, ForecastConfig(level=level))
        print(
            f"backtest level {level:.3f}: cells {len(bt.cells)}, WAPE {bt.wape:.3f} "
            f"(naive {bt.naive_wape:.3f}), bias {bt.bias:+.3f}, 90% coverage {bt.coverage:.3f}"
        )


if __name__ == "__main__":
    main()
