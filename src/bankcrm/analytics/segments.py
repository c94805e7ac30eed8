"""Behavioural segments: k-means on how customers bank, each segment named by its profile.

Features (`SEGMENT_FEATURES`): balances, income, activity, digital share, product
breadth, lending, investments, card spending, age, tenure and whether the customer is a
company. Amounts and counts are log-transformed (log1p of the magnitude, with its sign),
then every column is standardised (mean 0, sd 1 over the fitting sample). Missing values
(no transactions: no digital share; companies: no personal age) take the sample median.

k is fixed or chosen from `k_range` by the silhouette score on a seeded sample. KMeans is
fitted on at most `sample_rows` customers and predicts everyone, so a million customers
take seconds.

Naming rule: a centroid coordinate is how many standard deviations the segment's mean
sits from the bank's mean. Traits with |z| >= `TRAIT_Z` are distinctive; the name is up to
two adjectives (the most distinctive adjective traits, strongest first) and one noun (the
most distinctive noun trait, else "customers"), e.g. "Young digital savers". Clashing
names take the next adjective, then a number. Segment ids run from 1, largest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]

SEGMENT_FEATURES = (
    "avg_deposit_balance_12m",
    "income_12m",
    "own_tx_12m",
    "digital_share_12m",
    "categories_open",
    "lending_exposure",
    "wealth_balance",
    "card_spend_12m",
    "age_years",
    "tenure_years",
    "corporate",
)
LOG_FEATURES = frozenset(
    {
        "avg_deposit_balance_12m",
        "income_12m",
        "own_tx_12m",
        "categories_open",
        "lending_exposure",
        "wealth_balance",
        "card_spend_12m",
    }
)
TRAIT_Z = 0.5

# feature -> (word when high, kind), (word when low, kind); kind: adjective or noun
TRAITS: dict[str, tuple[tuple[str, str] | None, tuple[str, str] | None]] = {
    "corporate": (("business accounts", "noun"), None),
    "wealth_balance": (("investors", "noun"), None),
    "lending_exposure": (("borrowers", "noun"), None),
    "avg_deposit_balance_12m": (("savers", "noun"), ("low-balance", "adjective")),
    "card_spend_12m": (("card spenders", "noun"), None),
    "income_12m": (("salaried", "adjective"), None),
    "own_tx_12m": (("active", "adjective"), ("dormant", "adjective")),
    "digital_share_12m": (("digital", "adjective"), ("branch-based", "adjective")),
    "categories_open": (("multi-product", "adjective"), ("single-product", "adjective")),
    "age_years": (("senior", "adjective"), ("young", "adjective")),
    "tenure_years": (("long-standing", "adjective"), ("new", "adjective")),
}
LABELS = {
    "avg_deposit_balance_12m": "average deposit balance",
    "income_12m": "income paid in a year",
    "own_tx_12m": "own transactions a year",
    "digital_share_12m": "digital share",
    "categories_open": "kinds of product held",
    "lending_exposure": "borrowing",
    "wealth_balance": "investments",
    "card_spend_12m": "card spending a year",
    "age_years": "age",
    "tenure_years": "years with the bank",
    "corporate": "share of companies",
}


@dataclass(frozen=True)
class SegmentConfig:
    k: int | None = None  # None: the best silhouette in k_range
    k_range: tuple[int, int] = (4, 8)  # inclusive
    sample_rows: int = 20_000
    silhouette_rows: int = 5_000
    seed: int = 0
    features: tuple[str, ...] = SEGMENT_FEATURES
    threads: int | None = 1  # OpenMP threads for KMeans: more only pay off on idle machines


@dataclass
class SegmentModel:
    features: tuple[str, ...]
    medians: FloatArray  # fill values, transformed scale
    mean: FloatArray
    scale: FloatArray
    kmeans: Any
    order: npt.NDArray[np.intp]  # kmeans label -> segment id - 1
    names: list[str]  # by segment id - 1
    silhouette: dict[int, float] = field(default_factory=dict)
    threads: int | None = 1

    def transform(self, features: pd.DataFrame) -> FloatArray:
        raw = _raw(features, self.features)
        filled = np.where(np.isnan(raw), self.medians, raw)
        return (filled - self.mean) / self.scale

    def predict(self, features: pd.DataFrame) -> npt.NDArray[np.int64]:
        """Segment id (1 = the largest segment in the fitting sample) per row."""
        with threadpool_limits(self.threads):
            labels = self.kmeans.predict(self.transform(features))
        return np.asarray(self.order[labels], dtype=np.int64) + 1


def _raw(features: pd.DataFrame, columns: Sequence[str]) -> FloatArray:
    """The clustering columns, log-transformed where money or counts, as a float matrix."""
    out = np.empty((len(features), len(columns)))
    for j, name in enumerate(columns):
        if name == "corporate":
            values = (features["kind"].astype("string") == "corporate").fillna(False)
        elif name == "tenure_years":
            values = pd.to_numeric(features["tenure_days"], errors="coerce") / 365.25
        elif name == "age_years":  # a company's age is not a person's age
            corporate = (features["kind"].astype("string") == "corporate").fillna(False)
            values = pd.to_numeric(features["age_years"], errors="coerce").mask(corporate)
        else:
            values = pd.to_numeric(features[name], errors="coerce")
        column = values.to_numpy(dtype=np.float64, na_value=np.nan)
        if name in LOG_FEATURES:
            column = np.sign(column) * np.log1p(np.abs(column))
        out[:, j] = column
    return out


def _choose_k(x: FloatArray, config: SegmentConfig) -> tuple[int, dict[int, float]]:
    if config.k is not None:
        return config.k, {}
    scores = {}
    for k in range(config.k_range[0], config.k_range[1] + 1):
        labels = KMeans(k, n_init=4, random_state=config.seed).fit_predict(x)
        scores[k] = float(
            silhouette_score(
                x, labels, sample_size=min(config.silhouette_rows, len(x)), random_state=config.seed
            )
        )
    return max(scores, key=lambda k: (scores[k], -k)), scores


def fit_segments(features: pd.DataFrame, config: SegmentConfig | None = None) -> SegmentModel:
    """Fit the segments on a seeded sample of the feature table (one row per customer).

    Rows are put in customer_id order first: the sample and the k-means starts must not
    depend on the order an engine returned the rows in."""
    config = config or SegmentConfig()
    rng = np.random.default_rng(config.seed)
    features = features.sort_values("customer_id", kind="stable")
    rows = np.arange(len(features))
    if rows.size > config.sample_rows:
        rows = np.sort(rng.choice(rows, config.sample_rows, replace=False))
    raw = _raw(features.iloc[rows], config.features)
    medians = np.nan_to_num(np.nanmedian(raw, axis=0))
    filled = np.where(np.isnan(raw), medians, raw)
    mean, scale = filled.mean(axis=0), filled.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    x = (filled - mean) / scale
    with threadpool_limits(config.threads):
        k, scores = _choose_k(x, config)
        kmeans = KMeans(k, n_init=10, random_state=config.seed).fit(x)
    sizes = np.bincount(kmeans.labels_, minlength=k)
    by_size = sorted(range(k), key=lambda c: (-sizes[c], tuple(kmeans.cluster_centers_[c])))
    order = np.empty(k, dtype=np.intp)
    order[by_size] = np.arange(k)
    centers = kmeans.cluster_centers_[by_size]
    names = segment_names(centers, config.features)
    return SegmentModel(
        config.features, medians, mean, scale, kmeans, order, names, scores, config.threads
    )


def _traits(center: FloatArray, columns: Sequence[str]) -> list[tuple[str, str]]:
    """(word, kind) of the distinctive traits of one centroid, most distinctive first."""
    out = []
    for j in np.argsort(-np.abs(center), kind="stable"):
        z, name = float(center[j]), columns[j]
        if abs(z) < TRAIT_Z or name not in TRAITS:
            continue
        trait = TRAITS[name][0 if z > 0 else 1]
        if trait is not None:
            out.append(trait)
    return out


def segment_names(centers: FloatArray, columns: Sequence[str]) -> list[str]:
    """A unique, readable name per centroid (standardised), by the naming rule above."""
    names: list[str] = []
    for center in centers:
        traits = _traits(center, columns)
        nouns = [w for w, kind in traits if kind == "noun"]
        adjectives = [w for w, kind in traits if kind == "adjective"]
        noun = nouns[0] if nouns else "customers"
        if not traits:
            noun = "mainstream customers"
        used = adjectives[:2]
        name = " ".join([*used, noun])
        extra = adjectives[2:]
        while name in names and extra:
            used.append(extra.pop(0))
            name = " ".join([*used, noun])
        number = 2
        base = name
        while name in names:
            name = f"{base} {number}"
            number += 1
        names.append(name)
    return [n[0].upper() + n[1:] for n in names]


@dataclass
class Segments:
    assignments: pd.DataFrame  # customer_id, segment_id, segment
    profiles: pd.DataFrame  # one row per segment
    model: SegmentModel


def segment_customers(
    features: pd.DataFrame,
    config: SegmentConfig | None = None,
    contribution: pd.Series | None = None,
    model: SegmentModel | None = None,
) -> Segments:
    """Fit (unless `model` is given) and assign every customer; profile each segment.

    `contribution`: optional annual contribution per row of `features` (same index), whose
    mean per segment joins the profile table.
    """
    model = model or fit_segments(features, config)
    segment_id = model.predict(features)
    names = np.asarray(model.names, dtype=object)
    assignments = pd.DataFrame(
        {
            "customer_id": features["customer_id"].to_numpy(dtype=np.int64),
            "segment_id": segment_id,
            "segment": pd.array(names[segment_id - 1], dtype="string"),
        }
    )
    return Segments(assignments, segment_profiles(features, segment_id, model, contribution), model)


def _readable(features: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The clustering columns on their own scale (not logged) for the profile table."""
    out = {}
    for name in columns:
        if name == "corporate":
            out[name] = (features["kind"].astype("string") == "corporate").fillna(False)
        elif name == "tenure_years":
            out[name] = pd.to_numeric(features["tenure_days"], errors="coerce") / 365.25
        elif name == "age_years":
            corporate = (features["kind"].astype("string") == "corporate").fillna(False)
            out[name] = pd.to_numeric(features["age_years"], errors="coerce").mask(corporate)
        else:
            out[name] = pd.to_numeric(features[name], errors="coerce")
    return pd.DataFrame(out, index=features.index).astype("float64")


