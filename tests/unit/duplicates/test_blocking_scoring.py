"""Blocking (which pairs are compared at all) and scoring (documented weights)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bankcrm.duplicates.blocking import block_pairs, candidate_pairs
from bankcrm.duplicates.frame import FrameBuilder
from bankcrm.duplicates.scoring import (
    THRESHOLD,
    WEIGHTS,
    edit_distance,
    ids_similar,
    matched_fields,
    names_similar,
    score_pairs,
)

BORN = date(1980, 5, 17)


def row(rid: int, **values: Any) -> tuple[Any, ...]:
    base: dict[str, Any] = {
        "kind": "individual", "national_id": None, "first_name": None, "last_name": None,
        "company_name": None, "birth_date": None, "email": None, "phone": None,
        "address": None, "postal_code": None,
    }  # fmt: skip
    base.update(values)
    return (rid, *base.values())


def frame(*rows: tuple[Any, ...], prospects: tuple[tuple[Any, ...], ...] = ()) -> Any:
    builder = FrameBuilder()
    builder.add("c", list(rows))
    builder.add("p", list(prospects))
    return builder.frame()


def pairs_of(f: Any) -> set[tuple[str, str]]:
    left, right, _ = candidate_pairs(f)
    return {(f.ref[a], f.ref[b]) for a, b in zip(left, right, strict=True)}


def test_a_pair_in_no_common_block_is_never_compared() -> None:
    f = frame(
        row(1, first_name="Jan", last_name="Novák", birth_date=BORN, phone="777123456"),
        row(2, first_name="Jan", last_name="Novák", birth_date=BORN, phone="+420 777 123 456"),
        # Same name, but another birth date, phone, id, e-mail and postal code: no shared key.
        row(3, first_name="Jan", last_name="Novák", birth_date=date(1990, 1, 1), phone="601000000"),
    )
    assert pairs_of(f) == {("c:1", "c:2")}


def test_two_prospects_and_a_person_with_a_company_are_not_compared() -> None:
    f = frame(
        row(1, kind="corporate", company_name="Alfa s.r.o.", phone="777123456"),
        row(2, first_name="Eva", last_name="Malá", phone="777123456"),
        prospects=(row(1, email="eva@x.example"), row(2, email="eva@x.example")),
    )
    assert pairs_of(f) == set()


def test_blocks_over_the_cap_are_skipped_and_counted() -> None:
    rows = np.arange(10, dtype=np.int64)
    keys = np.asarray(["big"] * 6 + ["small"] * 3 + ["alone"], dtype=object)
    left, right, used, skipped = block_pairs(rows, keys, cap=5)
    assert (used, skipped) == (1, 1)
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [(6, 7), (6, 8), (7, 8)]


def test_a_typo_or_swapped_names_still_share_a_name_and_birth_date_block() -> None:
    f = frame(
        row(1, first_name="Jan", last_name="Novák", birth_date=BORN),
        row(2, first_name="Nowák", last_name="Jan", birth_date=BORN),
    )
    assert pairs_of(f) == {("c:1", "c:2")}


def test_edit_distance() -> None:
    assert edit_distance("novak", "novak", 2) == 0
    assert edit_distance("novak", "nowak", 2) == 1
    assert edit_distance("novak", "nvoak", 2) == 1  # two neighbours swapped
    assert edit_distance("novak", "svoboda", 2) == 3  # beyond the limit: limit + 1
    assert names_similar("jan novak", "jan nowak")
    assert names_similar("aovak jan", "jan novak")  # the typo changed the word order
    assert not names_similar("jan novak", "petr svoboda")


def test_scores_add_the_documented_weights() -> None:
    same = {"birth_date": BORN, "address": "Dlouhá 5"}
    a = row(1, national_id="800517/1234", first_name="Jan", last_name="Novák",
            email="jan@x.example", phone="777123456", postal_code="11000", **same)  # fmt: skip
    b = row(2, national_id="8005171234", first_name="JAN", last_name="NOVAK",
            email="JAN@X.EXAMPLE", phone="+420777123456", postal_code="110 00", **same)  # fmt: skip
    f = frame(a, b)
    scored = score_pairs(f, np.asarray([0]), np.asarray([1]))
    assert scored.score[0] == sum(w.agree for w in WEIGHTS.values())
    assert {name for name, _ in matched_fields(scored, 0)} == set(WEIGHTS)


def test_an_id_typo_counts_as_similar_and_a_namesake_with_another_id_is_no_candidate() -> None:
    base = {"first_name": "Jan", "last_name": "Novák", "birth_date": BORN}
    f = frame(
        row(1, national_id="8005171234", **base),
        row(2, national_id="8005171235", **base),  # one wrong digit
        row(3, national_id="8005179876", **base),  # a namesake born the same day
    )
    scored = score_pairs(f, np.asarray([0, 0]), np.asarray([1, 2]))
    assert dict(matched_fields(scored, 0))["national_id"] == "similar"
    assert scored.score[0] >= THRESHOLD
    assert scored.score[1] < THRESHOLD


@given(st.text(alphabet="0123456789", min_size=1, max_size=12), st.data())
def test_id_similarity_is_an_edit_distance_of_one_between_equal_lengths(
    a: str, data: st.DataObject
) -> None:
    b = data.draw(st.text(alphabet="0123456789", min_size=len(a), max_size=len(a)))
    assert ids_similar(a, b) == (edit_distance(a, b, 1) <= 1)
    swapped = a[1] + a[0] + a[2:] if len(a) > 1 else a
    assert ids_similar(a, swapped)
