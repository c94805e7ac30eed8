"""The bank's one tabular classifier: churn, product propensity and any labelled history.

One learner for every classification model so that preprocessing, calibration, reasons,
model files and schema checks behave the same everywhere. It is a scikit-learn
`HistGradientBoostingClassifier` (fast on 10^5-10^6 rows, native missing values and
categories) with its own column handling and a held-out probability calibration.

Columns (pyarrow Table, pandas DataFrame or a mapping of name -> 1-D array):

- numeric: integers, floats, booleans, decimals, dates and timestamps (as days since
  1970-01-01). Passed as float; missing stays NaN, which the booster routes on its own;
  +/-inf counts as missing.
- categorical: strings, pandas categories / Arrow dictionaries. Ordinal-encoded by
  frequency (code 0 = most frequent value) and declared categorical to the booster.
  Columns with more than 255 distinct values keep the 254 most frequent and fold the rest
  into "other" (code 254). Missing values and, at prediction time, values never seen in
  training get the reserved missing code (NaN, which the booster treats as a category of
  its own when it saw missing values in training); in a column that has "other", unseen
  values go to "other" instead, since they are rare values by construction.

Calibration: the booster is fitted on a stratified 80% of the rows and a calibrator on
the other 20% (isotonic regression on the booster's log-odds when that part has at least
1,000 rows and both classes, else a Platt sigmoid). One fit of the booster, not five as
cross-validated calibration would need. The same 20% decides early stopping (at most 300
rounds, stop after 20 without improvement in log-loss), so the booster learns from all of
the 80% and does not chase noise on small tables; with calibration="none", early stopping
holds back 10% of the rows when there are more than 10,000 (else all 300 rounds run).
Sample weights (a sample of the negatives standing for all of them) reach only the
calibrator, which corrects the sample's prior (see `TabularLearner.fit`).

Reasons are found by occlusion: set one column to a typical value for all rows at once and
see how much each row's probability drops.
"""

from __future__ import annotations

import json
import os
import pickle
import weakref
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import sklearn
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads as _openmp_threads
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from bankcrm.analytics import forest as compiled
from bankcrm.analytics.calibration import fit_isotonic, fit_sigmoid
from bankcrm.analytics.tabular_columns import (
    MAX_CATEGORIES,
    Feature,
    FloatArray,
    Kind,
    SharedColumns,
    as_table,
    categorical_feature,
    checked_labels,
    checked_weights,
    encode,
    encode_value,
    kind_of,
    value_type,
    weights_of,
)
from bankcrm.kit.errors import UserError

__all__ = ["Feature", "Kind", "SharedColumns", "TabularLearner", "as_table", "kind_of"]

Calibration = Literal["isotonic", "sigmoid", "none"]
Reason = tuple[str, float]

MODEL_FORMAT = "bankcrm-tabular-learner"
MODEL_FORMAT_VERSION = 1
ISOTONIC_MIN_ROWS = 1_000
EARLY_STOPPING_MIN_ROWS = 10_000
IMPORTANCE_SAMPLE = 2_000
TIE_BREAK = 1e-6  # weight of the raw score blended into isotonic output (keeps the ranking)
BATCH_ROWS = 50_000
PREDICT_ROWS = 16_384  # rows the booster predicts at once (see _predict)


@dataclass(slots=True)
class _Fitted:
    """Everything fit() learns; None until then so misuse fails loudly."""

    features: list[Feature]
    booster: Any
    calibration: Calibration
    calibrator: Any  # isotonic knots (x, y), sigmoid (a, b), or None
    reference: FloatArray  # encoded occlusion value per feature (median / most frequent)
    importance: FloatArray  # mean |change in probability| when occluded, per feature
    n_rows: int
    positives: int
    iterations: int


def _calibrate(fitted: _Fitted, score: FloatArray) -> FloatArray:
    raw = np.asarray(expit(score), dtype=np.float64)
    if fitted.calibration == "isotonic":
        knots_x, knots_y = fitted.calibrator
        iso = np.asarray(np.interp(score, knots_x, knots_y), dtype=np.float64)
        return (1 - TIE_BREAK) * iso + TIE_BREAK * raw
    if fitted.calibration == "sigmoid":
        a, b = fitted.calibrator
        return np.asarray(expit(a * score + b), dtype=np.float64)
    return raw


# --- the learner -------------------------------------------------------------------------


