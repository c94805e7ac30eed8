"""The bank-wide results `bankcrm score` stored (analytics_results payloads, JSON) read
back as the dashboard's models. A payload from an older or newer run may lack a field or
hold NaN: that shows as no number, never as an error."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bankcrm.analytics.dashboard_cube import DEMAND_FIELDS
from bankcrm.dashboard import repository
from bankcrm.dashboard.repository import BranchTier
from bankcrm.dashboard.schemas import Lorenz, ProductDemand, Rule, Segment

RULES = 20  # association rules shown, highest lift first
KINDS = ("pareto", "segments", "associations")


@dataclass(frozen=True)
class Cube:
    """The run's per-branch sums (analytics/dashboard_cube.py)."""

    branch_tiers: list[BranchTier]
    band_bins: list[tuple[int, str, int, int]]  # branch, band, CLV bin, customers
    complaints: list[tuple[int, int, str, int]] | None  # branch, month, topic, complaints
    demand: list[dict[str, Any]] | None  # the forecast's cells summed per branch, product
    migration: StoredMigration | None  # tier moves from the run before this one


@dataclass(frozen=True)
class StoredMigration:
    """Tier moves from the run of `before` per branch, and that run's tiers per branch."""

    before: date
    moves: list[tuple[int, str, str, int]]  # branch, tier then, tier now, customers
    counts: list[tuple[int, str, int]]  # branch, tier then, customers


def cube(payload: dict[str, Any] | None) -> Cube | None:
    """The stored cube; None when the run has none or it is malformed. Complaints and demand
    are None when the run stored the cube without them."""
    if not payload:
        return None
    try:
        tiers = [
            BranchTier(int(b), str(t), int(n), float(c), float(p), float(v), float(w))
            for b, t, n, c, p, v, w in payload["branch_tiers"]
        ]
        bins = [(int(b), str(band), int(k), int(n)) for b, band, k, n in payload["band_bins"]]
        complaints = payload.get("complaints")
        if complaints is not None:
            complaints = [(int(b), int(m), str(t), int(n)) for b, m, t, n in complaints]
        demand = payload.get("demand")
        if demand is not None:
            demand = [
                {
                    "branch_id": int(b),
                    "product_id": int(p),
                    **dict(zip(DEMAND_FIELDS, v, strict=True)),
                }
                for b, p, *v in demand
            ]
        moved = payload.get("migration")
        migration = None
        if moved is not None:
            migration = StoredMigration(
                date.fromisoformat(moved["from"]),
                [(int(b), str(f), str(t), int(n)) for b, f, t, n in moved["moves"]],
                [(int(b), str(t), int(n)) for b, t, n in moved["before"]],
            )
    except (KeyError, TypeError, ValueError):
        return None
    return Cube(tiers, bins, complaints, demand, migration)


def finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def demand(
    session: Session, cells: list[dict[str, Any]], branch_id: int | None
) -> list[ProductDemand]:
    """The forecast's cells (product x segment x branch) summed per product, most expected
    take-up first; a branch manager's from their branch's cells only."""
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0] * 4)
    for cell in cells:
        if branch_id is not None and cell.get("branch_id") != branch_id:
            continue
        s = sums[int(cell["product_id"])]
        for i, key in enumerate(DEMAND_FIELDS):
            s[i] += finite(cell.get(key)) or 0.0
    names = repository.product_names(session, sorted(sums))
    rows = [
        ProductDemand(
            product_id=p,
            product=names.get(p, str(p)),
            customers=int(s[0]),
            expected=round(s[1], 2),
            opened_last_quarter=int(s[2]),
            opened_year_ago=int(s[3]),
        )
        for p, s in sums.items()
    ]
    return sorted(rows, key=lambda r: (-r.expected, r.product))


def lorenz(payload: dict[str, Any] | None) -> Lorenz | None:
    if not payload:
        return None
    return Lorenz(
        customers=int(payload.get("customers", 0)),
        share_for_80=finite(payload.get("share_for_80")) or 0.0,
        top_20_share=finite(payload.get("top_20_share")) or 0.0,
        unprofitable_share=finite(payload.get("unprofitable_share")) or 0.0,
        curve=[(float(x), float(y)) for x, y in payload.get("lorenz", [])],
    )


def segments(records: list[dict[str, Any]]) -> list[Segment]:
    return [
        Segment(
            segment_id=int(r["segment_id"]),
            name=str(r.get("segment", "")),
            description=str(r.get("description", "")),
            customers=int(r.get("customers", 0)),
            share=finite(r.get("share")) or 0.0,
            mean_contribution=finite(r.get("mean_contribution")),
        )
        for r in records
    ]


def rules(records: list[dict[str, Any]]) -> list[Rule]:
    return [
        Rule(
            antecedent=[str(a) for a in r["antecedent"]],
            consequent=str(r["consequent"]),
            support=finite(r.get("support")) or 0.0,
            confidence=finite(r.get("confidence")) or 0.0,
            lift=finite(r.get("lift")) or 0.0,
            sentence=str(r.get("sentence", "")),
        )
        for r in records[:RULES]
    ]
