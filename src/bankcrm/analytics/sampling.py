"""Training samples with both classes capped, weighted back to the population.

A million customers give tens of thousands of positives (openings of a common product,
churners of a quarter): beyond some tens of thousands per class a gradient-boosted model
learns little more, while every extra row costs fit time. So each class keeps at most its
cap (a seeded random sample) and every kept row weighs (rows of its class / kept rows of
its class). The learner's calibrator uses the weights, so probabilities stay on the
population's scale (see `TabularLearner.fit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Sample:
    rows: npt.NDArray[np.intp]  # positions into the labels, ascending
    weight: npt.NDArray[np.float64]  # aligned with rows
    positives_kept: int
    negatives_kept: int


def capped_sample(
    labels: npt.NDArray[np.bool_],
    max_positives: int,
    max_negatives: int,
    rng: np.random.Generator,
) -> Sample:
    """At most `max_positives` positives and `max_negatives` negatives, with weights."""
    rows: list[npt.NDArray[np.intp]] = []
    weights: list[npt.NDArray[np.float64]] = []
    kept: list[int] = []
    for members, cap in ((np.flatnonzero(labels), max_positives),
                         (np.flatnonzero(~labels), max_negatives)):  # fmt: skip
        chosen = members
        if members.size > cap:
            chosen = rng.choice(members, cap, replace=False)
        rows.append(chosen)
        share = members.size / chosen.size if chosen.size else 1.0
        weights.append(np.full(chosen.size, share))
        kept.append(int(chosen.size))
    order_rows = np.concatenate(rows)
    order = np.argsort(order_rows, kind="stable")
    return Sample(
        rows=np.asarray(order_rows[order], dtype=np.intp),
        weight=np.concatenate(weights)[order],
        positives_kept=kept[0],
        negatives_kept=kept[1],
    )
