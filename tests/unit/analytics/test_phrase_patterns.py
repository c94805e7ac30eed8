"""The inverse of the engine's English templates: every text the engine writes is matched
back to the template that wrote it, with the argument texts exactly as written."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bankcrm.analytics import offer_phrases, phrase_patterns, tiers
from bankcrm.analytics.next_best import explanation
from bankcrm.analytics.phrase_patterns import (
    CHURN_REASONS,
    EXPLANATIONS,
    OFFER_REASONS,
    TIER_REASONS,
    TemplateSet,
    compile_template,
    offer_reasons,
    split_list,
)
from bankcrm.analytics.phrases import PHRASES, describe
from bankcrm.analytics.policy import Tiering

numbers = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)
words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20
)


def _round_trips(templates: TemplateSet, text: str) -> phrase_patterns.Found:
    found = templates.match(text)
    assert found is not None, text
    assert found.template.fill(found.args) == text
    return found


@pytest.mark.parametrize("feature", sorted(PHRASES))
@settings(max_examples=25, deadline=None)
@given(value=numbers)
def test_every_churn_phrase_round_trips(feature: str, value: float) -> None:
    text = describe(feature, value)
    found = _round_trips(CHURN_REASONS, text)
    template = PHRASES[feature]
    if "{v" in template or "{y" in template or "{t}" in template:
        assert found.template.key == feature
        if "{v:.0f}" in template:
            assert found.args["v"] == f"{value:.0f}"
        if "{v:,.0f}" in template:
            assert found.args["v"] == f"{value:,.0f}"
        if "{v:.0%}" in template:
            assert found.args["v"] == f"{value:.0%}"
    elif value:
        assert found.template.key == feature
    else:
        assert found.template.key == "not"
        assert found.args["phrase"] == template


@pytest.mark.parametrize(
    ("feature", "value", "key", "args"),
    [
        ("closed_3m", 2, "closed_3m", {"v": "2"}),
        ("balance_trend_3m", 0.45, "balance_trend_3m", {"v": "45%"}),
        ("deposit_balance", 1234.4, "deposit_balance", {"v": "1,234"}),
        ("tenure_days", 1000, "tenure_days", {"y": "2.7"}),
        ("region", "Prague", "region", {"t": "Prague"}),
        ("region", "Praha: 1", "region", {"t": "Praha: 1"}),
        ("has_manager", True, "has_manager", {"t": "yes"}),
        ("has_manager", 0, "has_manager", {"t": "no"}),
        ("income_stopped", 0, "not", {"phrase": "salary or pension stopped arriving"}),
        ("income_stopped", None, "no_data", {"feature": "income stopped"}),
        ("closed_3m", float("nan"), "no_data", {"feature": "closed 3m"}),
        ("no_such_feature", 2.5, "plain", {"feature": "no such feature", "value": "2.50"}),
        ("closed_3m", "many", "plain", {"feature": "closed 3m", "value": "many"}),
        ("has_mortgage", 1, "has_mortgage", {"v": "1"}),
        ("balance_trend_3m", float("inf"), "balance_trend_3m", {"v": "inf%"}),
    ],
)
def test_churn_phrase_arguments_as_written(
    feature: str, value: object, key: str, args: dict[str, str]
) -> None:
    found = _round_trips(CHURN_REASONS, describe(feature, value))
    assert (found.template.key, found.args) == (key, args)


@pytest.mark.parametrize("column", sorted(offer_phrases.FEATURE_PHRASES))
@pytest.mark.parametrize("value", [5.0, -5.0, 1234.0, float("nan"), "Brno", True, False])
def test_every_offer_reason_round_trips(column: str, value: object) -> None:
    text = offer_phrases.phrase(column, value, 0.0)
    found = _round_trips(OFFER_REASONS, text)
    assert found.template.text in offer_phrases.FEATURE_PHRASES[column]


def test_offer_reason_without_a_phrase_is_the_fallback() -> None:
    found = _round_trips(OFFER_REASONS, offer_phrases.phrase("odd_column_3m", 2.0))
    assert (found.template.key, found.args) == ("fallback:high", {"name": "odd column 3m"})


reason_columns = st.lists(st.sampled_from(sorted(offer_phrases.FEATURE_PHRASES)), max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    product=words,
    propensity=st.floats(min_value=0, max_value=1),
    columns=reason_columns,
    value=st.one_of(numbers, st.sampled_from(["Praha, 1", "Brno (south)", "retail"])),
    margin=numbers,
    horizon=st.integers(min_value=1, max_value=2000),
    currency=st.sampled_from(["CZK", "EUR", "US$"]),
)
def test_every_explanation_round_trips(
    product: str,
    propensity: float,
    columns: list[str],
    value: object,
    margin: float,
    horizon: int,
    currency: str,
) -> None:
    reasons = offer_phrases.phrases(columns, dict.fromkeys(columns, value), {})
    text = explanation(product, propensity, reasons, margin, horizon, currency)
    found = _round_trips(EXPLANATIONS, text)
    assert found.args["currency"] == currency
    if reasons:
        assert found.template.key == "explanation_why"
        assert offer_reasons(found.args["reasons"]) is not None
        if ": " not in product and "(" not in product:
            assert found.args["product"] == product
            assert offer_reasons(found.args["reasons"]) == reasons
    else:
        assert found.template.key == "explanation"
        assert found.args["product"] == product


def test_explanation_arguments() -> None:
    reasons = ["salary or pension paid in", "many bank postings (interest, fees)"]
    text = explanation("Savings Account", 0.18, reasons, 1234.0, 182, "CZK")
    found = EXPLANATIONS.match(text)
    assert found is not None
    assert found.args == {
        "product": "Savings Account",
        "percent": "18%",
        "months": "6 months",
        "reasons": "salary or pension paid in, many bank postings (interest, fees)",
        "currency": "CZK",
        "amount": "1,200",
    }
    assert offer_reasons(found.args["reasons"]) == reasons


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.tuples(st.floats(-1e7, 1e7), st.floats(0, 1e8)), min_size=1, max_size=40),
    currency=st.sampled_from(["CZK", "EUR"]),
)
def test_every_tier_reason_round_trips(values: list[tuple[float, float]], currency: str) -> None:
    contribution = np.array([c for c, _ in values])
    forward = np.array([f for _, f in values])
    result = tiers.assign_tiers(contribution, forward, Tiering(), currency)
    for tier, reason in zip(result.tier, result.reason, strict=True):
        found = _round_trips(TIER_REASONS, reason)
        assert found.template.key == tier
        assert found.args["contribution"].lstrip("-").startswith(currency + " ")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "the customer is unhappy",
        "closed many product(s) in the last 3 months",
        "Savings: 18% likely in 6 months; worth about CZK lots a year",
        "Contribution CZK 1,234 over 12 months",
    ],
)
def test_unknown_texts_match_nothing_specific(text: str) -> None:
    found = CHURN_REASONS.match(text)
    assert found is None or found.template.key in {"plain", "no_data"}
    assert EXPLANATIONS.match(text) is None
    assert TIER_REASONS.match(text) is None


def test_patterns_come_from_the_tables() -> None:
    keys = {t.key for t in CHURN_REASONS}
    assert set(PHRASES) <= keys
    assert {t.key for t in TIER_REASONS} == set(tiers.TIER_REASONS)
    assert compile_template("x", "closed {v:.0f} product(s)").msgid == "closed %(v)s product(s)"
    assert compile_template("x", "{p:.0%} more").msgid == "%(p)s more"
    assert compile_template("x", "under 1%").msgid == "under 1%"
    assert compile_template("x", "{a} is 5%").msgid == "%(a)s is 5%%"
    with pytest.raises(ValueError, match="format spec"):
        compile_template("x", "{v:x}")
    with pytest.raises(ValueError, match="new plain name"):
        compile_template("x", "{v} and {v}")


def test_split_list_tries_every_cut() -> None:
    def fits(text: str) -> bool:
        return text in {"a, b", "c", "d"}

    assert split_list("a, b, c", ", ", fits) == ["a, b", "c"]
    assert split_list("c, d", ", ", fits) == ["c", "d"]
    assert split_list("c, e", ", ", fits) is None
