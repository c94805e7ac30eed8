"""Per-product propensity: who opens product P in the next six months, from history.

Training is time-based. The caller passes the feature table as of a snapshot date (as a
rule `as_of - 182 days`); the label of a customer for product P is "opened a holding of P
in (snapshot, snapshot + 182 days]" (`opened_on` in that window, from the accounts table),
and only customers who did not hold P on the snapshot are rows of P's training set. So a
score is the probability of taking P within the next 182 days (six months) for a customer
who does not hold it today.

Sampling: at most `max_positives` (20,000) positives and `max_negatives` (20,000)
negatives, seeded random samples, per product. Kept rows carry the weight (all rows of
their class / kept rows of their class: `bankcrm.analytics.sampling`). The
booster learns from the sample as it is; the learner's held-out calibration uses the
weights, so predicted probabilities are on the scale of the whole population, not of the
sample (see `TabularLearner.fit`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from bankcrm.analytics.learner import SharedColumns, TabularLearner
from bankcrm.analytics.sampling import capped_sample

HORIZON_DAYS = 182  # the propensity horizon: six months
NOT_FEATURES = frozenset(
    {
        "customer_id",  # an id
        "first_opened_day",  # days since 1970: drifts between training and scoring dates
        "marketing_consent",  # consent decides whether we may offer, not what is likely
        "profiling_consent",
    }
)
AS_CATEGORY = frozenset({"branch_id"})  # numeric ids whose numbers mean nothing
MAX_CATEGORIES = 50  # text columns with more distinct values are left out


class Learner(Protocol):
    """What the propensity models need from a classifier (TabularLearner has it)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any: ...
    def predict_proba(self, X: Any, rows: Any = None) -> npt.NDArray[np.float64]: ...
    def reasons(
        self, X: Any, reference: Any = None, top: int = 3, *, rows: Any = None
    ) -> list[list[tuple[str, float]]]: ...
    def save(self, path: Any) -> None: ...


LEARNING_RATE = 0.15  # twice the churn model's: half the trees to walk for every score
REASON_FEATURES = 6  # columns an offer's reasons are looked for in (it names two)


def make_learner(seed: int, threads: int | None = None) -> Learner:
    """The one place that chooses the classifier.

    One model per product scores every customer who does not hold the product (about 18
    million scores on a million customers) and explains every offer by occlusion, so the
    models are kept small: a higher learning rate (early stopping still decides the
    number of trees) and reasons looked for among the 6 most important columns."""
    return TabularLearner(
        seed=seed,
        n_threads=threads,
        learning_rate=LEARNING_RATE,
        max_features=REASON_FEATURES,
    )


@dataclass(frozen=True)
class TrainingConfig:
    horizon_days: int = HORIZON_DAYS
    min_positives: int = 40  # fewer positives: no model and no offers for the product
    max_negatives: int = 20_000
    max_positives: int = 20_000  # a common product's openings on a big bank: a sample too
    profiling_consent_only: bool = True  # train only on customers who consent to profiling
    seed: int = 0
    threads: int | None = None  # the learner's OpenMP threads (fit, score, reasons); 1 on a
    # machine whose cores other processes share


@dataclass
class ProductModel:
    product_id: int
    learner: Learner
    positives: int
    negatives: int  # all negatives in the training window
    negatives_kept: int
    medians: dict[str, float]  # training medians: "high" or "low" in the explanations
    positives_kept: int = 0  # positives in the training sample (all, up to max_positives)


@dataclass
class PropensityModels:
    """One model per product with enough positives; `skipped` maps the others to theirs."""

    columns: tuple[str, ...]
    snapshot: date
    horizon_days: int
    models: dict[int, ProductModel] = field(default_factory=dict)
    skipped: dict[int, int] = field(default_factory=dict)


# --- holdings and labels -----------------------------------------------------------------


def _day(values: pd.Series) -> npt.NDArray[np.int64]:
    """Dates (date objects, datetimes or strings; missing = never) as days since 1970."""
    days = pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[D]")
    never = np.iinfo(np.int64).max
    out = np.asarray(days.astype(np.int64), dtype=np.int64)
    out[np.isnat(days)] = never
    return out


