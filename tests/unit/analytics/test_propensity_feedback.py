"""Campaign outcomes as propensity labels: an accepted offer in the window is a positive,
a decline or an answer outside the window changes nothing, holders stay out."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from bankcrm.analytics.propensity import accepted_offers, training_sets

SNAPSHOT = date(2026, 1, 1)  # the window is (1 Jan, 2 Jul] with the 182-day horizon
PRODUCT = 7


def _accounts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2],
            "product_id": [PRODUCT, PRODUCT],
            "opened_on": [date(2026, 3, 1), date(2020, 1, 1)],  # 1 opens; 2 already holds
            "closed_on": [None, None],
        }
    )


def _responses() -> pd.DataFrame:
    rows = [
        (1, PRODUCT, date(2026, 2, 1), False),  # declined, then opened anyway
        (2, PRODUCT, date(2026, 2, 1), True),  # a holder: not in the training rows
        (3, PRODUCT, date(2026, 2, 1), True),  # accepted: a positive before the holding shows
        (4, PRODUCT, date(2026, 2, 1), False),  # declined: a negative
        (5, PRODUCT, date(2025, 12, 31), True),  # before the window
        (6, PRODUCT, date(2026, 7, 3), True),  # after the window
        (6, 8, date(2026, 2, 1), True),  # another product
    ]
    return pd.DataFrame(rows, columns=["customer_id", "product_id", "responded_on", "accepted"])


def _labels(responses: pd.DataFrame | None) -> dict[int, bool]:
    features = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6]})
    [(product, rows, label)] = list(
        training_sets(features, _accounts(), SNAPSHOT, [PRODUCT], responses=responses)
    )
    assert product == PRODUCT
    customers = features["customer_id"].to_numpy()[rows]
    return dict(zip(customers.tolist(), label.tolist(), strict=True))


def test_accepted_offers_in_the_window_are_positives() -> None:
    assert _labels(None) == {1: True, 3: False, 4: False, 5: False, 6: False}
    assert _labels(_responses()) == {1: True, 3: True, 4: False, 5: False, 6: False}


def test_no_responses_change_nothing() -> None:
    empty = _responses().iloc[0:0]
    assert _labels(empty) == _labels(None)


def test_accepted_offers_are_the_window_acceptances() -> None:
    pairs = accepted_offers(_responses(), SNAPSHOT, date(2026, 7, 2))
    assert sorted(map(tuple, pairs.to_numpy(dtype=np.int64).tolist())) == [
        (2, PRODUCT),
        (3, PRODUCT),
        (6, 8),
    ]
