"""Feature frames made independent of the engine's row order and float summation order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bankcrm.analytics.pipeline import SIGNIFICANT_DIGITS, _significant, _stable


def test_stable_sorts_and_rounds_like_rounding_every_column() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "customer_id": rng.permutation(1_000),
            "count": rng.integers(0, 50, 1_000).astype(float),
            "amount": rng.normal(0, 1e5, 1_000) + 1e-12,
            "huge": np.full(1_000, 1.2345678912e12),  # whole, but beyond nine digits
            "gaps": np.where(rng.random(1_000) < 0.2, np.nan, 3.0),
        }
    )
    stable = _stable(frame.copy())
    assert stable["customer_id"].tolist() == list(range(1_000))
    expected = frame.sort_values("customer_id").reset_index(drop=True)
    for name in ("count", "amount", "huge", "gaps"):
        rounded = _significant(expected[name].to_numpy(), SIGNIFICANT_DIGITS)
        np.testing.assert_array_equal(stable[name].to_numpy(), rounded)
    assert stable["huge"].iat[0] == 1.23456789e12