class TabularLearner:
    """Gradient-boosted trees with the bank's preprocessing, calibration and reasons.

    `calibration`: "isotonic" (isotonic when the calibration part has >= 1,000 rows and
    both classes, else sigmoid), "sigmoid" (always Platt) or "none" (the raw booster, for
    comparison). `max_features` bounds the columns `reasons` tries, for speed.
    `n_threads` caps the booster's OpenMP threads (None: all cores). Use 1 when several
    processes share the cores (test workers, parallel scoring): OpenMP threads competing
    for busy cores can make a fit ten times slower.
    """

    def __init__(
        self,
        seed: int = 0,
        calibration: Calibration = "isotonic",
        *,
        max_features: int = 15,
        max_iter: int = 300,
        learning_rate: float = 0.08,
        n_threads: int | None = None,
    ) -> None:
        if calibration not in ("isotonic", "sigmoid", "none"):
            raise ValueError(f"calibration must be isotonic, sigmoid or none, not {calibration!r}")
        self.seed = seed
        self.calibration = calibration
        self.max_features = max_features
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.n_threads = n_threads
        self._fitted: _Fitted | None = None

    # fitting

    def fit(self, X: Any, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None) -> Self:
        """Learn the schema, the booster and the calibrator from a labelled table.

        `sample_weight`: how many rows of the population each row stands for, when the
        table is a sample (e.g. all positives and a share of the negatives, weight
        1 / share). The booster learns from the sample unweighted (scikit-learn's weighted
        binning alone would take longer than the whole fit) and early stopping measures
        it unweighted too; the calibrator is fitted on the held-out rows with their weights,
        which carries the booster's sample-scale scores to probabilities on the scale of
        the population (the prior correction of case-control sampling). With
        calibration="none" the weights are not used.
        """
        with _threads(self.n_threads):
            self._fitted = self._fit(as_table(X), y, sample_weight)
        return self

    def _fit(
        self, table: pa.Table, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None
    ) -> _Fitted:
        n = table.num_rows
        labels = checked_labels(y, n)
        weights = checked_weights(sample_weight, n)
        positives = int(labels.sum())
        if positives == 0 or positives == n:
            raise UserError(
                f"the outcome has one class only ({positives:,} positive of {n:,} rows): "
                "nothing to learn"
            )
        if table.num_columns == 0:
            raise UserError("the table has no feature columns")
        features = []
        for name, column in zip(table.column_names, table.columns, strict=True):
            kind = kind_of(column.type)
            if kind is None:
                raise UserError(f"column '{name}' has type {column.type}, which a model cannot use")
            features.append(
                Feature(name, "numeric") if kind == "numeric" else categorical_feature(name, column)
            )
        matrix = encode(table, features)

        rows = np.arange(n)
        minority = min(positives, n - positives)
        if self.calibration != "none" and minority >= 10:
            train, held = train_test_split(
                rows, test_size=0.2, stratify=labels, random_state=self.seed
            )
        else:  # too few of one class to hold any back: the raw booster
            train, held = rows, rows[:0]
        booster = self._booster(features, held.size > 0 or n > EARLY_STOPPING_MIN_ROWS)
        # The booster learns from the rows as they are; only the calibrator sees the weights
        # (see `fit`).
        if booster.early_stopping and held.size:
            booster.fit(matrix[train], labels[train], X_val=matrix[held], y_val=labels[held])
        else:
            booster.fit(matrix[train], labels[train])

        method: Calibration = "none"
        calibrator: Any = None
        if held.size:
            score = np.asarray(booster.decision_function(matrix[held]), dtype=np.float64)
            y_held = labels[held]
            both = bool(y_held.any() and not y_held.all())
            if self.calibration == "isotonic" and held.size >= ISOTONIC_MIN_ROWS and both:
                method = "isotonic"
                calibrator = fit_isotonic(score, y_held, weights_of(weights, held))
            elif both:
                method = "sigmoid"
                calibrator = fit_sigmoid(score, y_held, weights_of(weights, held))

        reference = np.array([_reference(matrix[:, j], f) for j, f in enumerate(features)])
        fitted = _Fitted(
            features=features,
            booster=booster,
            calibration=method,
            calibrator=calibrator,
            reference=reference,
            importance=np.zeros(len(features)),
            n_rows=n,
            positives=positives,
            iterations=int(booster.n_iter_),
        )
        sample = np.random.default_rng(self.seed).permutation(n)[:IMPORTANCE_SAMPLE]
        sample.sort()
        fitted.importance = _mean_abs_effect(fitted, matrix[sample])
        return fitted

    def _booster(self, features: Sequence[Feature], early_stopping: bool) -> Any:
        mask = np.array([f.kind == "categorical" for f in features])
        return HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=31,
            min_samples_leaf=20,
            l2_regularization=1.0,
            max_bins=MAX_CATEGORIES,
            categorical_features=mask if mask.any() else None,
            early_stopping=early_stopping,
            validation_fraction=0.1,
            n_iter_no_change=20,
            random_state=self.seed,
        )

    # prediction

    @property
    def fitted(self) -> _Fitted:
        if self._fitted is None:
            raise RuntimeError("the learner is not fitted: call fit() or TabularLearner.load()")
        return self._fitted

    @property
    def feature_schema(self) -> list[Feature]:
        """Columns in training order with their kind and, for categories, the values seen."""
        return list(self.fitted.features)

    @property
    def columns(self) -> list[tuple[str, Kind]]:
        """(column, kind) pairs in training order."""
        return [(f.name, f.kind) for f in self.fitted.features]

    @property
    def calibration_used(self) -> Calibration:
        """The calibration fit() actually applied (isotonic may fall back to sigmoid)."""
        return self.fitted.calibration

    @property
    def feature_importances(self) -> list[tuple[str, float]]:
        """Mean absolute change in probability when a column is set to its reference value,
        on up to 2,000 training rows; highest first."""
        fitted = self.fitted
        order = np.argsort(-fitted.importance, kind="stable")
        return [(fitted.features[j].name, float(fitted.importance[j])) for j in order]

    def check_schema(self, X: Any) -> None:
        """Raise UserError naming missing, extra and retyped columns; order does not matter."""
        table = as_table(X)
        expected = {f.name: f.kind for f in self.fitted.features}
        given = dict(zip(table.column_names, (c.type for c in table.columns), strict=True))
        missing = [name for name in expected if name not in given]
        extra = [name for name in given if name not in expected]
        retyped = []
        for name, kind in expected.items():
            if name not in given or pa.types.is_null(value_type(given[name])):
                continue  # an all-missing column fits either kind
            actual = kind_of(given[name])
            if actual != kind:
                retyped.append(f"{name} (model: {kind}, table: {actual or given[name]})")
        problems = []
        if missing:
            problems.append(f"missing columns: {', '.join(missing)}")
        if extra:
            problems.append(f"extra columns: {', '.join(extra)}")
        if retyped:
            problems.append(f"retyped columns: {', '.join(retyped)}")
        if problems:
            raise UserError("the table does not match the model's features; " + "; ".join(problems))

    def predict_proba(self, X: Any, rows: npt.NDArray[np.intp] | None = None) -> FloatArray:
        """Calibrated probability of the positive class, one value per row (of `rows`).

        `X` may be a `SharedColumns` that several learners trained on the same columns
        read, `rows` the row positions to score (default: all)."""
        matrix = self._matrix(X, rows)
        with _threads(self.n_threads):
            return _predict(self.fitted, matrix)

    def _matrix(self, X: Any, rows: npt.NDArray[np.intp] | None) -> FloatArray:
        """The encoded rows of X in this model's column order (schema checked)."""
        shared = X if isinstance(X, SharedColumns) else SharedColumns(X)
        self.check_schema(shared.table)
        return shared.matrix(self.fitted.features, rows)

    def reasons(
        self,
        X: Any,
        reference: Mapping[str, object] | Any | None = None,
        top: int = 3,
        *,
        min_drop: float = 1e-4,
        rows: npt.NDArray[np.intp] | None = None,
    ) -> list[list[Reason]]:
        """Per row, the features that push the probability up the most, by occlusion.

        Each of the `max_features` most important columns in turn is set to its reference
        value (training median for numbers, most frequent value for categories) for all
        rows at once; the drop in probability is that feature's contribution. A row's
        reasons are its (column, drop) pairs with drop > `min_drop`, largest first, at most
        `top`. `reference` overrides reference values: a mapping column -> raw value, or a
        table (e.g. a segment) whose medians / most frequent values are used. Drops below
        `min_drop` (default 0.01 points) are the isotonic tie-breaker, not real effects.
        `X` and `rows` as in `predict_proba`.
        """
        fitted = self.fitted
        matrix = self._matrix(X, rows)
        values = self._reference_values(reference)
        chosen = self._reason_features()
        n = matrix.shape[0]
        drops = np.zeros((n, chosen.size))
        with _threads(self.n_threads):
            self._occlude(matrix, values, chosen, drops)
        names = [fitted.features[j].name for j in chosen]
        depth = min(top, chosen.size)
        order = np.argsort(-drops, axis=1, kind="stable")[:, :depth]
        best = np.take_along_axis(drops, order, axis=1)
        return [
            [
                (names[j], float(d))
                for j, d in zip(row_order, row_drops, strict=True)
                if d > min_drop
            ]
            for row_order, row_drops in zip(order.tolist(), best.tolist(), strict=True)
        ]

    def _occlude(
        self,
        matrix: FloatArray,
        values: FloatArray,
        chosen: npt.NDArray[np.intp],
        drops: FloatArray,
    ) -> None:
        """Fill drops[i, k]: probability of row i minus that with feature chosen[k] occluded.

        A block of rows at a time, so memory stays at about one block of the encoded matrix.
        With the compiled forest one walk per row serves every column (only the trees that
        split on a column are walked again); otherwise one prediction per feature over the
        rows it changes.
        """
        fitted = self.fitted
        forest = _forest(fitted.booster, len(fitted.features))
        for start in range(0, matrix.shape[0], BATCH_ROWS):
            block = matrix[start : start + BATCH_ROWS]
            stop = start + block.shape[0]
            if forest is not None:
                found = _forest_drops(fitted, forest, block, chosen, values[chosen])
                for k, drop in enumerate(found):
                    drops[start:stop, k] = drop
                continue
            base = _predict(fitted, block)
            for k, j in enumerate(chosen):
                drops[start:stop, k] = _drop(fitted, block, base, j, values[j])

    def _reason_features(self) -> npt.NDArray[np.intp]:
        importance = self.fitted.importance
        order = np.argsort(-importance, kind="stable")[: self.max_features]
        return np.asarray(order[importance[order] > 0], dtype=np.intp)

    def _reference_values(self, reference: Mapping[str, object] | Any | None) -> FloatArray:
        fitted = self.fitted
        values = fitted.reference.copy()
        if reference is None:
            return values
        index = {f.name: j for j, f in enumerate(fitted.features)}
        if isinstance(reference, Mapping):
            unknown = [str(name) for name in reference if name not in index]
            if unknown:
                raise UserError(f"reference names unknown columns: {', '.join(unknown)}")
            for name, value in reference.items():
                j = index[name]
                values[j] = encode_value(fitted.features[j], value)
            return values
        table = as_table(reference)
        self.check_schema(table)
        if table.num_rows == 0:
            raise UserError("the reference table has no rows")
        matrix = encode(table, fitted.features)
        return np.array([_reference(matrix[:, j], f) for j, f in enumerate(fitted.features)])

    # model files

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a versioned model file: a zip with meta.json (readable) and the pickled model.

        The file is written next to the target and renamed, so a crash never leaves half a
        model. Pickle runs code on load: only load model files the bank wrote itself.
        """
        fitted = self.fitted
        target = Path(path)
        meta = {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "sklearn_version": sklearn.__version__,
            "seed": self.seed,
            "calibration": fitted.calibration,
            "n_rows": fitted.n_rows,
            "positives": fitted.positives,
            "iterations": fitted.iterations,
            "features": [{**asdict(f), "categories": list(f.categories)} for f in fitted.features],
        }
        temp = target.with_name(f".{target.name}.tmp")
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("meta.json", json.dumps(meta, indent=1))
            archive.writestr("model.pkl", pickle.dumps(self, protocol=5))
        os.replace(temp, target)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TabularLearner:
        """Read a model file written by save(); UserError when it is not one this code reads."""
        source = Path(path)
        try:
            with zipfile.ZipFile(source) as archive:
                meta = json.loads(archive.read("meta.json"))
                payload = archive.read("model.pkl")
        except FileNotFoundError as exc:
            raise UserError(f"model file not found: {source}") from exc
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError) as exc:
            raise UserError(f"{source} is not a bankcrm model file: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
            raise UserError(f"{source} is not a bankcrm model file")
        if meta.get("format_version") != MODEL_FORMAT_VERSION:
            raise UserError(
                f"{source} is model format version {meta.get('format_version')}; this bankcrm "
                f"reads version {MODEL_FORMAT_VERSION}: retrain the model"
            )
        if meta.get("sklearn_version") != sklearn.__version__:
            raise UserError(
                f"{source} was written with scikit-learn {meta.get('sklearn_version')}, this is "
                f"{sklearn.__version__}: retrain the model"
            )
        learner = pickle.loads(payload)  # our own model files only (see save)
        if not isinstance(learner, TabularLearner):
            raise UserError(f"{source} does not hold a TabularLearner")
        return learner


# --- shared numerics ---------------------------------------------------------------------


@contextmanager
def _threads(n_threads: int | None) -> Iterator[None]:
    """Cap the booster's OpenMP threads and the compiled forest's threads."""
    with compiled.threads(n_threads):
        if n_threads is None:
            yield
        else:
            with threadpool_limits(limits=n_threads, user_api="openmp"):
                yield


def _reference(values: FloatArray, feature: Feature) -> float:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return np.nan
    if feature.kind == "numeric":
        return float(np.median(present))
    codes, counts = np.unique(present, return_counts=True)
    return float(codes[np.argmax(counts)])  # ties: the lower code, the more frequent in training


def _predict(fitted: _Fitted, matrix: FloatArray) -> FloatArray:
    """Calibrated probabilities, PREDICT_ROWS rows at a time: the compiled forest when it
    gives scikit-learn's numbers for this booster (see `_forest`), else scikit-learn's
    predictor, which walks every row through one tree before the next tree, so a block
    that stays in the CPU cache for all trees halves the time of one pass."""
    n = matrix.shape[0]
    score = np.empty(n, dtype=np.float64)
    forest = _forest(fitted.booster, len(fitted.features))
    decide = (
        (lambda block: compiled.scores(forest, block))
        if forest is not None
        else _decision_function(fitted.booster)
    )
    for start in range(0, n, PREDICT_ROWS):
        block = matrix[start : start + PREDICT_ROWS]
        score[start : start + block.shape[0]] = decide(block)
    return _calibrate(fitted, score)


_FORESTS: weakref.WeakKeyDictionary[Any, compiled.Forest | None] = weakref.WeakKeyDictionary()


def _forest(booster: Any, n_columns: int) -> compiled.Forest | None:
    """The booster's trees as a compiled forest, if its scores equal scikit-learn's
    decision_function on rows that reach every kind of split (checked once per booster;
    None otherwise, and the scikit-learn path runs)."""
    if booster in _FORESTS:
        return _FORESTS[booster]
    found: compiled.Forest | None = None
    try:
        forest = compiled.from_booster(booster, n_columns)
        probe = _probe_rows(booster)
        public = np.asarray(booster.decision_function(probe), dtype=np.float64)
        if np.array_equal(compiled.scores(forest, probe), public):
            found = forest
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        found = None
    _FORESTS[booster] = found
    return found


_DIRECT: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _decision_function(booster: Any) -> Callable[[FloatArray], FloatArray]:
    """The booster's decision function, without scikit-learn's input preprocessing when
    that gives the same numbers (checked once per booster).

    With categorical columns, scikit-learn passes every prediction through a column
    transformer and an ordinal encoder (a copy of the block, a search per category value
    and about 10 ms per call), which our matrix needs no more than a lookup: its category
    codes are small integers. `_direct_scores` does that lookup and sums the trees with the
    booster's own predictor; it reads scikit-learn internals, so it is compared with the
    public decision_function on a sample first and used only when equal (otherwise, and
    on another scikit-learn layout, the public one runs)."""
    known = _DIRECT.get(booster)
    if known is None:
        known = False
        try:
            probe = _probe_rows(booster)
            known = bool(
                np.array_equal(_direct_scores(booster, probe), booster.decision_function(probe))
            )
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            known = False
        _DIRECT[booster] = known
    if known:
        return lambda block: _direct_scores(booster, block)
    return lambda block: np.asarray(booster.decision_function(block), dtype=np.float64)


def _probe_rows(booster: Any) -> FloatArray:
    """Rows that reach every category of every categorical column, missing values and
    unseen codes: the cases where the direct path could differ."""
    n_features = int(booster.n_features_in_)
    rng = np.random.default_rng(0)
    rows = rng.normal(0, 1e3, size=(512, n_features))
    rows[::7] = np.nan
    mask = booster.is_categorical_
    if mask is not None:
        for j in np.flatnonzero(mask):
            rows[:, j] = rng.integers(-1, MAX_CATEGORIES + 1, size=rows.shape[0])
            rows[rows[:, j] < 0, j] = np.nan
    return rows


def _direct_scores(booster: Any, block: FloatArray) -> FloatArray:
    mask = booster.is_categorical_
    if mask is None:
        X = np.ascontiguousarray(block, dtype=np.float64)
    else:
        encoder = booster._preprocessor.named_transformers_["encoder"]
        columns = np.flatnonzero(mask)
        X = np.empty((block.shape[0], block.shape[1]), dtype=np.float64)
        for k, (j, seen) in enumerate(zip(columns, encoder.categories_, strict=True)):
            seen = np.asarray(seen, dtype=np.float64)
            seen = seen[~np.isnan(seen)]
            lookup = np.full(MAX_CATEGORIES + 2, np.nan)
            lookup[seen.astype(np.intp)] = np.arange(seen.size, dtype=np.float64)
            codes = block[:, j]
            valid = ~np.isnan(codes) & (codes >= 0) & (codes <= MAX_CATEGORIES)
            out = np.full(block.shape[0], np.nan)
            out[valid] = lookup[codes[valid].astype(np.intp)]
            X[:, k] = out
        X[:, columns.size :] = block[:, ~mask]
    raw = np.zeros((X.shape[0], 1), dtype=booster._baseline_prediction.dtype, order="F")
    raw += booster._baseline_prediction
    booster._predict_iterations(X, booster._predictors, raw, False, _openmp_threads())
    return np.asarray(raw[:, 0], dtype=np.float64)


def _mean_abs_effect(fitted: _Fitted, sample: FloatArray) -> FloatArray:
    """Occlusion importance: how much each column moves the probability on a sample.

    Only the columns some tree splits on are occluded: changing a column no tree reads
    cannot change a prediction, so the others' effect is exactly 0 without predicting."""
    effect = np.zeros(len(fitted.features))
    columns = np.asarray(split_columns(fitted.booster, len(fitted.features)), dtype=np.intp)
    forest = _forest(fitted.booster, len(fitted.features))
    if forest is not None:
        with compiled.threads(1):  # 2,000 rows: not worth waking threads for
            found = _forest_drops(fitted, forest, sample, columns, fitted.reference[columns])
        for j, drop in zip(columns, found, strict=True):
            effect[j] = float(np.mean(np.abs(drop)))
        return effect
    base = _predict(fitted, sample)
    for j in columns:
        effect[j] = float(np.mean(np.abs(_drop(fitted, sample, base, j, fitted.reference[j]))))
    return effect


