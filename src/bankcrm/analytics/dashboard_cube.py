"""The management dashboard's per-branch sums of a scoring run, made once by `bankcrm score`
and stored with its other bank-wide results (kind "dashboard_cube").

Summing 100,000 scores per branch and tier, binning their lifetime values, counting a
year's complaints per branch and parsing the whole demand forecast took the dashboard most
of its time on every view; the run has all of it in memory anyway, so it adds them up
once. Each customer counts in the branch they had when scored; complaints are those
recorded when the run scored (the service-quality page counts them live). A run stored
before this existed has no cube: the dashboard then asks the database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

KIND = "dashboard_cube"

# CLV histogram edges: 1 - 2.5 - 5 steps, so a skewed distribution shows both its many
# small values and its few large ones. Bin 0 is below 0, bin i is [EDGES[i-1], EDGES[i]),
# the last bin is EDGES[-1] and above.
CLV_EDGES: tuple[float, ...] = (
    0.0,
    *(step * 10.0**power for power in range(2, 9) for step in (1.0, 2.5, 5.0)),
)
SUMMED = ("contribution", "churn_probability", "value_at_risk", "clv")
DEMAND_FIELDS = ("customers", "expected", "opened_last_quarter", "opened_year_ago")
COMPLAINT_MONTHS = 12  # complaints by topic: the twelve months up to the scoring date's


def clv_bins(clv: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Each value's bin: the index of the first edge above it (NaN in the last bin, as
    SQL's CASE puts a NULL)."""
    bins = np.searchsorted(np.asarray(CLV_EDGES), clv, side="right")
    return np.where(np.isnan(clv), len(CLV_EDGES), bins)


def cube(scores: pd.DataFrame, branch_of: pd.Series) -> dict[str, Any]:
    """`scores` (customer_id, tier, band and the SUMMED columns) per branch and tier, and
    per branch, band and CLV bin; `branch_of` maps customer id to branch id."""
    frame = scores[["customer_id", "tier", "band", *SUMMED]].copy()
    frame["branch_id"] = frame["customer_id"].map(branch_of).fillna(-1).astype(np.int64)
    frame["bin"] = clv_bins(frame["clv"].to_numpy(dtype=float))
    tiers = (
        frame.groupby(["branch_id", "tier"], sort=True)
        .agg(customers=("customer_id", "size"), **{c: (c, "sum") for c in SUMMED})
        .reset_index()
    )
    bins = frame.groupby(["branch_id", "band", "bin"], sort=True).size().reset_index(name="n")
    return {
        "branch_tiers": [
            [int(r.branch_id), str(r.tier), int(r.customers)]
            + [round(float(getattr(r, c)), 6) for c in SUMMED]
            for r in tiers.itertuples(index=False)
        ],
        "band_bins": [
            [int(r.branch_id), str(r.band), int(r.bin), int(r.n)]
            for r in bins.itertuples(index=False)
        ],
    }


def month_index(day: date, back: int) -> tuple[int, int]:
    """(year, month) `back` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - back
    return index // 12, index % 12 + 1


def complaints(cases: pd.DataFrame, branch_of: pd.Series, as_of: date) -> list[list[Any]]:
    """[branch, month, topic, complaints] of the complaints opened in the COMPLAINT_MONTHS
    calendar months up to `as_of`'s (month 0 the earliest), as recorded when scored.
    `cases`: customer_id, kind, topic, opened_on."""
    first = date(*month_index(as_of, COMPLAINT_MONTHS - 1), 1)
    after = date(*month_index(as_of, -1), 1)
    opened = pd.to_datetime(cases["opened_on"])
    chosen = cases[
        (cases["kind"] == "complaint")
        & (opened >= pd.Timestamp(first))
        & (opened < pd.Timestamp(after))
    ]
    if chosen.empty:
        return []
    when = pd.to_datetime(chosen["opened_on"])
    frame = pd.DataFrame(
        {
            "branch_id": chosen["customer_id"].map(branch_of).fillna(-1).astype(np.int64),
            "month": (when.dt.year * 12 + when.dt.month - 1) - (first.year * 12 + first.month - 1),
            "topic": chosen["topic"].fillna("").astype(str),
        }
    )
    counts = frame.groupby(["branch_id", "month", "topic"], sort=True).size()
    return [[int(b), int(m), str(t), int(n)] for (b, m, t), n in counts.items()]


def demand(cells: list[dict[str, Any]]) -> list[list[Any]]:
    """The demand forecast's cells (product x segment x branch) summed per branch and
    product: [branch, product, customers, expected, opened last quarter, a year ago]."""
    sums: dict[tuple[int, int], list[float]] = {}
    for cell in cells:
        key = (int(cell.get("branch_id") or -1), int(cell["product_id"]))
        s = sums.setdefault(key, [0.0] * 4)
        for i, name in enumerate(DEMAND_FIELDS):
            value = cell.get(name)
            if isinstance(value, int | float) and np.isfinite(value):
                s[i] += float(value)
    return [[b, p, *[round(v, 6) for v in s]] for (b, p), s in sorted(sums.items())]


def migration(
    scores: pd.DataFrame, branch_of: pd.Series, before: date, tiers_before: dict[int, str]
) -> dict[str, Any]:
    """Tier moves from the run of `before` to this one per branch (customers scored on both
    dates) and that run's tier counts per branch: the dashboard's default comparison."""
    earlier = pd.DataFrame(
        {"customer_id": list(tiers_before), "from_tier": list(tiers_before.values())}
    )
    earlier["branch_id"] = earlier["customer_id"].map(branch_of).fillna(-1).astype(np.int64)
    pairs = scores[["customer_id", "tier"]].merge(earlier, on="customer_id", how="inner")
    moves = pairs.groupby(["branch_id", "from_tier", "tier"], sort=True).size()
    counts = earlier.groupby(["branch_id", "from_tier"], sort=True).size()
    return {
        "from": before.isoformat(),
        "moves": [[int(b), str(f), str(t), int(n)] for (b, f, t), n in moves.items()],
        "before": [[int(b), str(t), int(n)] for (b, t), n in counts.items()],
    }
