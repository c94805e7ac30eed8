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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.analytics import churn, clv, profitability, repository, score_repository, tiers
from bankcrm.analytics.features import FeatureSources, account_balances, build_features
from bankcrm.analytics.policy import Policy
from bankcrm.config import Settings
from bankcrm.kit.errors import UserError
from bankcrm.lake.engines import connect_analytics, read_transactions, table_from_arrow, to_arrow

CHURN_SNAPSHOTS = 3  # one test quarter and two training quarters
WEEKS_PER_YEAR = 52
GG_FIT_CAP_QUANTILE = 0.99
MIN_GG_CUSTOMERS = 20


class StepProgress(Protocol):
    def start_file(self, name: str, total: int) -> None: ...
    def advance(self, rows: int) -> None: ...
    def end_file(self) -> None: ...


class _Quiet:
    def start_file(self, name: str, total: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass

    def end_file(self) -> None:
        pass


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

    def features(self, as_of: date) -> pd.DataFrame:
        return to_arrow(self.con, build_features(self.sources, as_of)).to_pandas()


def _open_engine(settings: Settings, sessions: sessionmaker[Session]) -> _Engine:
    with sessions() as session:
        tables = {
            "accounts": repository.accounts(session),
            "customers": repository.customers(session),
            "interactions": repository.interactions(session),
            "cases": repository.cases(session),
        }
    if tables["customers"].num_rows == 0:
        raise UserError("there are no customers to score: import an extract first")
    con = connect_analytics(settings)
    registered = {name: table_from_arrow(con, name, t) for name, t in tables.items()}
    sources = FeatureSources(transactions=read_transactions(con, settings.lake_dir), **registered)
    return _Engine(con, sources)


def _rfm(features: pd.DataFrame) -> tuple[Any, Any, Any]:
    """Repeat active weeks, recency and age in weeks over the 52-week window."""
    weeks = features["active_weeks_12m"].to_numpy(dtype=float)
    first = features["first_active_week"].to_numpy(dtype=float)
    last = features["last_active_week"].to_numpy(dtype=float)
    active = weeks > 0
    frequency = np.where(active, np.maximum(weeks - 1, 0), 0.0)
    t_big = np.where(active, first + 1, WEEKS_PER_YEAR)
    recency = np.where(active & (frequency > 0), first - last, 0.0)
    return frequency, recency, t_big


def _value_per_activity(features: pd.DataFrame, contribution: npt.NDArray[np.float64]) -> Any:
    """Contribution per active week, at today's run rate of deposit balances (0.5x to 2x)."""
    weeks = np.maximum(features["active_weeks_12m"].to_numpy(dtype=float), 1.0)
    now = features["deposit_balance"].to_numpy(dtype=float)
    average = features["avg_deposit_balance_12m"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        run_rate = np.where(average > 0, np.clip(now / average, 0.5, 2.0), 1.0)
    return contribution / weeks * np.where(contribution > 0, run_rate, 1.0)


def lifetime_values(
    features: pd.DataFrame, contribution: npt.NDArray[np.float64], policy: Policy
) -> dict[str, Any]:
    """BG/NBD on active weeks; Gamma-Gamma on value per active week, fitted per value band.

    Value per activity spans orders of magnitude from mass retail to corporates: one
    Gamma-Gamma over all of it has an infinite population mean (q < 1). Within a band the
    spread is narrow enough; a band whose fit still has q <= 1 is refitted with values
    capped at its 99th percentile.
    """
    frequency, recency, t_big = _rfm(features)
    value = _value_per_activity(features, contribution)
    bg = clv.fit_bgnbd(frequency, recency, t_big)
    life = policy.lifetime
    horizon = round(life.horizon_months * WEEKS_PER_YEAR / 12)
    weekly_rate = (1 + life.annual_discount_rate / 100) ** (1 / WEEKS_PER_YEAR) - 1
    n = len(value)
    point, low, high = np.zeros(n), np.zeros(n), np.zeros(n)
    bands = tiers.value_bands(contribution, policy.tiering)
    gg_fits: dict[str, dict[str, float]] = {}
    for index, band in enumerate(tiers.BANDS):
        rows = np.flatnonzero(bands == band)
        if rows.size == 0:
            continue
        gg = _fit_gamma_gamma(frequency[rows], value[rows])
        gg_fits[band] = {k: round(getattr(gg, k), 6) for k in ("p", "q", "gamma")}
        interval = clv.clv_with_interval(
            bg,
            gg,
            frequency[rows],
            recency[rows],
            t_big[rows],
            value[rows],
            horizon,
            weekly_rate,
            level=life.interval_level,
            seed=index,
        )
        point[rows], low[rows], high[rows] = interval.point, interval.low, interval.high
    return {
        "p_alive": bg.probability_alive(frequency, recency, t_big),
        "expected_activity": bg.expected_purchases(horizon, frequency, recency, t_big),
        "clv": point,
        "clv_low": low,
        "clv_high": high,
        "forward_value": point / (life.horizon_months / 12),
        "fits": {
            "bgnbd": {k: round(getattr(bg, k), 6) for k in ("r", "alpha", "a", "b")},
            "gamma_gamma_by_band": gg_fits,
            "horizon_weeks": horizon,
        },
    }


def _fit_gamma_gamma(frequency: Any, value: Any) -> clv.GammaGammaFit:
    rows = (frequency > 0) & (value > 0)
    if rows.sum() < MIN_GG_CUSTOMERS:
        raise UserError(
            f"too few repeat customers with positive value ({int(rows.sum())}) to fit "
            f"Gamma-Gamma (need {MIN_GG_CUSTOMERS})"
        )
    x, m = frequency[rows], value[rows]
    gg = clv.fit_gamma_gamma(x, m)
    if gg.q <= 1:
        gg = clv.fit_gamma_gamma(x, np.minimum(m, np.quantile(m, GG_FIT_CAP_QUANTILE)))
    return gg


def _churn_model(
    engine: _Engine, accounts: Any, as_of: date, settings: Settings, progress: StepProgress
) -> churn.ChurnModel:
    cutoffs = churn.snapshot_cutoffs(as_of, CHURN_SNAPSHOTS)
    progress.start_file("churn snapshots", len(cutoffs))
    snapshots = []
    for cutoff in cutoffs:
        frame = engine.features(cutoff)
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
    progress: StepProgress | None = None,
    churn_model_file: Path | None = None,
) -> ScoreSummary:
    """Score every customer with an open product on `as_of` and store the results."""
    progress = progress or _Quiet()
    started = time.perf_counter()
    steps = ["features", "contribution", "churn", "lifetime value", "tiers", "write"]
    progress.start_file("reading the CRM tables and the lake", 1)
    engine = _open_engine(settings, sessions)
    progress.end_file()
    progress.start_file("scoring", len(steps))
    features = engine.features(as_of)
    if features.empty:
        raise UserError(f"no customer has an open product on {as_of}: nothing to score")
    progress.advance(1)

    src = engine.sources
    terms = table_from_arrow(engine.con, "policy_terms", profitability.category_terms_table(policy))
    risk = table_from_arrow(engine.con, "policy_risk", profitability.risk_table(policy))
    account_terms = profitability.account_contribution(
        src.accounts,
        account_balances(src.transactions, as_of),
        src.customers,
        terms,
        risk,
        policy,
        as_of,
    )
    feature_table = table_from_arrow(engine.con, "features_now", _arrow(features))
    value = to_arrow(
        engine.con, profitability.customer_contribution(account_terms, feature_table, policy)
    ).to_pandas()
    scored = features.merge(value, on="customer_id", how="left")
    contribution = scored["contribution"].to_numpy(dtype=float)
    progress.advance(1)

    if churn_model_file is not None:
        model = churn.load_model(churn_model_file)
    else:
        model = _churn_model(engine, src.accounts, as_of, settings, progress)
    churn_scores = churn.score_churn(model, scored[features.columns])
    progress.advance(1)

    life = lifetime_values(scored, contribution, policy)
    progress.advance(1)
    tiering = tiers.assign_tiers(
        contribution, life["forward_value"], policy.tiering, policy.currency
    )
    concentration = tiers.pareto(contribution)
    progress.advance(1)

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
        }
    )
    facts = _facts(results, concentration, tiering, model, life["fits"])
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
            extra={"pareto": _pareto_payload(concentration), "churn_model_card": model.card},
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


def _arrow(frame: pd.DataFrame) -> Any:
    import pyarrow as pa

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


ProgressFactory = Callable[[], StepProgress]