def _forest_drops(
    fitted: _Fitted,
    forest: compiled.Forest,
    block: FloatArray,
    columns: npt.NDArray[np.intp],
    values: FloatArray,
) -> list[FloatArray]:
    """Per column k: each row's probability minus that with columns[k] set to values[k],
    from one occlusion walk of the compiled forest (what `_drop` gives, column by column)."""
    base_raw, occluded = compiled.occluded_scores(forest, block, columns, values)
    base = _calibrate(fitted, base_raw)
    return [base - _calibrate(fitted, occluded[:, k]) for k in range(len(columns))]


def split_columns(booster: Any, n_columns: int) -> list[int]:
    """The input columns (in our matrix's order) that at least one tree splits on.

    scikit-learn's trees number columns after its own preprocessing, which puts the
    categorical columns first; this maps them back. On a layout it does not know, every
    column (slower, never wrong): also when the direct path is off for this booster."""
    forest = _forest(booster, n_columns)
    if forest is not None:
        return [int(j) for j in np.flatnonzero(forest.trees_of_column.any(axis=1))]
    if not _DIRECT.get(booster):
        return list(range(n_columns))
    try:
        used: set[int] = set()
        for (predictor,) in booster._predictors:
            nodes = predictor.nodes
            used.update(int(i) for i in np.unique(nodes["feature_idx"][nodes["is_leaf"] == 0]))
        mask = booster.is_categorical_
        if mask is None:
            order = np.arange(n_columns)
        else:
            order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
        if order.size != n_columns or any(i >= n_columns for i in used):
            return list(range(n_columns))
        return sorted(int(order[i]) for i in used)
    except (AttributeError, KeyError, TypeError, ValueError):
        return list(range(n_columns))


def _drop(fitted: _Fitted, block: FloatArray, base: FloatArray, j: int, value: float) -> FloatArray:
    """base minus the probability with column j set to `value`, re-predicting only the rows
    whose value differs (often most of a categorical column already holds its mode)."""
    column = block[:, j]
    same = np.isnan(column) if np.isnan(value) else column == value
    changed = np.flatnonzero(~same)
    drop = np.zeros(block.shape[0])
    if changed.size:
        rows = block[changed]
        rows[:, j] = value
        drop[changed] = base[changed] - _predict(fitted, rows)
    return drop
