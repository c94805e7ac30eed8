"""Lifetime value in the pipeline: RFM in weeks from the features, Gamma-Gamma per band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bankcrm.analytics.lifetime import lifetime_values
from bankcrm.analytics.policy import Policy
from bankcrm.kit.errors import UserError


def _features(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    # Active weeks fit between the first and the last active week, as in the lake.
    weeks = rng.integers(0, 40, n)
    first = np.maximum(weeks - 1, 0) + rng.integers(0, 13, n)
    last = np.minimum(rng.geometric(0.4, n) - 1, first - np.maximum(weeks - 1, 0))
    first = np.where(weeks > 0, first, np.nan)
    last = np.where(weeks > 0, last, np.nan)
    balance = rng.lognormal(10, 1, n)
    frame = pd.DataFrame(
        {
            "active_weeks_12m": weeks,
            "first_active_week": first,
            "last_active_week": last,
            "deposit_balance": balance,
            "avg_deposit_balance_12m": balance * rng.uniform(0.8, 1.2, n),
        }
    )
    contribution = rng.lognormal(8, 1.2, n) * np.where(rng.random(n) < 0.05, -1, 1)
    return frame, contribution


def test_too_few_repeat_customers_is_a_clear_error() -> None:
    features, contribution = _features(10)
    features["active_weeks_12m"] = 1  # nobody came back: no repeat activity to fit
    features["first_active_week"] = 10.0
    features["last_active_week"] = 10.0
    with pytest.raises(UserError, match="too few repeat customers"):
        lifetime_values(features, contribution, Policy())
