"""The management dashboard's per-branch sums of a scoring run, made once by `bankcrm score`
and stored with its other bank-wide results (kind "dashboard_cube").

Summing 100,000 scores per branch and tier and binning their lifetime values took the
dashboard about 130 ms of database time on every view; the run has every score in memory
anyway, so it adds them up once. Each customer counts in the branch they had when scored.
A run stored before this existed has no cube: the dashboard then sums the scores itself.
"""

from __future__ import annotations

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