SHARE_OF_NONZERO = frozenset({"income_12m", "lending_exposure", "wealth_balance", "card_spend_12m"})
MEDIAN_OF = frozenset({"avg_deposit_balance_12m", "own_tx_12m"})
SHARES = frozenset({"digital_share_12m", "corporate"})


def _trait_text(name: str, segment: pd.Series, bank: pd.Series) -> str:
    """One trait against the bank on a scale people read: a share of customers for money
    most customers have none of, a median for skewed amounts, else a mean."""
    label = LABELS.get(name, name)
    if name in SHARE_OF_NONZERO:
        return f"{(segment > 0).mean():.0%} with {label} vs {(bank > 0).mean():.0%} bank-wide"
    if name in MEDIAN_OF:
        return f"median {label} {segment.median():,.0f} vs {bank.median():,.0f} bank-wide"
    ours, theirs = segment.mean(), bank.mean()
    if name in SHARES:
        return f"{label} {ours:.0%} vs {theirs:.0%} bank average"
    return f"{label} {ours:.1f} vs {theirs:.1f} bank average"


def segment_profiles(
    features: pd.DataFrame,
    segment_id: npt.NDArray[np.int64],
    model: SegmentModel,
    contribution: pd.Series | None = None,
) -> pd.DataFrame:
    """Per segment: size, share, the mean of each clustering feature, and a description of
    its three most distinctive traits against the bank average."""
    values = _readable(features, model.features)
    groups = values.groupby(segment_id)
    means = groups.mean()
    z = (
        pd.DataFrame(model.transform(features), columns=list(model.features))
        .groupby(segment_id)
        .mean()
    )
    rows = []
    for sid in range(1, len(model.names) + 1):
        if sid not in means.index:
            continue
        top = np.argsort(-np.abs(z.loc[sid].to_numpy()), kind="stable")[:3]
        mine = values.loc[segment_id == sid]
        traits = [
            _trait_text(c, mine[c].dropna(), values[c].dropna())
            for c in (model.features[j] for j in top)
        ]
        rows.append(
            {
                "segment_id": sid,
                "segment": model.names[sid - 1],
                "description": "; ".join(traits),
                "customers": int((segment_id == sid).sum()),
                **{f"mean_{c}": float(means.loc[sid, c]) for c in model.features},
            }
        )
    profiles = pd.DataFrame(rows)
    profiles.insert(4, "share", profiles["customers"] / max(len(features), 1))
    if contribution is not None:
        mean = pd.Series(contribution.to_numpy(dtype=np.float64)).groupby(segment_id).mean()
        profiles["mean_contribution"] = profiles["segment_id"].map(mean).astype("float64")
    return profiles
