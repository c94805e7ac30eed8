"""Tiers (gold / growth / general / unprofitable), value bands, Pareto and Lorenz data.

Rules (DESIGN.md, "Tiers and service schemes"; parameters in the policy's [tiering]):
- gold: the highest contributors that together produce `gold_share_of_profit` (80%) of
  all positive contribution, the customer who crosses the line included;
- growth: not gold, and forward value a year at least `growth_ratio` times today's
  contribution and at least `growth_min_forward_value`;
- general: positive contribution; unprofitable: the rest (no growth case).
Value bands rank customers by contribution: top 1%, important to 10%, core to 40%, mass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bankcrm.analytics.policy import Tiering

TIERS = ("gold", "growth", "general", "unprofitable")
BANDS = ("top", "important", "core", "mass")
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TierResult:
    tier: npt.NDArray[np.str_]
    band: npt.NDArray[np.str_]
    reason: list[str]
    gold_threshold: float  # the smallest contribution that is gold
    gold_customer_share: float  # share of customers that produce the gold profit share


@dataclass(frozen=True)
class Pareto:
    """Lorenz curve of contribution: customers ranked from the highest contributor down."""

    customers: int
    total_positive: float
    total: float
    share_for_80: float  # share of customers producing 80% of positive contribution
    top_20_share: float  # share of positive contribution produced by the top 20%
    unprofitable_share: float
    curve: list[tuple[float, float]]  # (share of customers, cumulative share of contribution)


# Why a customer is in a tier; the amounts are written by `_money` ("CZK 1,234").
TIER_REASONS: dict[str, str] = {
    "gold": (
        "Contribution {contribution} over 12 months: among the {customer_share:.1%} of "
        "customers who produce {profit_share:.0%} of the bank's profit."
    ),
    "growth": (
        "Forward value {forward} a year is well above today's contribution of "
        "{contribution}: worth developing."
    ),
    "general": (
        "Positive contribution {contribution} over 12 months, below the gold line of {threshold}."
    ),
    "unprofitable": (
        "Contribution {contribution} over 12 months and forward value {forward} a year: "
        "no growth case."
    ),
}
MONEY = "{sign}{currency} {amount:,.0f}"
MONEY_FIELDS = ("contribution", "forward", "threshold")  # the fields written by `_money`


def _money(value: float, currency: str) -> str:
    return MONEY.format(sign="-" if value < 0 else "", currency=currency, amount=abs(value))


def assign_tiers(
    contribution: FloatArray,
    forward_value: FloatArray,
    policy: Tiering,
    currency: str = "CZK",
) -> TierResult:
    """Tier, band and a sentence saying why, for each customer."""
    n = len(contribution)
    order = np.argsort(-contribution, kind="stable")
    ranked = contribution[order]
    positive = np.clip(ranked, 0, None)
    total_positive = float(positive.sum())
    gold_sorted = np.zeros(n, dtype=bool)
    if total_positive > 0:
        before = np.concatenate(([0.0], np.cumsum(positive)[:-1])) / total_positive
        gold_sorted = (before < policy.gold_share_of_profit) & (ranked > 0)
    gold = np.zeros(n, dtype=bool)
    gold[order] = gold_sorted
    gold_count = int(gold.sum())
    threshold = float(ranked[gold_count - 1]) if gold_count else float("inf")

    current = np.clip(contribution, 0, None)
    growth = (
        ~gold
        & (forward_value >= policy.growth_ratio * current)
        & (forward_value >= policy.growth_min_forward_value)
    )
    general = ~gold & ~growth & (contribution > 0)
    tier = np.select([gold, growth, general], TIERS[:3], default=TIERS[3]).astype(str)

    band = value_bands(contribution, policy)

    gold_share = gold_count / n if n else 0.0
    reasons = []
    threshold_words = _money(threshold, currency)
    for i in range(n):
        c, f = float(contribution[i]), float(forward_value[i])
        words = {
            "contribution": _money(c, currency),
            "forward": _money(f, currency),
            "threshold": threshold_words,
            "customer_share": gold_share,
            "profit_share": policy.gold_share_of_profit,
        }
        which = "gold" if gold[i] else "growth" if growth[i] else "general" if general[i] else None
        reasons.append(TIER_REASONS[which or "unprofitable"].format(**words))
    return TierResult(tier, band, reasons, threshold, gold_share)


def value_bands(contribution: FloatArray, policy: Tiering) -> npt.NDArray[np.str_]:
    """top / important / core / mass by contribution rank (ties keep input order)."""
    n = len(contribution)
    order = np.argsort(-contribution, kind="stable")
    rank_share = np.empty(n)
    rank_share[order] = (np.arange(n) + 1) / max(n, 1)
    return np.select(
        [rank_share <= policy.band_top, rank_share <= policy.band_important,
         rank_share <= policy.band_core],
        BANDS[:3],
        default=BANDS[3],
    ).astype(str)  # fmt: skip


def pareto(contribution: FloatArray, points: int = 101) -> Pareto:
    """Concentration of contribution, and the Lorenz curve sampled at `points` shares."""
    n = len(contribution)
    ranked = np.sort(contribution)[::-1]
    positive = np.clip(ranked, 0, None)
    total_positive = float(positive.sum())
    cumulative = np.cumsum(positive) / total_positive if total_positive > 0 else np.zeros(n)
    share_for_80 = float((np.searchsorted(cumulative, 0.8) + 1) / n) if total_positive > 0 else 0.0
    top20 = max(int(np.ceil(0.2 * n)), 1) if n else 0
    top_20_share = float(cumulative[top20 - 1]) if top20 else 0.0
    shares = np.linspace(0, 1, points)
    index = np.clip(np.ceil(shares * n).astype(int) - 1, -1, n - 1)
    curve = [
        (float(s), 0.0 if i < 0 else float(cumulative[i]))
        for s, i in zip(shares, index, strict=True)
    ]
    return Pareto(
        customers=n,
        total_positive=total_positive,
        total=float(ranked.sum()),
        share_for_80=share_for_80,
        top_20_share=top_20_share,
        unprofitable_share=float((contribution <= 0).mean()) if n else 0.0,
        curve=curve,
    )
