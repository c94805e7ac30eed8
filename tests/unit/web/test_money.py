"""The fast amount formatter writes exactly what Babel writes, in every locale tried."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from bankcrm.web import money

LOCALES = ("en", "en_GB", "en_US", "zh_Hans", "zh_Hans_CN", "de", "fr", "cs", "ja", "ar")
CURRENCIES = ("CZK", "EUR", "USD", "JPY", "BHD", "CNY")
amounts = st.one_of(
    st.decimals(min_value=-(10**12), max_value=10**12, places=3, allow_nan=False),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("0"), Decimal("-0.004"), Decimal("0.005"), Decimal("2.675"), 2.675]),
)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, locale=st.sampled_from(LOCALES), currency=st.sampled_from(CURRENCIES))
def test_the_same_text_as_babel(amount: Decimal | float, locale: str, currency: str) -> None:
    where = Locale.parse(locale)
    assert money.money(amount, currency, where) == format_currency(amount, currency, locale=where)


@pytest.mark.parametrize("locale", ["en", "zh_Hans", "de"])
def test_common_locales_take_the_fast_path(locale: str) -> None:
    assert money.shape(Locale.parse(locale), "CZK") is not None
