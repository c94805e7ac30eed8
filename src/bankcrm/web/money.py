"""Amounts in a locale's currency format, as Babel writes them, about twenty times faster.

Babel's `format_currency` takes ~120 µs an amount: the dashboard's tables cost 45 ms of its
server time (benchmarks/bench_pages.py). Babel is asked once per locale and currency how it
writes two probe amounts; what stands around the digits (symbol, spacing, sign) and the
group and decimal marks are kept, and later amounts are written by Python's own
formatting, rounded half to even as Babel rounds. A shape that does not reproduce Babel on
test amounts (an unusual pattern) keeps using Babel.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import format_currency, get_decimal_symbol, get_group_symbol

PROBE = Decimal("1234567.891")
CHECKS = (Decimal("0.5"), Decimal("12.345"), Decimal("-98765.4321"), Decimal("1000000000"))


@dataclass(frozen=True)
class Shape:
    positive: tuple[str, str]  # what stands before and after the digits
    negative: tuple[str, str]
    digits: int  # decimals of the currency
    group: str
    decimal: str

    def write(self, amount: Decimal) -> str:
        text = f"{abs(amount):,.{self.digits}f}"
        text = text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.group)
        before, after = self.negative if amount < 0 else self.positive
        return before + text + after


def _around(written: str, digits: str) -> tuple[str, str] | None:
    at = written.find(digits)
    if at < 0:
        return None
    return written[:at], written[at + len(digits) :]


@cache
def shape(locale: Locale, currency: str) -> Shape | None:
    """How `locale` writes `currency`, or None when Babel must write it itself."""
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    for digits in (2, 0, 3, 1, 4):
        plain = f"{PROBE:,.{digits}f}".replace(",", "\0").replace(".", decimal)
        plain = plain.replace("\0", group)
        positive = _around(format_currency(PROBE, currency, locale=locale), plain)
        negative = _around(format_currency(-PROBE, currency, locale=locale), plain)
        if positive is not None and negative is not None:
            found = Shape(positive, negative, digits, group, decimal)
            if all(found.write(c) == format_currency(c, currency, locale=locale) for c in CHECKS):
                return found
            return None
    return None


def money(amount: Decimal | float, currency: str, locale: Locale) -> str:
    """`format_currency(amount, currency, locale=locale)`, the same text."""
    exact = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    found = shape(locale, currency)
    if found is None or not exact.is_finite():
        return format_currency(amount, currency, locale=locale)
    rounded = round(exact, found.digits)
    if rounded == 0:  # Babel keeps the sign of a negative zero: let it decide
        return format_currency(amount, currency, locale=locale)
    return found.write(exact)
