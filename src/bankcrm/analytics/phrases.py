"""Features in words a manager understands, with the customer's own value.

Used for the reasons behind a churn score and the explanation of an offer. A feature
without a phrase here falls back to its name in plain words and its value.
"""

from __future__ import annotations

import math
from typing import Any

from bankcrm.ingest.spec import PRODUCT_CATEGORIES

# Each template receives the value as {v} (a number) or {t} (text).
PHRASES: dict[str, str] = {
    "closed_3m": "closed {v:.0f} product(s) in the last 3 months",
    "closed_12m": "closed {v:.0f} product(s) in the last 12 months",
    "opened_12m": "opened {v:.0f} product(s) in the last 12 months",
    "products_open": "holds {v:.0f} product(s)",
    "categories_open": "uses {v:.0f} kind(s) of product",
    "income_stopped": "salary or pension stopped arriving",
    "income_3m": "income paid in over the last 3 months: {v:,.0f}",
    "income_trend_3m": "income paid in is {v:.0%} of the quarter before",
    "activity_trend_3m": "own transactions are {v:.0%} of the quarter before",
    "activity_vs_year": "activity in the last 3 months is {v:.0%} of the yearly average",
    "own_tx_1m": "{v:.0f} own transaction(s) in the last month",
    "own_tx_3m": "{v:.0f} own transaction(s) in the last 3 months",
    "own_tx_12m": "{v:.0f} own transaction(s) in 12 months",
    "tx_1m": "{v:.0f} transaction(s) in the last month",
    "tx_3m": "{v:.0f} transaction(s) in the last 3 months",
    "days_since_own_tx": "no own transaction for {v:.0f} days",
    "days_since_tx": "no transaction at all for {v:.0f} days",
    "balance_trend_3m": "deposit balance is {v:.0%} of 3 months ago",
    "balance_trend_12m": "deposit balance is {v:.0%} of a year ago",
    "deposit_balance": "deposit balance {v:,.0f}",
    "avg_deposit_balance_12m": "average deposit balance {v:,.0f}",
    "inflow_trend_3m": "money paid in is {v:.0%} of the quarter before",
    "inflow_3m": "paid in {v:,.0f} over the last 3 months",
    "outflow_3m": "paid out {v:,.0f} over the last 3 months",
    "complaints_3m": "{v:.0f} complaint(s) in the last 3 months",
    "complaints_12m": "{v:.0f} complaint(s) in the last 12 months",
    "open_cases": "{v:.0f} case(s) still open",
    "satisfaction_12m": "satisfaction with service {v:.1f} of 5",
    "interactions_3m": "{v:.0f} contact(s) with the bank in 3 months",
    "interactions_12m": "{v:.0f} contact(s) with the bank in 12 months",
    "inbound_3m": "contacted the bank {v:.0f} time(s) in 3 months",
    "declined_offers_12m": "declined {v:.0f} offer(s) this year",
    "days_since_interaction": "no contact with the bank for {v:.0f} days",
    "digital_share_12m": "{v:.0%} of transactions are digital",
    "tenure_days": "customer for {y:.1f} years",
    "age_years": "aged {v:.0f}",
    "annual_income": "annual income {v:,.0f}",
    "loans_bad": "{v:.0f} loan(s) in arrears",
    "loans_open": "{v:.0f} loan(s) open",
    "lending_exposure": "borrowing {v:,.0f}",
    "credit_limit": "credit limits {v:,.0f}",
    "card_balance": "credit card balance {v:,.0f}",
    "card_spend_12m": "card spending {v:,.0f} in 12 months",
    "fees_paid_12m": "paid {v:,.0f} in fees in 12 months",
    "has_manager": "has a dedicated manager: {t}",
    "kyc_status": "KYC status {t}",
    "kyc_overdue": "KYC review overdue: {t}",
    "risk_rating": "risk rating {t}",
    "kind": "{t} customer",
    "region": "region {t}",
    "active_weeks_12m": "active in {v:.0f} of the last 52 weeks",
    "active_quarters_12m": "active in {v:.0f} of the last 4 quarters",
    "wealth_balance": "investments {v:,.0f}",
}
for _category in PRODUCT_CATEGORIES:
    PHRASES.setdefault(f"has_{_category}", "holds {v:.0f} " + _category.replace("_", " ") + "(s)")

# The phrases `describe` writes around the templates: a feature without data, a feature
# without a template (or a text value for a number template), a yes/no feature that is no.
NO_DATA = "{feature}: no data"
PLAIN = "{feature}: {value}"
NEGATED = "not: {phrase}"
# What {t} becomes for a yes/no value.
YES, NO = "yes", "no"


def feature_words(feature: str) -> str:
    return feature.replace("_", " ")


def describe(feature: str, value: Any) -> str:
    """`feature` with the customer's `value`, as a short phrase."""
    if hasattr(value, "item"):  # numpy scalars to Python ones
        value = value.item()
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if missing:
        return NO_DATA.format(feature=feature_words(feature))
    template = PHRASES.get(feature)
    if template is None:
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        return PLAIN.format(feature=feature_words(feature), value=shown)
    if isinstance(value, bool | str) or not isinstance(value, int | float):
        if "{v" in template:
            return PLAIN.format(feature=feature_words(feature), value=value)
        if "{t}" not in template:  # a yes/no feature: the phrase itself when true
            return template if value else NEGATED.format(phrase=template)
        return template.format(t=YES if value is True else NO if value is False else value)
    number = float(value)
    if "{t}" in template:
        return template.format(t=YES if number else NO)
    if "{v" not in template and "{y" not in template:
        return template if number else NEGATED.format(phrase=template)
    return template.format(v=number, y=number / 365.25)
