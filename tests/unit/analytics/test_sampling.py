"""Capped training samples: caps per class, weights that add back up to the population."""

from __future__ import annotations

import numpy as np
import pytest

from bankcrm.analytics.sampling import capped_sample


@pytest.mark.parametrize(
    ("positives", "negatives", "max_positives", "max_negatives"),
    [(300, 5_000, 100, 1_000), (50, 5_000, 100, 1_000), (300, 200, 100, 1_000), (0, 10, 5, 5)],
)
def test_each_class_is_capped_and_weighs_back_to_its_size(
    positives: int, negatives: int, max_positives: int, max_negatives: int
) -> None:
    labels = np.zeros(positives + negatives, dtype=bool)
    labels[np.random.default_rng(1).choice(labels.size, positives, replace=False)] = True
    sample = capped_sample(labels, max_positives, max_negatives, np.random.default_rng(0))
    kept = labels[sample.rows]
    assert sample.positives_kept == int(kept.sum()) == min(positives, max_positives)
    assert sample.negatives_kept == int((~kept).sum()) == min(negatives, max_negatives)
    assert np.all(np.diff(sample.rows) > 0)  # ascending, no row twice
    assert sample.weight[kept].sum() == pytest.approx(positives)
    assert sample.weight[~kept].sum() == pytest.approx(negatives)


def test_the_same_seed_gives_the_same_sample() -> None:
    labels = np.random.default_rng(2).random(10_000) < 0.1
    one = capped_sample(labels, 200, 2_000, np.random.default_rng(5))
    two = capped_sample(labels, 200, 2_000, np.random.default_rng(5))
    assert np.array_equal(one.rows, two.rows) and np.array_equal(one.weight, two.weight)
