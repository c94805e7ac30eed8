"""`bankcrm score`: the whole analytics pipeline as of a date, written back to the database.

Steps: read the CRM tables and the lake into the analytics engine; features now and at the
churn snapshots; contribution; churn training (model file and card) and scoring; CLV with
intervals; tiers, bands and Pareto; next best offers, segments, product associations and
the demand forecast; one database transaction that replaces this date's results.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.analytics import (
    churn,
    dashboard_cube,
    profitability,
    repository,
    score_repository,
    tiers,
)
from bankcrm.analytics.features import FeatureSources, account_balances, build_features
from bankcrm.analytics.ledger import QUARTER_DAYS, Ledger, build_ledger
from bankcrm.analytics.lifetime import lifetime_values
from bankcrm.analytics.offers_step import product_margins, run_offers
from bankcrm.analytics.policy import Policy
from bankcrm.config import Settings
from bankcrm.kit.errors import UserError
from bankcrm.kit.progress import Progress, QuietProgress
from bankcrm.lake.engines import connect_analytics, read_transactions, table_from_arrow, to_arrow
from bankcrm.marketing import repository as marketing_repository

SIGNIFICANT_DIGITS = 9
REACHABLE_STATUSES = ("active", "dormant")
PROPENSITY_LOOKBACK_DAYS = 182  # offers learn from openings in the half-year to as-of
CHURN_SNAPSHOTS = 3  # one test quarter and two training quarters
LEDGER_SNAPSHOTS = CHURN_SNAPSHOTS + 1  # the as-of date and the churn snapshots
assert PROPENSITY_LOOKBACK_DAYS % QUARTER_DAYS == 0, "the propensity day is a snapshot"


@dataclass
class ScoreSummary:
    as_of: date
    customers: int
    seconds: float
    run_id: int
    churn_model: str
    facts: dict[str, Any] = field(default_factory=dict)


def policy_hash(policy: Policy) -> str:
    return hashlib.sha256(policy.model_dump_json().encode()).hexdigest()[:16]


@dataclass
class _Engine:
    con: Any
    sources: FeatureSources
    tables: dict[str, Any]  # the Arrow tables read from the CRM database
    ledger: Ledger | None = None
    kept: dict[date, pd.DataFrame] = field(default_factory=dict)

    def read_lake(self, as_of: date, snapshots: int) -> Ledger:
        """Aggregate the lake once for the as-of date and the snapshots before it."""
        src = self.sources
        self.ledger = build_ledger(src.transactions, src.accounts, as_of, snapshots)
        return self.ledger

    def features(self, as_of: date) -> pd.DataFrame:
        if as_of in self.kept:
            return self.kept[as_of]
        assert self.ledger is not None, "read_lake first"
        expr = build_features(self.sources, self.ledger, as_of)
        # sorted by the engine (in parallel), so that _stable finds the order already made
        return _stable(to_arrow(self.con, expr.order_by("customer_id")).to_pandas())

    def keep(self, as_of: date, frame: pd.DataFrame) -> None:
        """Keep a snapshot another step needs too (the propensity models' training day)."""
        self.kept[as_of] = frame


def _stable(frame: pd.DataFrame) -> pd.DataFrame:
    """Sorted by customer, floats rounded to 9 significant digits: a parallel engine returns
    groups in any order and sums floats in any order, and the model fits (an optimiser on
    a flat ridge) must not turn those last-bit differences into other scores on a re-run."""
    if not frame["customer_id"].is_monotonic_increasing:
        frame = frame.sort_values("customer_id", kind="stable")
    frame = frame.reset_index(drop=True)
    for name in frame.select_dtypes("float").columns:
        values = frame[name].to_numpy()
        if _whole_numbers(values):
            continue  # counts and sums of whole units: already as printed
        frame[name] = _significant(values, SIGNIFICANT_DIGITS)
    return frame


def _whole_numbers(values: npt.NDArray[np.float64]) -> bool:
    """Every value (NaN aside) a whole number small enough to have exact 9-digit form."""
    with np.errstate(invalid="ignore"):
        present = values[~np.isnan(values)]
        whole = present == np.trunc(present)
        return bool(np.all(whole & (np.abs(present) < 10**SIGNIFICANT_DIGITS)))


def _significant(values: npt.NDArray[np.float64], digits: int) -> npt.NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
    scale = np.where(np.isfinite(magnitude), 10.0 ** (digits - 1 - magnitude), 1.0)
    return np.asarray(np.where(values == 0, 0.0, np.round(values * scale) / scale))


def _open_engine(settings: Settings, sessions: sessionmaker[Session]) -> _Engine:
    with sessions() as session:
        tables = repository.feature_tables(session)
        products = repository.products(session)
    if tables["customers"].num_rows == 0:
        raise UserError("there are no customers to score: import an extract first")
    con = connect_analytics(settings)
    registered = {name: table_from_arrow(con, name, t) for name, t in tables.items()}
    sources = FeatureSources(transactions=read_transactions(con, settings.lake_dir), **registered)
    return _Engine(con, sources, {**tables, "products": products})


def _churn_model(
    engine: _Engine, accounts: Any, as_of: date, settings: Settings, progress: Progress
) -> churn.ChurnModel:
    cutoffs = churn.snapshot_cutoffs(as_of, CHURN_SNAPSHOTS)
    progress.start_file("churn snapshots", len(cutoffs))
    snapshots = []
    for cutoff in cutoffs:
        frame = engine.features(cutoff)
        if cutoff == as_of - timedelta(days=PROPENSITY_LOOKBACK_DAYS):
            engine.keep(cutoff, frame)
        labels = to_arrow(engine.con, churn.churn_labels(accounts, cutoff)).to_pandas()
        merged = frame[["customer_id"]].merge(labels, on="customer_id", how="left")
        churned = merged["churned"].fillna(False).to_numpy(dtype=bool)
        snapshots.append(churn.Snapshot(cutoff, frame, churned))
        progress.advance(1)
    progress.end_file()
    model = churn.train_churn(
        as_of, snapshots[1:], snapshots[0], n_threads=settings.analytics_threads
    )
    churn.save_model(model, settings.models_dir)
    return model


def run_scoring(
    settings: Settings,
    sessions: sessionmaker[Session],
    policy: Policy,
    as_of: date,
    progress: Progress | None = None,
    churn_model_file: Path | None = None,
) -> ScoreSummary:
    """Score every customer with an open product on `as_of` and store the results."""
    progress = progress or QuietProgress()
    started = time.perf_counter()
    laps: dict[str, float] = {}
    last = [started]

    def lap(name: str) -> None:
        now = time.perf_counter()
        laps[name] = round(now - last[0], 3)
        last[0] = now

    steps = ["features", "contribution", "churn", "lifetime value", "tiers", "offers", "write"]
    progress.start_file("reading the CRM tables and the lake", 1)
    engine = _open_engine(settings, sessions)
    lap("read")
    progress.end_file()
    progress.start_file("scoring", len(steps))
    ledger = engine.read_lake(as_of, LEDGER_SNAPSHOTS)
    features = engine.features(as_of)
    if features.empty:
        raise UserError(f"no customer has an open product on {as_of}: nothing to score")
    progress.advance(1)
    lap("features")

    src = engine.sources
    terms = table_from_arrow(engine.con, "policy_terms", profitability.category_terms_table(policy))
    risk = table_from_arrow(engine.con, "policy_risk", profitability.risk_table(policy))
    account_expr = profitability.account_contribution(
        src.accounts,
        account_balances(ledger, 0),
        src.customers,
        terms,
        risk,
        policy,
        as_of,
    )
    feature_table = table_from_arrow(engine.con, "features_now", _arrow(features))
    account_terms = to_arrow(engine.con, account_expr).to_pandas()
    value = _stable(
        to_arrow(
            engine.con, profitability.customer_contribution(account_expr, feature_table, policy)
        ).to_pandas()
    )
    scored = features.merge(value, on="customer_id", how="left")
    contribution = scored["contribution"].to_numpy(dtype=float)
    progress.advance(1)
    lap("contribution")

    if churn_model_file is not None:
        model = churn.load_model(churn_model_file)
    else:
        model = _churn_model(engine, src.accounts, as_of, settings, progress)
    churn_scores = churn.score_churn(model, scored[features.columns])
    progress.advance(1)
    lap("churn")

    life = lifetime_values(scored, contribution, policy)
    progress.advance(1)
    lap("lifetime value")
    tiering = tiers.assign_tiers(
        contribution, life["forward_value"], policy.tiering, policy.currency
    )
    concentration = tiers.pareto(contribution)
    progress.advance(1)
    lap("tiers")

    then = as_of - timedelta(days=PROPENSITY_LOOKBACK_DAYS)
    features_then = engine.features(then)
    engine.kept.clear()
    ledger.release()  # the lake's aggregates: every feature table is read by now
    offers = run_offers(
        features,
        features_then,
        then,
        as_of,
        engine.tables["accounts"].to_pandas(),
        engine.tables["products"].to_pandas(),
        product_margins(account_terms),
        pd.Series(contribution, index=features["customer_id"].to_numpy()),
        policy.currency,
        settings.analytics_threads,
        _reachable(engine.tables["customers"]),
        responses=_campaign_responses(sessions, then, as_of),
    )
    del features_then
    segment_of = dict(zip(offers.segments["customer_id"], offers.segments["segment"], strict=True))
    progress.advance(1)
    lap("offers")

    results = pd.DataFrame(
        {
            "customer_id": scored["customer_id"].to_numpy(dtype=np.int64),
            "contribution": contribution,
            "net_interest": scored["net_interest"].to_numpy(dtype=float),
            "fee_income": scored["fee_income"].to_numpy(dtype=float),
            "cost_to_serve": scored["cost_to_serve"].to_numpy(dtype=float),
            "expected_loss": scored["expected_loss"].to_numpy(dtype=float),
            "tier": tiering.tier,
            "band": tiering.band,
            "tier_reason": tiering.reason,
            "p_alive": life["p_alive"],
            "expected_activity": life["expected_activity"],
            "clv": life["clv"],
            "clv_low": life["clv_low"],
            "clv_high": life["clv_high"],
            "churn_probability": churn_scores.probability,
            "churn_reasons": [json.dumps(r) for r in churn_scores.reasons],
            "value_at_risk": churn_scores.probability * np.clip(life["clv"], 0, None),
            # object dtype: pandas 3 would make the Nones of a string column NaN ('nan').
            "segment": pd.Series(
                [segment_of.get(int(c)) for c in scored["customer_id"]], dtype=object
            ),
        }
    )
    facts = _facts(results, concentration, tiering, model, life["fits"])
    branches = _branches(engine.tables["customers"])
    with sessions() as session:
        before = score_repository.run_before(session, as_of)
        tiers_before = score_repository.tiers_on(session, before) if before else {}
    facts["offers"] = len(offers.offers)
    facts["customers_with_offers"] = int(offers.offers["customer_id"].nunique())
    facts["step_seconds"] = laps
    seconds = time.perf_counter() - started
    with sessions() as session:
        run_id = score_repository.replace_results(
            session,
            as_of=as_of,
            engine=settings.analytics_engine,
            policy_hash=policy_hash(policy),
            churn_model=model.path.name if model.path else "",
            seconds=seconds,
            facts=facts,
            scores=results,
            extra={
                "pareto": _pareto_payload(concentration),
                dashboard_cube.KIND: {
                    **dashboard_cube.cube(results, branches),
                    "complaints": dashboard_cube.complaints(
                        engine.tables["cases"].to_pandas(), branches, as_of
                    ),
                    "demand": dashboard_cube.demand(offers.payloads["demand_forecast"]),
                    "migration": (
                        dashboard_cube.migration(results, branches, before, tiers_before)
                        if before
                        else None
                    ),
                },
                "churn_model_card": model.card,
                **offers.payloads,
            },
            offers=offers.offers,
        )
        session.commit()
    progress.advance(1)
    progress.end_file()
    return ScoreSummary(
        as_of=as_of,
        customers=len(results),
        seconds=time.perf_counter() - started,
        run_id=run_id,
        churn_model=model.path.name if model.path else "",
        facts=facts,
    )


def _campaign_responses(sessions: sessionmaker[Session], then: date, as_of: date) -> pd.DataFrame:
    """Campaign answers of the propensity window: an accepted offer is a positive for its
    product even before core banking reports the holding."""
    start = datetime.combine(then + timedelta(days=1), datetime.min.time())
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    with sessions() as session:
        return marketing_repository.response_labels(session, start, end)


def _reachable(customers: Any) -> set[int]:
    """Customers the bank may still sell to: active or dormant."""
    frame = customers.select(["customer_id", "status"]).to_pandas()
    return set(frame.loc[frame["status"].isin(REACHABLE_STATUSES), "customer_id"].astype(int))


def _branches(customers: Any) -> pd.Series:
    """Customer id -> branch id, as the customers were when scored."""
    frame = customers.select(["customer_id", "branch_id"]).to_pandas()
    return pd.Series(frame["branch_id"].to_numpy(), index=frame["customer_id"].to_numpy())


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _pareto_payload(p: tiers.Pareto) -> dict[str, Any]:
    return {
        "customers": p.customers,
        "total_positive": round(p.total_positive, 2),
        "total": round(p.total, 2),
        "share_for_80": round(p.share_for_80, 6),
        "top_20_share": round(p.top_20_share, 6),
        "unprofitable_share": round(p.unprofitable_share, 6),
        "lorenz": [[round(x, 4), round(y, 6)] for x, y in p.curve],
    }


def _facts(
    results: pd.DataFrame,
    concentration: tiers.Pareto,
    tiering: tiers.TierResult,
    model: churn.ChurnModel,
    fits: dict[str, Any],
) -> dict[str, Any]:
    tier_counts = results["tier"].value_counts()
    band_counts = results["band"].value_counts()
    return {
        "customers": len(results),
        "total_contribution": round(float(results["contribution"].sum()), 2),
        "share_for_80": round(concentration.share_for_80, 6),
        "top_20_share": round(concentration.top_20_share, 6),
        "gold_threshold": round(tiering.gold_threshold, 2),
        "tiers": {t: int(tier_counts.get(t, 0)) for t in tiers.TIERS},
        "bands": {b: int(band_counts.get(b, 0)) for b in tiers.BANDS},
        "mean_churn_probability": round(float(results["churn_probability"].mean()), 6),
        "value_at_risk": round(float(results["value_at_risk"].sum()), 2),
        "total_clv": round(float(results["clv"].sum()), 2),
        "churn_test_metrics": model.card.get("metrics", {}),
        "lifetime_fits": fits,
    }
