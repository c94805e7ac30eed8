"""The pipeline's next-best-product step: propensity models, offers, segments, product
associations and the demand forecast, from the tables the scoring run already holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from bankcrm.analytics.associations import association_rules
from bankcrm.analytics.forecast import demand_forecast
from bankcrm.analytics.next_best import OfferConfig, next_best_offers
from bankcrm.analytics.propensity import (
    TrainingConfig,
    accepted_offers,
    open_holdings,
    score_propensity,
    train_propensity,
)
from bankcrm.analytics.segments import SegmentConfig, segment_customers

TOP_RULES = 60  # association rules kept for the dashboard


@dataclass
class OfferResults:
    offers: pd.DataFrame  # customer_id, rank, product_id, propensity, expected_value, ...
    segments: pd.DataFrame  # customer_id, segment_id, segment
    payloads: dict[str, Any]  # bank-wide results for analytics_results, by kind


def product_margins(account_terms: pd.DataFrame) -> dict[int, float]:
    """Annual contribution of one holding of each product: the product's accounts' terms
    over the 12 months, divided by the years they were open."""
    value = (
        account_terms["net_interest"]
        + account_terms["fee_income"]
        - account_terms["account_cost"]
        - account_terms["expected_loss"]
    )
    frame = pd.DataFrame(
        {"product_id": account_terms["product_id"], "value": value, "years": account_terms["years"]}
    )
    sums = frame.groupby("product_id")[["value", "years"]].sum()
    sums = sums[sums["years"] > 0]
    return {int(pid): float(row.value / row.years) for pid, row in sums.iterrows()}


def _records(frame: pd.DataFrame, limit: int | None = None) -> list[dict[str, Any]]:
    part = frame if limit is None else frame.head(limit)
    out = []
    for row in part.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float):
                value = round(value, 6)
            if isinstance(value, tuple):
                value = list(value)
            if isinstance(value, date):
                value = value.isoformat()
            clean[str(key)] = value
        out.append(clean)
    return out


def _acceptances(responses: pd.DataFrame | None, then: date, as_of: date) -> int:
    """Accepted campaign offers the models learned from (answered in (then, as_of])."""
    if responses is None or responses.empty:
        return 0
    return len(accepted_offers(responses, then, as_of))


def run_offers(
    features_now: pd.DataFrame,
    features_then: pd.DataFrame,
    then: date,
    as_of: date,
    accounts: pd.DataFrame,
    products: pd.DataFrame,
    margins: dict[int, float],
    contribution: pd.Series,
    currency: str,
    threads: int | None,
    reachable: set[int],
    responses: pd.DataFrame | None = None,
) -> OfferResults:
    """Train on the snapshot `then` (openings up to `as_of`, and campaign offers accepted
    in that window: `responses`, see `propensity.accepted_offers`), score and rank for
    today.

    Offers go only to `reachable` customers (active or dormant, not deceased or closed):
    an estate still holding an account is not a sales prospect."""
    models = train_propensity(
        features_then,
        accounts,
        then,
        config=TrainingConfig(seed=0, threads=threads),
        responses=responses,
    )
    holdings_now = open_holdings(accounts, as_of)
    scores = score_propensity(models, features_now, holdings_now)  # offers and forecast
    offers = next_best_offers(
        models,
        features_now,
        holdings_now,
        products,
        margins,
        config=OfferConfig(currency=currency),
        scores=scores,
    )
    segments = segment_customers(
        features_now, SegmentConfig(seed=0, threads=threads or 1), contribution=contribution
    )
    held = holdings_now.merge(
        products[["product_id", "product_code", "category"]], on="product_id", how="left"
    )
    rules = association_rules(held)
    groups = segments.assignments[["customer_id", "segment_id"]].merge(
        features_now[["customer_id", "branch_id"]], on="customer_id"
    )
    forecast = demand_forecast(scores, groups, accounts, as_of)
    exclusions = offers.suitability.customers_excluded
    ranked = offers.offers
    unreachable = ~ranked["customer_id"].isin(reachable)
    if unreachable.any():
        gone = pd.DataFrame(
            {"reason": ["customer_deceased_or_closed"],
             "customers": [int(ranked.loc[unreachable, "customer_id"].nunique())]}
        )  # fmt: skip
        exclusions = pd.concat([exclusions, gone], ignore_index=True)
        ranked = ranked[~unreachable]
    return OfferResults(
        offers=ranked,
        segments=segments.assignments,
        payloads={
            "segments": _records(segments.profiles),
            "associations": _records(rules, TOP_RULES),
            "demand_forecast": _records(forecast),
            "offer_exclusions": _records(exclusions),
            "propensity_models": {
                "snapshot": then.isoformat(),
                "products_modelled": sorted(int(p) for p in models.models),
                "products_skipped": {str(k): int(v) for k, v in models.skipped.items()},
                "positives": {str(k): int(m.positives) for k, m in sorted(models.models.items())},
                "campaign_acceptances": _acceptances(responses, then, as_of),
            },
        },
    )
