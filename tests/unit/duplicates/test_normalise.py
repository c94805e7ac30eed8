"""Normalisation: the ways one value is written map to one form (docs/models.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankcrm.duplicates import normalise as n

# Names in Latin script with any accent (Latin-1 and Latin Extended-A letters); the Turkish
# dotted and dotless i change letter when their case changes, so they are left out.
LATIN = st.characters(
    categories=("Lu", "Ll"), max_codepoint=0x17F, exclude_characters="\u0130\u0131\u0149\u017f"
)
words = st.text(alphabet=LATIN, min_size=1, max_size=12)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Jan", "Novák", "jan novak"),
        ("NOVÁK", "jan", "jan novak"),  # order of first and last name
        ("Ing. Jan", "Novák, Ph.D.", "jan novak"),  # titles
        ("Marie-Anne", "Dvořáková", "anne dvorakova marie"),  # punctuation
        (None, None, ""),
    ],
)
def test_person_names(first: str | None, last: str | None, expected: str) -> None:
    assert n.person_name(first, last) == expected


def test_company_names_drop_legal_forms_and_spacing_of_abbreviations() -> None:
    assert n.company_name("Novák Stavby s. r. o.") == "novak stavby"
    assert n.company_name("NOVAK STAVBY, S.R.O.") == "novak stavby"
    assert n.company_name("Alfa Group a.s.") == "alfa group"
    assert n.company_name("Beta Ltd") == "beta"


@pytest.mark.parametrize("raw", ["655101/1234", "655101 1234", "6551011234", " 655101-1234 "])
def test_national_ids(raw: str) -> None:
    assert n.national_id(raw) == "6551011234"


@pytest.mark.parametrize(
    "raw", ["+420 777 123 456", "00420777123456", "777 123 456", "777-123-456", "+420777123456"]
)
def test_phones_of_one_number_agree(raw: str) -> None:
    assert n.phone(raw) == "777123456"


def test_foreign_phones_keep_their_country_code_and_short_ones_are_nothing() -> None:
    assert n.phone("+44 20 7946 0958") == "442079460958"
    assert n.phone("12") == ""
    assert n.phone(None) == ""


def test_emails() -> None:
    assert n.email(" Jan.Novak@Seznam.example ") == "jan.novak@seznam.example"
    assert n.email("jan.novak+bank@gmail.com") == "jannovak@gmail.com"  # documented providers
    assert n.email("jan.novak+bank@firma.example") == "jan.novak+bank@firma.example"
    assert n.email("not an address") == ""


def test_addresses_spell_out_abbreviations() -> None:
    assert n.address("Dlouhá St. 12/3") == n.address("dlouha street 12 3")
    assert n.address("Nám. Míru č.p. 5") == "namesti miru 5"
    assert n.postal_code("110 00") == n.postal_code("11000")


@given(words, words)
def test_name_order_and_case_never_matter(first: str, last: str) -> None:
    assert n.person_name(first, last) == n.person_name(last.upper(), first.lower())


@given(st.text(max_size=40))
def test_normalising_twice_changes_nothing(text: str) -> None:
    assert n.fold(n.fold(text)) == n.fold(text)
    assert n.national_id(n.national_id(text)) == n.national_id(text)
    assert n.address(n.address(text)) == n.address(text)
    assert n.company_name(n.company_name(text)) == n.company_name(text)


@given(st.integers(min_value=100_000_000, max_value=999_999_999))
def test_every_written_form_of_a_czech_mobile_agrees(number: int) -> None:
    digits = str(number)
    forms = [f"+420 {digits[:3]} {digits[3:6]} {digits[6:]}", f"00420{digits}", digits]
    assert {n.phone(f) for f in forms} == {digits}


@given(st.text(max_size=30))
def test_folded_text_is_plain_lower_ascii_words(text: str) -> None:
    folded = n.fold(text)
    assert folded == folded.strip()
    assert all(ch.isascii() and (ch.isalnum() or ch == " ") for ch in folded)
