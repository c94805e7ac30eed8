"""The compiled forest gives scikit-learn's scores bit for bit, occluded or not, on numeric
and categorical splits, missing values, rare values folded into "other" and values never
seen in training; the learner uses it and its reasons stay those of scikit-learn's path."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pytest

from bankcrm.analytics import forest as compiled
from bankcrm.analytics import learner as learner_module
from bankcrm.analytics import tabular_columns
from bankcrm.analytics.learner import TabularLearner

FloatArray = npt.NDArray[np.float64]


def mixed(n: int, seed: int, *, extra_value: bool = False) -> tuple[pa.Table, FloatArray]:
    """Numbers with missing values, a small category column, a 300-value column (rare
    values become "other") and a flag; `extra_value` adds a category unseen in training."""
    rng = np.random.default_rng(seed)
    amount = rng.normal(size=n)
    amount[rng.random(n) < 0.1] = np.nan
    values = ["gold", "growth", "general", "unprofitable"] + (["new"] if extra_value else [])
    small = np.array(values)
    tier = small[rng.integers(0, small.size, n)]
    tier_cells: list[str | None] = list(tier)
    for i in np.flatnonzero(rng.random(n) < 0.05):
        tier_cells[i] = None
    city = np.array([f"city {i}" for i in range(300)])[rng.integers(0, 300, n)]
    flag = rng.random(n) < 0.3
    logit = 1.5 * np.nan_to_num(amount) + (tier == "gold") * 1.2 + flag - 0.5
    logit += (np.char.str_len(city.astype(str)) % 3) * 0.4
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    table = pa.table(
        {
            "amount": amount,
            "tier": pa.array(tier_cells, pa.string()),
            "city": city,
            "flag": flag,
            "noise": rng.normal(size=n),
        }
    )
    return table, y.astype(float)


@pytest.fixture(scope="module")
def fitted() -> learner_module._Fitted:
    table, y = mixed(6_000, seed=1)
    return TabularLearner(seed=0, n_threads=1, max_iter=60).fit(table, y.astype(bool)).fitted


@pytest.fixture(scope="module")
def matrix(fitted: learner_module._Fitted) -> FloatArray:
    table, _ = mixed(3_000, seed=2, extra_value=True)
    return tabular_columns.encode(table, fitted.features)


def test_scores_equal_scikit_learn_bit_for_bit(
    fitted: learner_module._Fitted, matrix: FloatArray
) -> None:
    forest = compiled.from_booster(fitted.booster, len(fitted.features))
    with compiled.threads(1):
        ours = compiled.scores(forest, matrix)
    theirs = np.asarray(fitted.booster.decision_function(matrix), dtype=np.float64)
    assert np.array_equal(ours, theirs)
    assert np.isnan(matrix).any(), "the rows include missing values"
    assert (forest.category_row >= 0).any(), "the trees split on categories too"


def test_occluded_scores_equal_predicting_the_changed_rows(
    fitted: learner_module._Fitted, matrix: FloatArray
) -> None:
    n = len(fitted.features)
    forest = compiled.from_booster(fitted.booster, n)
    columns = np.arange(n, dtype=np.intp)
    values = fitted.reference.copy()
    values[0] = np.nan  # occluding with "missing" too
    with compiled.threads(1):
        base, occluded = compiled.occluded_scores(forest, matrix, columns, values)
    assert np.array_equal(base, fitted.booster.decision_function(matrix))
    for k, j in enumerate(columns):
        changed = matrix.copy()
        changed[:, j] = values[k]
        assert np.array_equal(occluded[:, k], fitted.booster.decision_function(changed)), j


def test_the_learner_uses_the_forest_and_its_numbers_do_not_change(
    fitted: learner_module._Fitted, matrix: FloatArray
) -> None:
    """Probabilities and occlusion drops through the forest equal scikit-learn's path."""
    assert learner_module._forest(fitted.booster, len(fitted.features)) is not None
    through_forest = learner_module._predict(fitted, matrix)
    score = np.asarray(fitted.booster.decision_function(matrix), dtype=np.float64)
    assert np.array_equal(through_forest, learner_module._calibrate(fitted, score))
    learner = TabularLearner(seed=0, n_threads=1)
    learner._fitted = fitted
    chosen = learner._reason_features()
    drops = np.zeros((matrix.shape[0], chosen.size))
    learner._occlude(matrix, fitted.reference, chosen, drops)
    for k, j in enumerate(chosen):
        expected = learner_module._drop(fitted, matrix, through_forest, j, fitted.reference[j])
        assert np.array_equal(drops[:, k], expected), j


def test_split_columns_are_the_columns_a_tree_reads(fitted: learner_module._Fitted) -> None:
    n = len(fitted.features)
    forest = compiled.from_booster(fitted.booster, n)
    read = set()
    for node, column in enumerate(forest.column):
        if not forest.flags[node] & 1:
            read.add(int(column))
    assert learner_module.split_columns(fitted.booster, n) == sorted(read)


def test_threads_are_restored() -> None:
    import numba

    before = numba.get_num_threads()
    with compiled.threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before


def test_compiles_uncached_where_no_cache_folder_is_writable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """numba refuses cache=True when it finds no writable folder (a read-only install with
    no home); the forest then compiles without a cache instead of failing to import."""
    import numba

    real = numba.njit

    def refusing(*args: object, **options: object) -> object:
        if options.get("cache"):
            raise RuntimeError("cannot cache function 'f': no locator available for file 'x'")
        return real(*args, **options)

    monkeypatch.setattr(numba, "njit", refusing)

    def twice(x: float) -> float:
        return 2 * x

    assert compiled._compiled(twice)(21.0) == 42.0
