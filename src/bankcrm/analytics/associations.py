"""Product association rules from current holdings: "customers who hold X often take Y".

Each customer is a basket: the set of items (product categories, or product codes) held
open. For an antecedent X (one item or a pair) and a consequent item Y not in X:

    support(X -> Y)    = customers holding X and Y / all customers
    confidence(X -> Y) = customers holding X and Y / customers holding X
    lift(X -> Y)       = confidence / (customers holding Y / all customers)
    count              = customers holding X and Y

Rules are kept with support >= min_support, confidence >= min_confidence and lift >
min_lift, sorted by lift (then count). A rule with a pair antecedent {a, b} -> Y is kept
only when its confidence beats both a -> Y and b -> Y by more than `min_improvement`:
otherwise b adds nothing (e.g. an item nearly everyone holds) and the rule is a repeat.

n is the number of customers with at least one item. Customers with the same basket are
counted once with a weight, so the work depends on the number of distinct baskets
(thousands), not on the number of customers (millions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt
import pandas as pd

from bankcrm.analytics.offer_phrases import CATEGORY_NOUNS

RULE_COLUMNS = (
    "antecedent",
    "consequent",
    "antecedent_size",
    "count",
    "support",
    "confidence",
    "lift",
    "sentence",
)


@dataclass(frozen=True)
class AssociationConfig:
    item_column: str = "category"  # or "product_code"
    min_support: float = 0.01
    min_confidence: float = 0.1
    min_lift: float = 1.0
    max_antecedent: int = 2  # 1: single items only; 2: also pairs
    min_improvement: float | None = 0.01  # None: keep redundant pair rules too


def baskets(
    holdings: pd.DataFrame, item_column: str = "category"
) -> tuple[npt.NDArray[np.bool_], list[str]]:
    """Customers x items (True: the customer holds the item) and the items, sorted."""
    pairs = holdings[["customer_id", item_column]].dropna()
    customer_codes, _ = pd.factorize(pairs["customer_id"])
    item_codes, items = pd.factorize(pairs[item_column].astype("string"), sort=True)
    matrix = np.zeros((int(customer_codes.max(initial=-1)) + 1, len(items)), dtype=np.bool_)
    matrix[customer_codes, item_codes] = True
    return matrix, [str(i) for i in items]


def _distinct(matrix: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Distinct rows of a boolean matrix and how many times each occurs."""
    packed = np.packbits(matrix, axis=1)
    view = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1])))
    _, first, counts = np.unique(view.ravel(), return_index=True, return_counts=True)
    return matrix[first], counts.astype(np.int64)


def itemset_counts(
    matrix: npt.NDArray[np.bool_], max_size: int = 3
) -> tuple[dict[tuple[int, ...], int], int]:
    """Customers holding each itemset of up to `max_size` items (column indices), and n."""
    rows, weight = _distinct(np.asarray(matrix, dtype=np.bool_))
    n = int(weight.sum())
    w = rows * weight[:, None]  # weighted basket matrix
    singles = w.sum(axis=0)
    pairs = rows.T.astype(np.int64) @ w
    counts: dict[tuple[int, ...], int] = {(i,): int(singles[i]) for i in range(rows.shape[1])}
    for i, j in combinations(range(rows.shape[1]), 2):
        counts[(i, j)] = int(pairs[i, j])
    if max_size >= 3:
        for i, j in combinations(range(rows.shape[1]), 2):
            if pairs[i, j] == 0:
                continue
            both = rows[:, i] & rows[:, j]
            triple = (w[both]).sum(axis=0)
            for k in range(j + 1, rows.shape[1]):
                counts[(i, j, k)] = int(triple[k])
    return counts, n


def _names(items: Sequence[str], item_names: Mapping[str, str] | None) -> list[str]:
    given = item_names or {}
    out = []
    for item in items:
        if item in given:
            out.append(given[item])
        elif item in CATEGORY_NOUNS:
            out.append(CATEGORY_NOUNS[item][0])
        else:
            out.append(item.replace("_", " "))
    return out


def sentence(antecedent: Sequence[str], consequent: str, lift: float, confidence: float) -> str:
    """ "Customers who hold a mortgage and a current account take insurance 3.1 times as
    often as average (42% of them hold it)"."""
    return (
        f"Customers who hold {' and '.join(antecedent)} take {consequent} {lift:.1f} times "
        f"as often as average ({confidence:.0%} of them hold it)"
    )


def association_rules(
    holdings: pd.DataFrame,
    config: AssociationConfig | None = None,
    item_names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Rules X -> Y from the items each customer holds open now.

    `holdings`: one row per open holding with customer_id and `config.item_column`
    (e.g. from `open_holdings` joined to the products). `item_names`: item -> words, e.g.
    a product code -> "a Gold Credit Card" (categories have words already).
    Returns RULE_COLUMNS; antecedent is a tuple of items, consequent an item.
    """
    config = config or AssociationConfig()
    matrix, items = baskets(holdings, config.item_column)
    words = dict(zip(items, _names(items, item_names), strict=True))
    counts, n = itemset_counts(matrix, max_size=config.max_antecedent + 1)
    rows = []
    for itemset, together in counts.items():
        if n == 0 or together / n < config.min_support or len(itemset) < 2:
            continue
        for y in itemset:
            x = tuple(i for i in itemset if i != y)
            confidence = together / counts[x]
            lift = confidence / (counts[(y,)] / n)
            if confidence < config.min_confidence or lift <= config.min_lift:
                continue
            if len(x) > 1 and config.min_improvement is not None:
                best_single = max(counts[tuple(sorted((i, y)))] / counts[(i,)] for i in x)
                if confidence <= best_single + config.min_improvement:
                    continue
            antecedent = tuple(items[i] for i in x)
            rows.append(
                {
                    "antecedent": antecedent,
                    "consequent": items[y],
                    "antecedent_size": len(x),
                    "count": together,
                    "support": together / n,
                    "confidence": confidence,
                    "lift": lift,
                    "sentence": sentence(
                        [words[a] for a in antecedent], words[items[y]], lift, confidence
                    ),
                }
            )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in RULE_COLUMNS})
    rules = pd.DataFrame(rows, columns=list(RULE_COLUMNS))
    rules["_key"] = rules["antecedent"].map(" & ".join) + " -> " + rules["consequent"]
    rules = rules.sort_values(
        ["lift", "count", "_key"], ascending=[False, False, True], kind="stable"
    )
    return rules.drop(columns="_key").reset_index(drop=True)
