"""The segment builder's form: fields to a definition, errors by field, and back to the
address the builder and the campaign pages link to."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bankcrm.marketing.schemas import SegmentDefinition
from bankcrm.marketing.segment_form import (
    LISTS,
    MIN_ABOVE_MAX,
    NOT_A_NUMBER,
    SegmentForm,
    parse,
    to_query,
)

TIERS = LISTS["tiers"]


def _form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _parse(pairs: list[tuple[str, str]]) -> SegmentForm:
    data = _form(pairs)
    return parse(lambda name: data.get(name, []))


def test_fields_become_a_definition() -> None:
    form = _parse(
        [
            ("tiers", "growth"),
            ("tiers", "gold"),
            ("tiers", "gold"),
            ("churn_probability_min", "30"),
            ("clv_max", "1 000,5"),
            ("age_min", "18"),
            ("regions", "Praha, Brno,,"),
            ("branch_ids", "7"),
            ("holds", ""),
        ]
    )
    assert form.errors == {}
    assert form.segment == SegmentDefinition.model_validate(
        {
            "tiers": ["gold", "growth"],  # the form's order, once each
            "churn_probability": {"min": 0.3},
            "clv": {"max": 1000.5},
            "age": {"min": 18},
            "regions": ["Brno", "Praha"],
            "branch_ids": [7],
        }
    )
    assert _parse([]).segment == SegmentDefinition()  # everyone


def test_errors_are_by_field_and_give_no_definition() -> None:
    form = _parse(
        [
            ("age_min", "40"),
            ("age_max", "20"),
            ("clv_min", "many"),
            ("contribution_min", "1e999"),
            ("tiers", "platinum"),
        ]
    )
    assert form.segment is None
    assert form.errors["age_max"][0] == MIN_ABOVE_MAX
    assert form.errors["clv_min"][0] == NOT_A_NUMBER
    assert form.errors["contribution_min"][0] == NOT_A_NUMBER
    assert set(form.errors) == {"age_max", "clv_min", "contribution_min", "tiers"}
    assert form.values["age_min"] == ["40"]  # shown again as typed


bound = st.one_of(st.none(), st.integers(min_value=0, max_value=100))


@given(low=bound, high=bound, tiers=st.sets(st.sampled_from(TIERS)))
def test_the_address_of_a_definition_gives_it_back(
    low: int | None, high: int | None, tiers: set[str]
) -> None:
    if low is not None and high is not None and low > high:
        low, high = high, low
    churn = None if low is None and high is None else {"min": low, "max": high}
    segment = SegmentDefinition.model_validate(
        {
            "churn_probability": None
            if churn is None
            else {k: v / 100 for k, v in churn.items() if v is not None},
            "age": churn,
            "tiers": [t for t in TIERS if t in tiers] or None,
        }
    )
    again = _parse(to_query(segment))
    assert again.errors == {}
    assert again.segment is not None
    assert again.segment.model_dump(exclude_none=True) == segment.model_dump(exclude_none=True)