def _epoch(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def open_holdings(accounts: pd.DataFrame, on: date) -> pd.DataFrame:
    """(customer_id, product_id) of every product a customer holds open on the day."""
    day = _epoch(on)
    opened, closed = _day(accounts["opened_on"]), _day(accounts["closed_on"])
    rows = (opened <= day) & (closed > day)
    return _pairs(accounts.loc[rows])


def openings(accounts: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """(customer_id, product_id) of holdings opened in the half-open window (start, end]."""
    opened = _day(accounts["opened_on"])
    rows = (opened > _epoch(start)) & (opened <= _epoch(end))
    return _pairs(accounts.loc[rows])


def accepted_offers(responses: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """(customer_id, product_id) of campaign offers accepted in the window (start, end].

    `responses`: campaign outcomes (customer_id, product_id, responded_on, accepted), as
    `bankcrm.marketing.repository.response_labels` reads them. An acceptance is a positive
    even before core banking reports the new holding; a decline stays a negative (an
    opening in the window still makes it a positive: what the customer did wins)."""
    day = _day(responses["responded_on"])
    accepted = responses["accepted"].fillna(False).astype(bool).to_numpy()
    rows = accepted & (day > _epoch(start)) & (day <= _epoch(end))
    return _pairs(responses.loc[rows])


def _pairs(accounts: pd.DataFrame) -> pd.DataFrame:
    pairs = accounts[["customer_id", "product_id"]].drop_duplicates()
    return pairs.astype({"customer_id": "int64", "product_id": "int64"}).reset_index(drop=True)


def pair_key(customer_id: npt.ArrayLike, product_id: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """One int64 per (customer, product): set membership of pairs with np.isin."""
    return np.asarray(customer_id, dtype=np.int64) * 1_000_003 + np.asarray(product_id, np.int64)


# --- feature columns ---------------------------------------------------------------------


def pair_matrix(
    customer_ids: npt.ArrayLike, product_ids: npt.ArrayLike, pairs: pd.DataFrame
) -> npt.NDArray[np.bool_]:
    """customers x products, True where (customer_id, product_id) is in `pairs`; pairs of
    other customers or products are ignored. Linear time: no sorting of pair keys."""
    customers = pd.Index(np.asarray(customer_ids, dtype=np.int64))
    products = pd.Index(np.asarray(product_ids, dtype=np.int64))
    rows = customers.get_indexer(pairs["customer_id"].to_numpy(dtype=np.int64))
    cols = products.get_indexer(pairs["product_id"].to_numpy(dtype=np.int64))
    matrix = np.zeros((len(customers), len(products)), dtype=np.bool_)
    known = (rows >= 0) & (cols >= 0)
    matrix[rows[known], cols[known]] = True
    return matrix


def pairs_in(frame: pd.DataFrame, pairs: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Per row of `frame` (customer_id, product_id): whether the pair is in `pairs`."""
    customers = np.unique(frame["customer_id"].to_numpy(dtype=np.int64))
    products = np.unique(frame["product_id"].to_numpy(dtype=np.int64))
    matrix = pair_matrix(customers, products, pairs)
    rows = np.searchsorted(customers, frame["customer_id"].to_numpy(dtype=np.int64))
    cols = np.searchsorted(products, frame["product_id"].to_numpy(dtype=np.int64))
    return np.asarray(matrix[rows, cols], dtype=np.bool_)


def model_columns(features: pd.DataFrame) -> tuple[str, ...]:
    """Numeric, boolean and low-cardinality text columns, minus ids and consent flags."""
    columns = []
    for name in features.columns:
        if name in NOT_FEATURES:
            continue
        dtype = features[name].dtype
        numeric = pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        categorical = name in AS_CATEGORY or not numeric
        if categorical and features[name].nunique(dropna=True) > MAX_CATEGORIES:
            continue
        columns.append(str(name))
    return tuple(columns)


def model_frame(features: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The learner's input: the chosen columns, ids as text categories, flags as 0/1."""
    frame = features.loc[:, list(columns)].copy()
    for name in columns:
        series = frame[name]
        if name in AS_CATEGORY:
            frame[name] = series.astype("Int64").astype("string")
        elif pd.api.types.is_bool_dtype(series.dtype):
            frame[name] = series.astype("float64")
        elif not pd.api.types.is_numeric_dtype(series.dtype):
            frame[name] = series.astype("string")
    return frame.reset_index(drop=True)


def _medians(frame: pd.DataFrame) -> dict[str, float]:
    numeric = frame.select_dtypes(include="number")
    return {str(k): float(v) for k, v in numeric.median(skipna=True).items() if pd.notna(v)}


# --- training ----------------------------------------------------------------------------


def training_sets(
    features: pd.DataFrame,
    accounts: pd.DataFrame,
    snapshot: date,
    product_ids: Iterable[int],
    horizon_days: int = HORIZON_DAYS,
    responses: pd.DataFrame | None = None,
) -> Iterable[tuple[int, npt.NDArray[np.intp], npt.NDArray[np.bool_]]]:
    """Per product: (product_id, feature rows not holding it on the snapshot, label): the
    label is "opened it in the window", or accepted a campaign offer of it in the window
    (`responses`, see `accepted_offers`)."""
    customers = features["customer_id"].to_numpy(dtype=np.int64)
    products = np.asarray(list(product_ids), dtype=np.int64)
    held = pair_matrix(customers, products, open_holdings(accounts, snapshot))
    end = snapshot + timedelta(days=horizon_days)
    opened = pair_matrix(customers, products, openings(accounts, snapshot, end))
    if responses is not None and len(responses):
        opened |= pair_matrix(customers, products, accepted_offers(responses, snapshot, end))
    for j, product_id in enumerate(products):
        rows = np.flatnonzero(~held[:, j])
        yield int(product_id), rows, opened[rows, j]


def train_propensity(
    features: pd.DataFrame,
    accounts: pd.DataFrame,
    snapshot: date,
    product_ids: Iterable[int] | None = None,
    config: TrainingConfig | None = None,
    responses: pd.DataFrame | None = None,
) -> PropensityModels:
    """One model per product, from features as of `snapshot` and openings after it.

    `features`: the feature table as of `snapshot` (bankcrm.analytics.features), one row per
    customer. `accounts`: every holding (customer_id, product_id, opened_on, closed_on).
    `product_ids`: the products to model (default: every product in `accounts`).
    `responses`: campaign outcomes; accepted offers in the window count as openings.
    """
    config = config or TrainingConfig()
    if config.profiling_consent_only and "profiling_consent" in features.columns:
        features = features.loc[features["profiling_consent"].fillna(False).astype(bool)]
    # customer_id order: the sample and the fit must not depend on the engine's row order
    features = features.sort_values("customer_id", kind="stable").reset_index(drop=True)
    columns = model_columns(features)
    frame = model_frame(features, columns)
    if product_ids is None:
        product_ids = sorted(int(p) for p in accounts["product_id"].unique())
    result = PropensityModels(columns, snapshot, config.horizon_days)
    sets = training_sets(features, accounts, snapshot, product_ids, config.horizon_days, responses)
    for product_id, rows, label in sets:
        positives = int(label.sum())
        if positives < config.min_positives or positives == label.size:
            result.skipped[product_id] = positives
            continue
        rng = np.random.default_rng([config.seed, product_id])
        sample = capped_sample(label, config.max_positives, config.max_negatives, rng)
        x = frame.iloc[rows[sample.rows]].reset_index(drop=True)
        learner = make_learner(config.seed, config.threads)
        learner.fit(x, label[sample.rows], sample_weight=sample.weight)
        result.models[product_id] = ProductModel(
            product_id=product_id,
            learner=learner,
            positives=positives,
            negatives=int(label.size - positives),
            negatives_kept=sample.negatives_kept,
            medians=_medians(x),
            positives_kept=sample.positives_kept,
        )
    return result


# --- scoring -----------------------------------------------------------------------------


def score_propensity(
    models: PropensityModels,
    features_now: pd.DataFrame,
    holdings_now: pd.DataFrame,
    pairs: pd.DataFrame | None = None,
    profiling_consent_only: bool = True,
) -> pd.DataFrame:
    """P(opens the product within the next `horizon_days`) for every product not held.

    `holdings_now`: (customer_id, product_id) open today (see `open_holdings`). `pairs`:
    optionally only these (customer_id, product_id) candidates, e.g. the suitable ones.
    Customers without profiling consent are not scored unless `profiling_consent_only`
    is False. Returns (customer_id, product_id, propensity), sorted by product, customer.
    """
    features = features_now
    if profiling_consent_only and "profiling_consent" in features.columns:
        features = features.loc[features["profiling_consent"].fillna(False).astype(bool)]
    features = features.sort_values("customer_id", kind="stable").reset_index(drop=True)
    customers = features["customer_id"].to_numpy(dtype=np.int64)
    shared = SharedColumns(model_frame(features, models.columns))  # encoded once for all
    products = np.asarray(sorted(models.models), dtype=np.int64)
    keep = ~pair_matrix(customers, products, holdings_now)
    if pairs is not None:
        keep &= pair_matrix(customers, products, pairs)
    parts = []
    for j, product_id in enumerate(products):
        model = models.models[int(product_id)]
        rows = np.flatnonzero(keep[:, j])
        if rows.size == 0:
            continue
        p = model.learner.predict_proba(shared, rows=rows)
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": customers[rows],
                    "product_id": np.full(rows.size, product_id, dtype=np.int64),
                    "propensity": np.asarray(p, dtype=np.float64),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {
                "customer_id": pd.Series(dtype="int64"),
                "product_id": pd.Series(dtype="int64"),
                "propensity": pd.Series(dtype="float64"),
            }
        )
    return pd.concat(parts, ignore_index=True)
