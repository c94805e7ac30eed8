"""Cell checks a column at a time: what the format accepts, and the words used when not."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankcrm.ingest import spec
from bankcrm.ingest.columnar import convert, first_reasons

BALANCE = spec.HOLDINGS.column("balance")
LIMIT = spec.HOLDINGS.column("credit_limit")
OPENED = spec.HOLDINGS.column("opened_on")
TERM = spec.HOLDINGS.column("term_months")
KIND = spec.CUSTOMERS.column("kind")
CONSENT = spec.CUSTOMERS.column("marketing_consent")
OCCURRED = spec.INTERACTIONS.column("occurred_at")
NATIONAL_ID = spec.CUSTOMERS.column("national_id")
RATE = spec.PRODUCTS.column("interest_rate")


def _one(column: spec.Column, cell: Any) -> tuple[Any, str]:
    values, checks = convert(column, pa.array([cell]))
    bad, reasons = first_reasons(checks, 1)
    return values.to_pylist()[0], str(reasons[0]) if bad[0] else ""


@pytest.mark.parametrize(
    ("column", "raw", "expected"),
    [
        (BALANCE, "-12.50", Decimal("-12.50")),
        (BALANCE, " 7 ", Decimal("7")),
        (OPENED, "2024-02-29", date(2024, 2, 29)),
        (OCCURRED, "2024-02-29T10:11:12", datetime(2024, 2, 29, 10, 11, 12)),
        (OCCURRED, "2024-02-29 10:11", datetime(2024, 2, 29, 10, 11)),
        (OCCURRED, "2024-02-29T10:11:12Z", datetime(2024, 2, 29, 10, 11, 12)),
        (OCCURRED, "2024-02-29T10:11:12.250", datetime(2024, 2, 29, 10, 11, 12, 250000)),
        (BALANCE, "0.125", Decimal("0.13")),  # money: two places, half away from zero
        (BALANCE, "-0.125", Decimal("-0.13")),
        (RATE, "3.14159", Decimal("3.1416")),  # rates: four places
        (CONSENT, "TRUE", True),
        (CONSENT, "0", False),
        (TERM, "360", 360),
        (KIND, "corporate", "corporate"),
        (LIMIT, "", None),
        (LIMIT, "   ", None),
    ],
)
def test_accepted_spellings(column: spec.Column, raw: str, expected: object) -> None:
    assert _one(column, raw) == (expected, "")


@pytest.mark.parametrize(
    ("column", "raw", "reason"),
    [
        (BALANCE, "1,5", "use a dot for decimals"),
        (BALANCE, "NaN", "not a number"),
        (BALANCE, "1" * 17, "not a number"),
        (LIMIT, "-1", "may not be negative"),
        (OPENED, "2023-02-29", "not a real calendar date"),
        (OPENED, "29.02.2024", "YYYY-MM-DD"),
        (OCCURRED, "2024-02-30T10:00:00", "not a real calendar date"),
        (TERM, "12.5", "not a whole number"),
        (KIND, "person", "'{value}' is not one of: individual, corporate"),
        (CONSENT, "maybe", "not true or false"),
        (NATIONAL_ID, "", "required but empty"),
        (NATIONAL_ID, "x" * 65, "longer than 64 characters"),
        (NATIONAL_ID, "80\x0001", "contains a NUL character"),
        (RATE, "123456", "may not exceed 100"),
    ],
)
def test_rejected_cells_say_why(column: spec.Column, raw: str, reason: str) -> None:
    _value, why = _one(column, raw)
    assert reason in why


def test_typed_parquet_columns_are_cast() -> None:
    values, checks = convert(BALANCE, pa.array([1.004, 2.5, -3.0]))
    assert values.to_pylist() == [Decimal("1.000000"), Decimal("2.500000"), Decimal("-3.000000")]
    assert not first_reasons(checks, 3)[0].any()
    opened, _ = convert(OPENED, pa.array([date(2020, 1, 1)]))
    assert opened.to_pylist() == [date(2020, 1, 1)]


def test_bad_utf8_bytes_are_flagged_per_cell() -> None:
    raw = pa.array([b"ok", b"bad \xff byte"], pa.binary()).cast(pa.string(), safe=False)
    _values, checks = convert(KIND, raw)
    bad, reasons = first_reasons(checks, 2)
    assert list(bad) == [True, True]  # "ok" is not an enum value either
    assert reasons[1] == "not valid UTF-8 (bad encoding)"


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12
    )
)
def test_decimal_round_trip(value: Decimal) -> None:
    assert _one(BALANCE, str(value)) == (value, "")


@given(st.dates(min_value=date(1000, 1, 1)))
def test_date_round_trip(value: date) -> None:
    assert _one(OPENED, value.isoformat()) == (value, "")


@given(st.datetimes(min_value=datetime(1900, 1, 1)).map(lambda d: d.replace(microsecond=0)))
def test_datetime_round_trip(value: datetime) -> None:
    assert _one(OCCURRED, value.isoformat()) == (value, "")


def test_floats_round_like_text() -> None:
    """A Parquet float and the same number written as text are stored alike."""
    from_floats, _ = convert(BALANCE, pa.array([0.125, -0.125, 2.675]))
    from_text, _ = convert(BALANCE, pa.array(["0.125", "-0.125", "2.675"]))
    assert (
        from_floats.to_pylist()[:2]
        == from_text.to_pylist()[:2]
        == [
            Decimal("0.13"),
            Decimal("-0.13"),
        ]
    )
    assert from_text.to_pylist()[2] == Decimal("2.68")
