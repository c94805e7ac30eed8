"""Feature columns in plain words for offer explanations: qualitative, value-aware.

Each feature has a phrase for a value above the model's reference (the training median,
or "present" for counts and flags) and one for a value below it, because a reason can
push a propensity up either way: "holds a mortgage" and "no mortgage yet" are both
reasons. `{value}` in a phrase is replaced by the customer's value (age, region, ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from bankcrm.ingest.spec import PRODUCT_CATEGORIES

# category -> (with an article, bare): "holds a mortgage", "no mortgage"
CATEGORY_NOUNS: dict[str, tuple[str, str]] = {
    "current_account": ("a current account", "current account"),
    "savings_account": ("a savings account", "savings account"),
    "term_deposit": ("a term deposit", "term deposit"),
    "consumer_loan": ("a consumer loan", "consumer loan"),
    "mortgage": ("a mortgage", "mortgage"),
    "business_loan": ("a business loan", "business loan"),
    "credit_card": ("a credit card", "credit card"),
    "debit_card": ("a debit card", "debit card"),
    "wealth_management": ("investments", "investments"),
    "insurance": ("insurance", "insurance"),
    "payroll": ("a payroll service", "payroll service"),
    "cash_management": ("cash management", "cash management"),
    "trade_finance": ("trade finance", "trade finance"),
}

_WINDOW = {"1m": "last month", "3m": "last 3 months", "12m": "last year"}


def _windowed(stem: str, high: str, low: str) -> dict[str, tuple[str, str]]:
    return {f"{stem}_{w}": (f"{high} ({text})", f"{low} ({text})") for w, text in _WINDOW.items()}


FEATURE_PHRASES: dict[str, tuple[str, str]] = {
    # profile
    "kind": ("{value} customer", "{value} customer"),
    "branch_id": ("customer of branch {value}", "customer of branch {value}"),
    "region": ("lives or trades in {value}", "lives or trades in {value}"),
    "risk_rating": ("{value} risk rating", "{value} risk rating"),
    "kyc_status": ("KYC {value}", "KYC {value}"),
    "annual_income": ("high declared income", "modest declared income"),
    "marketing_consent": ("agreed to marketing", "no marketing consent"),
    "profiling_consent": ("agreed to profiling", "no profiling consent"),
    "has_manager": ("has a personal manager", "no personal manager"),
    "age_years": ("age {value}", "age {value}"),
    "tenure_days": ("long relationship", "fairly new customer"),
    "kyc_overdue": ("KYC review overdue", "KYC up to date"),
    # holdings
    "products_open": ("holds many products", "holds few products"),
    "categories_open": ("uses many kinds of products", "uses few kinds of products"),
    "products_ever": ("many products over the years", "few products over the years"),
    "opened_12m": ("opened products recently", "no new products this year"),
    "closed_3m": ("closed a product lately", "closed nothing lately"),
    "closed_12m": ("closed products this year", "closed nothing this year"),
    "lending_exposure": ("borrows from the bank", "little borrowing"),
    "credit_limit": ("high credit limit", "low credit limit"),
    "loans_open": ("has loans", "no loans"),
    "loans_bad": ("a loan in arrears", "loans in good standing"),
    "loan_principal": ("large loans", "small or no loans"),
    "monthly_loan_payment": ("high loan repayments", "low loan repayments"),
    "extract_deposit_balance": ("high deposit balance", "low deposit balance"),
    "wealth_balance": ("invested assets", "few invested assets"),
    "first_opened_day": ("first product recently", "first product long ago"),
    **{
        f"has_{c}": (f"holds {CATEGORY_NOUNS[c][0]}", f"no {CATEGORY_NOUNS[c][1]} yet")
        for c in PRODUCT_CATEGORIES
    },
    # transactions
    **_windowed("tx", "many transactions", "few transactions"),
    **_windowed("own_tx", "uses the account a lot", "uses the account little"),
    **_windowed("inflow", "high money paid in", "little money paid in"),
    **_windowed("outflow", "high spending", "low spending"),
    "tx_prior_3m": ("many transactions the quarter before", "few transactions the quarter before"),
    "own_tx_prior_3m": ("active the quarter before", "little activity the quarter before"),
    "inflow_prior_3m": ("high money paid in the quarter before", "little paid in before"),
    "income_3m": ("regular income paid in", "no regular income paid in lately"),
    "income_prior_3m": ("income paid in the quarter before", "no income the quarter before"),
    "income_12m": ("salary or pension paid in", "no salary or pension paid in"),
    "tx_branch_12m": ("uses the branch", "rarely visits the branch"),
    "tx_atm_12m": ("uses ATMs", "rarely uses ATMs"),
    "tx_card_12m": ("pays by card", "rarely pays by card"),
    "tx_online_12m": ("banks online", "rarely banks online"),
    "tx_mobile_12m": ("uses the mobile app", "rarely uses the mobile app"),
    "tx_transfer_12m": ("many transfers", "few transfers"),
    "tx_system_12m": ("many bank postings (interest, fees)", "few bank postings"),
    "fees_paid_12m": ("pays notable fees", "pays few fees"),
    "interest_received_12m": ("earns interest on savings", "earns little interest"),
    "interest_charged_12m": ("pays interest on credit", "pays little credit interest"),
    "card_spend_12m": ("high card spending", "low card spending"),
    "loan_payments_12m": ("repays loans", "no loan repayments"),
    "days_since_own_tx": ("no own activity for a while", "used the account recently"),
    "days_since_tx": ("no transactions for a while", "recent transactions"),
    "active_weeks_12m": ("active most weeks", "active in few weeks"),
    "first_active_week": ("active all year", "active only lately"),
    "last_active_week": ("quiet lately", "active lately"),
    "active_quarters_12m": ("active every quarter", "active in few quarters"),
    # balances
    "deposit_balance": ("high deposit balance", "low deposit balance"),
    "deposit_balance_3m_ago": ("high balance 3 months ago", "low balance 3 months ago"),
    "deposit_balance_6m_ago": ("high balance 6 months ago", "low balance 6 months ago"),
    "deposit_balance_12m_ago": ("high balance a year ago", "low balance a year ago"),
    "avg_deposit_balance_12m": ("high average balance", "low average balance"),
    "card_balance": ("uses credit on the card", "little card debt"),
    "avg_card_balance_12m": ("carries a card balance", "little card balance over the year"),
    # contacts
    "interactions_3m": ("in recent contact with the bank", "no recent contact"),
    "interactions_12m": ("often in contact with the bank", "rarely in contact"),
    "inbound_3m": ("contacted the bank lately", "has not contacted the bank lately"),
    "declined_offers_12m": ("declined offers this year", "declined no offers"),
    "days_since_interaction": ("no contact for a while", "spoke to the bank recently"),
    "complaints_3m": ("complained lately", "no recent complaints"),
    "complaints_12m": ("complained this year", "no complaints this year"),
    "cases_12m": ("raised requests this year", "raised no requests"),
    "open_cases": ("has an open case", "no open cases"),
    "satisfaction_12m": ("satisfied with service", "less satisfied with service"),
    # trends and shares
    "activity_trend_3m": ("activity rising", "activity falling"),
    "activity_vs_year": ("more active than usual", "less active than usual"),
    "inflow_trend_3m": ("more money coming in", "less money coming in"),
    "income_trend_3m": ("income rising", "income falling"),
    "balance_trend_3m": ("balance growing", "balance shrinking"),
    "balance_trend_12m": ("balance grew over the year", "balance fell over the year"),
    "digital_share_12m": ("banks mostly digitally", "banks mostly in person"),
    "income_stopped": ("income stopped", "income continues"),
}


# A column without a phrase, high and low; a missing value.
FALLBACK: tuple[str, str] = ("high {name}", "low {name}")
UNKNOWN = "unknown"

# The explanation of an offer (`next_best.explanation`), with and without reasons; the
# propensity and the horizon in words.
EXPLANATION = "{product}: {percent} likely in {months}; worth about {currency} {amount} a year"
EXPLANATION_WHY = (
    "{product}: {percent} likely in {months} ({reasons}); worth about {currency} {amount} a year"
)
REASON_SEPARATOR = ", "
PERCENT = "{p:.0%}"
UNDER_1_PERCENT = "under 1%"
MONTHS = "{n} months"
A_YEAR = "a year"


def humanise(column: str) -> str:
    """A readable name for a column without a phrase: "own_tx_3m" -> "own tx 3m"."""
    return column.replace("_", " ").strip()


def _show(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return UNKNOWN
        return f"{value:,.0f}" if abs(value) >= 10 or value.is_integer() else f"{value:.2f}"
    return str(value)


def phrase(column: str, value: object, reference: float | None = None) -> str:
    """The column and this customer's value in words, relative to `reference`.

    Numbers above the reference (or, without one, above zero) read as "high"; text values
    use the phrase with the value itself.
    """
    fallback = tuple(t.format(name=humanise(column)) for t in FALLBACK)
    high, low = FEATURE_PHRASES.get(column, fallback)
    above = True
    if isinstance(value, bool):
        above = value
    elif isinstance(value, int | float):
        number = float(value)
        base = 0.0 if reference is None else reference
        above = not math.isnan(number) and number > base
    text = high if above else low
    return text.replace("{value}", _show(value))


def phrases(
    columns: list[str], values: Mapping[str, object], references: Mapping[str, float]
) -> list[str]:
    """Several reasons in words, without repeating the same words twice."""
    out: list[str] = []
    for column in columns:
        words = phrase(column, values.get(column), references.get(column))
        if words not in out:
            out.append(words)
    return out
