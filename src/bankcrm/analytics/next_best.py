"""Next best product: suitable offers ranked by expected value, each with a line of why.

expected value = propensity (probability of taking the product within six months)
                 x product margin (annual contribution of one holding of the product).
A customer keeps the `top_n` offers with the highest expected value (ties: lower
product_id first), at most one per product category, none whose expected value is not
positive and none below `min_propensity` (an offer a customer is very unlikely to take is
not worth a manager's call: no offer is a valid answer). The explanation names the
product, the propensity, the model's top reasons in words (`offer_phrases`) and the annual
value of one holding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bankcrm.analytics.learner import SharedColumns
from bankcrm.analytics.offer_phrases import (
    A_YEAR,
    EXPLANATION,
    EXPLANATION_WHY,
    MONTHS,
    PERCENT,
    REASON_SEPARATOR,
    UNDER_1_PERCENT,
    phrases,
)
from bankcrm.analytics.propensity import (
    PropensityModels,
    model_frame,
    pairs_in,
    score_propensity,
)
from bankcrm.analytics.suitability import Suitability, SuitabilityRules, check_suitability

OFFER_COLUMNS = (
    "customer_id",
    "rank",
    "product_id",
    "propensity",
    "margin",
    "expected_value",
    "explanation",
)


@dataclass(frozen=True)
class OfferConfig:
    top_n: int = 3
    min_propensity: float = 0.01  # within the six-month horizon
    one_per_category: bool = True
    reasons: int = 2  # reasons named in the explanation
    currency: str = "CZK"


@dataclass
class NextBestOffers:
    offers: pd.DataFrame  # OFFER_COLUMNS, rank 1 = best
    suitability: Suitability  # exclusions by reason, for the summary and the dashboard
    no_model: list[int]  # products not offered: too few openings to learn from
    no_margin: list[int]  # products not offered: no margin given


def rank_offers(
    scores: pd.DataFrame,
    product_margin: Mapping[int, float],
    products: pd.DataFrame,
    config: OfferConfig | None = None,
) -> pd.DataFrame:
    """The top offers per customer from (customer_id, product_id, propensity) of suitable
    pairs: columns customer_id, rank, product_id, propensity, margin, expected_value."""
    config = config or OfferConfig()
    margin = scores["product_id"].map(lambda p: product_margin.get(int(p), np.nan))
    ranked = scores.assign(margin=margin.astype("float64"))
    ranked = ranked.assign(expected_value=ranked["propensity"] * ranked["margin"])
    ranked = ranked.loc[
        (ranked["expected_value"] > 0) & (ranked["propensity"] >= config.min_propensity)
    ]
    ranked = ranked.sort_values(
        ["customer_id", "expected_value", "product_id"],
        ascending=[True, False, True],
        kind="stable",
    )
    if config.one_per_category:
        category = ranked["product_id"].map(products.set_index("product_id")["category"])
        ranked = ranked.loc[
            ~ranked.assign(category=category).duplicated(["customer_id", "category"])
        ]
    ranked = ranked.assign(rank=ranked.groupby("customer_id").cumcount() + 1)
    ranked = ranked.loc[ranked["rank"] <= config.top_n]
    columns = ["customer_id", "rank", "product_id", "propensity", "margin", "expected_value"]
    return ranked[columns].reset_index(drop=True)


def _percent(p: float) -> str:
    if p < 0.01:
        return UNDER_1_PERCENT
    return PERCENT.format(p=p)


def _about(amount: float) -> str:
    step = 100 if abs(amount) >= 1_000 else 10
    return f"{round(amount / step) * step:,.0f}"


def _months(days: int) -> str:
    months = round(days / 30.4)
    return A_YEAR if months == 12 else MONTHS.format(n=months)


def explanation(
    product: str,
    propensity: float,
    reasons: list[str],
    margin: float,
    horizon_days: int,
    currency: str,
) -> str:
    """ "Savings Account: 18% likely in 6 months (salary paid in, high balance); worth about
    CZK 1,200 a year"."""
    words = {
        "product": product,
        "percent": _percent(propensity),
        "months": _months(horizon_days),
        "currency": currency,
        "amount": _about(margin),
    }
    if reasons:
        return EXPLANATION_WHY.format(reasons=REASON_SEPARATOR.join(reasons), **words)
    return EXPLANATION.format(**words)


def explain_offers(
    offers: pd.DataFrame,
    models: PropensityModels,
    features_now: pd.DataFrame,
    products: pd.DataFrame,
    config: OfferConfig | None = None,
) -> pd.DataFrame:
    """`offers` with an `explanation` column, from each product model's top reasons."""
    config = config or OfferConfig()
    names = products.set_index("product_id")["name"]
    customers = features_now.drop_duplicates("customer_id")
    position = pd.Index(customers["customer_id"].to_numpy(dtype=np.int64))
    frame = model_frame(customers, models.columns)
    shared = SharedColumns(frame)  # encoded once for every product's model
    text = pd.Series("", index=offers.index, dtype="object")
    for product_id, group in offers.groupby("product_id", sort=True):
        model = models.models[int(product_id)]
        rows = position.get_indexer(group["customer_id"].to_numpy(dtype=np.int64))
        found = model.learner.reasons(shared, top=config.reasons, rows=rows)
        named = sorted({c for why in found for c, _ in why})  # only the columns in words
        values = frame[named].iloc[rows].to_dict("records")
        name = str(names.get(product_id, product_id))
        lines = [
            explanation(
                name,
                float(p),
                phrases([c for c, _ in why], value, model.medians),
                float(m),
                models.horizon_days,
                config.currency,
            )
            for why, value, p, m in zip(
                found, values, group["propensity"], group["margin"], strict=True
            )
        ]
        text.loc[group.index] = lines
    return offers.assign(explanation=text.astype("string"))


def next_best_offers(
    models: PropensityModels,
    features_now: pd.DataFrame,
    holdings_now: pd.DataFrame,
    products: pd.DataFrame,
    product_margin: Mapping[int, float],
    rules: SuitabilityRules | None = None,
    config: OfferConfig | None = None,
    scores: pd.DataFrame | None = None,
) -> NextBestOffers:
    """Suitability first (cheap), then propensity for the suitable pairs only, then ranking
    and explanations. `products`: product_id, product_code, name, category, active.
    `scores`: the propensities of every pair not held (`score_propensity` without pairs),
    when the caller has them already; the suitable pairs are then picked from them."""
    config = config or OfferConfig()
    suitability = check_suitability(features_now, holdings_now, products, rules)
    if scores is None:
        scores = score_propensity(models, features_now, holdings_now, pairs=suitability.suitable)
    else:
        scores = scores.loc[pairs_in(scores, suitability.suitable)].reset_index(drop=True)
    offers = rank_offers(scores, product_margin, products, config)
    offers = explain_offers(offers, models, features_now, products, config)
    catalogue = set(products["product_id"].astype(int))
    return NextBestOffers(
        offers=offers[list(OFFER_COLUMNS)],
        suitability=suitability,
        no_model=sorted(catalogue - set(models.models)),
        no_margin=sorted(p for p in models.models if p not in product_margin),
    )
