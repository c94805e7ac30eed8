"""Customer features as of a date, written once as ibis expressions.

The same expressions run on DuckDB (the default) and on Spark (`bankcrm[spark]`): only
portable operations are used (filters, grouped aggregates with `where=`, joins, `argmax`,
`epoch_days`). Nothing after the as-of date is read, so a feature table for a past date
is what the bank would have seen on that day: churn training snapshots rely on it.

Dates are compared as days since 1970 (`epoch_days`), windows are half-open
(as_of - N days, as_of], and every count defaults to 0, every amount to 0.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from bankcrm.ingest.spec import (
    LENDING_CATEGORIES,
    LOAN_CATEGORIES,
    PRODUCT_CATEGORIES,
    TX_CHANNELS,
)

SELF_SERVICE_CHANNELS = ("atm", "card", "online", "mobile")
CUSTOMER_CHANNELS = ("branch", *SELF_SERVICE_CHANNELS)  # transactions the customer initiates
DEPOSIT_CATEGORIES = ("current_account", "savings_account", "term_deposit", "payroll")
INCOME_CATEGORIES = ("salary", "pension")
CENTS = dt.Decimal(24, 2)
FINE = dt.Decimal(38, 9)  # floats to decimals before rounding to cents: see cents_sum
WINDOWS = {"1m": 30, "3m": 91, "12m": 365}
PRIOR_3M = (182, 91)  # the quarter before the last one: (from, to) days back


@dataclass
class FeatureSources:
    """The inputs, as ibis tables on one backend (read by `bankcrm.analytics.repository`)."""

    transactions: ir.Table  # the lake: account_no, booked_on, direction, amount, ...
    accounts: ir.Table  # holdings with their product: account_no, customer_id, category, ...
    customers: ir.Table
    interactions: ir.Table  # customer_id, occurred_on, channel, direction, outcome
    cases: ir.Table  # customer_id, kind, opened_on, resolved_on, satisfaction


def epoch_day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _open_on(accounts: ir.Table, day: int) -> ir.BooleanValue:
    opened = accounts.opened_on.epoch_days() <= day
    closed = accounts.closed_on.epoch_days()
    return opened & (closed.isnull() | (closed > day))


def cents_sum(values: ir.NumericValue, where: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """Amounts rounded to cents and summed exactly in decimal: a float sum depends on the
    order the engine meets the rows in, and re-runs must give the same scores.

    Rounded as decimals, not as floats: a float half a cent off (34552.645, a mean of 12
    month ends) rounds by its binary value on DuckDB (34552.64) and by its shortest decimal
    on Spark (34552.65). Nine places first keep the value as printed; then both round the
    half up, away from zero."""
    return values.cast(FINE).round(2).cast(CENTS).sum(where=where).cast("float64")


def _money_sum(t: ir.Table, where: ir.BooleanValue) -> ir.FloatingValue:
    """An exact decimal sum, then a float: float sums depend on the engine's row order."""
    return t.amount.sum(where=where).cast("float64")


def transaction_features(tx: ir.Table, accounts: ir.Table, as_of: date) -> ir.Table:
    """Recency, frequency and money by window, channel and category; RFM in weeks."""
    today = epoch_day(as_of)
    t = tx.join(accounts.select("account_no", "customer_id"), "account_no")
    age = today - t.booked_on.epoch_days()  # days before as-of, 0 = on the day
    t = t.mutate(age=age).filter((age >= 0) & (age < WINDOWS["12m"]))
    own = t.channel.isin(CUSTOMER_CHANNELS)
    credit = t.direction == "credit"
    debit = t.direction == "debit"
    aggs: dict[str, ir.Value] = {}
    for name, days in WINDOWS.items():
        inside = t.age < days
        aggs[f"tx_{name}"] = t.count(where=inside)
        aggs[f"own_tx_{name}"] = t.count(where=inside & own)
        aggs[f"inflow_{name}"] = _money_sum(t, inside & credit)
        aggs[f"outflow_{name}"] = _money_sum(t, inside & debit)
    prior = (t.age >= PRIOR_3M[1]) & (t.age < PRIOR_3M[0])
    aggs["tx_prior_3m"] = t.count(where=prior)
    aggs["own_tx_prior_3m"] = t.count(where=prior & own)
    aggs["inflow_prior_3m"] = _money_sum(t, prior & credit)
    income = credit & t.category.isin(INCOME_CATEGORIES)
    aggs["income_3m"] = _money_sum(t, income & (t.age < WINDOWS["3m"]))
    aggs["income_prior_3m"] = _money_sum(t, income & prior)
    aggs["income_12m"] = _money_sum(t, income)
    for channel in TX_CHANNELS:
        aggs[f"tx_{channel}_12m"] = t.count(where=t.channel == channel)
    aggs["fees_paid_12m"] = _money_sum(t, debit & (t.category == "fee"))
    aggs["interest_received_12m"] = _money_sum(t, credit & (t.category == "interest"))
    aggs["interest_charged_12m"] = _money_sum(t, debit & (t.category == "interest"))
    aggs["card_spend_12m"] = _money_sum(t, t.category == "card_payment")
    aggs["loan_payments_12m"] = _money_sum(t, debit & (t.category == "loan_payment"))
    aggs["days_since_own_tx"] = t.age.min(where=own)
    aggs["days_since_tx"] = t.age.min()
    # RFM for BG/NBD over the 52-week calibration window: activity = an active week.
    week = t.age // 7
    aggs["active_weeks_12m"] = week.nunique(where=own)
    aggs["first_active_week"] = week.max(where=own)  # weeks before as-of
    aggs["last_active_week"] = week.min(where=own)
    aggs["active_months_12m"] = (t.age // 30).nunique(where=own)
    return t.group_by("customer_id").aggregate(**aggs)


def _dated_balances(tx: ir.Table, as_of: date) -> ir.Table:
    today = epoch_day(as_of)
    t = tx.filter(tx.balance_after.notnull()).mutate(age=today - tx.booked_on.epoch_days())
    return t.filter(t.age >= 0)


def month_end_balances(tx: ir.Table, as_of: date) -> ir.Table:
    """Per account and month back from as-of (0-11, months of 30 days with activity): the
    balance after the month's last transaction, as an exact decimal."""
    t = _dated_balances(tx, as_of)
    recent = t.filter(t.age < WINDOWS["12m"])
    return recent.group_by(["account_no", (recent.age // 30).name("month_back")]).aggregate(
        month_end=recent.balance_after.argmax(recent.transaction_id)
    )


def _mean(total: ir.NumericValue, count: ir.IntegerValue) -> ir.FloatingValue:
    """An exact decimal total over a count: one float division, the same on every engine."""
    return total.cast("float64") / count


def account_balances(tx: ir.Table, as_of: date) -> ir.Table:
    """Per account: balance now and 3, 6 and 12 months ago, and the 12-month average.

    A balance is the `balance_after` of the account's last transaction on or before the
    day. The average is the mean of month-end balances over the months with activity.
    Products without transactions in the lake (loans, term deposits, mandates) are absent:
    their balance comes from the extract.
    """
    t = _dated_balances(tx, as_of)
    per_account = t.group_by("account_no").aggregate(
        balance_now=t.balance_after.argmax(t.transaction_id),
        balance_3m_ago=t.balance_after.argmax(t.transaction_id, where=t.age >= WINDOWS["3m"]),
        balance_6m_ago=t.balance_after.argmax(t.transaction_id, where=t.age >= PRIOR_3M[0]),
        balance_12m_ago=t.balance_after.argmax(t.transaction_id, where=t.age >= WINDOWS["12m"]),
    )
    month_end = month_end_balances(tx, as_of)
    average = month_end.group_by("account_no").aggregate(
        avg_balance_12m=_mean(month_end.month_end.sum(), month_end.count())
    )
    per_account = per_account.select(
        "account_no", *[per_account[c].cast("float64").name(c) for c in per_account.columns[1:]]
    )
    return per_account.left_join(average, "account_no").drop("account_no_right")


def balance_features(balances: ir.Table, month_end: ir.Table, accounts: ir.Table) -> ir.Table:
    """Deposit and card balances per customer, from `account_balances`; the 12-month
    averages are of the customer's month-end totals over the months with activity."""
    kinds = accounts.select("account_no", "customer_id", "category")
    joined = balances.join(kinds, "account_no")
    deposit = joined.category.isin(DEPOSIT_CATEGORIES)
    card = joined.category == "credit_card"
    now = joined.group_by("customer_id").aggregate(
        deposit_balance=cents_sum(joined.balance_now, deposit),
        deposit_balance_3m_ago=cents_sum(joined.balance_3m_ago, deposit),
        deposit_balance_6m_ago=cents_sum(joined.balance_6m_ago, deposit),
        deposit_balance_12m_ago=cents_sum(joined.balance_12m_ago, deposit),
        card_balance=cents_sum(joined.balance_now, card),
    )
    m = month_end.join(kinds, "account_no")
    monthly = m.group_by(["customer_id", "month_back"]).aggregate(
        deposit=m.month_end.sum(where=m.category.isin(DEPOSIT_CATEGORIES)),
        card=m.month_end.sum(where=m.category == "credit_card"),
    )
    averages = monthly.group_by("customer_id").aggregate(
        avg_deposit_balance_12m=_mean(
            monthly.deposit.sum(), monthly.count(where=monthly.deposit.notnull())
        ),
        avg_card_balance_12m=_mean(monthly.card.sum(), monthly.count(where=monthly.card.notnull())),
    )
    return now.left_join(averages, "customer_id").drop("customer_id_right")


def holding_features(accounts: ir.Table, as_of: date) -> ir.Table:
    """What the customer holds on the day: counts, flags per category, loans and limits."""
    today = epoch_day(as_of)
    a = accounts.mutate(
        open_now=_open_on(accounts, today),
        opened_day=accounts.opened_on.epoch_days(),
        closed_day=accounts.closed_on.epoch_days(),
    )
    lending = a.category.isin(LENDING_CATEGORIES)
    loan = a.category.isin(LOAN_CATEGORIES)
    aggs: dict[str, ir.Value] = {
        "products_open": a.count(where=a.open_now),
        "categories_open": a.category.nunique(where=a.open_now),
        "products_ever": a.count(where=a.opened_day <= today),
        "opened_12m": a.count(where=(a.opened_day <= today) & (a.opened_day > today - 365)),
        "closed_3m": a.count(where=(a.closed_day <= today) & (a.closed_day > today - 91)),
        "closed_12m": a.count(where=(a.closed_day <= today) & (a.closed_day > today - 365)),
        "lending_exposure": cents_sum(a.balance, a.open_now & lending),
        "credit_limit": cents_sum(a.credit_limit, a.open_now),
        "loans_open": a.count(where=a.open_now & loan),
        "loans_bad": a.count(where=a.open_now & loan & (a.loan_status == "bad")),
        "loan_principal": cents_sum(a.principal, a.open_now & loan),
        "monthly_loan_payment": cents_sum(a.monthly_payment, a.open_now & loan),
        "extract_deposit_balance": cents_sum(
            a.balance, a.open_now & a.category.isin(DEPOSIT_CATEGORIES)
        ),
        "wealth_balance": cents_sum(a.balance, a.open_now & (a.category == "wealth_management")),
        "first_opened_day": a.opened_day.min(),
    }
    for category in PRODUCT_CATEGORIES:
        aggs[f"has_{category}"] = a.count(where=a.open_now & (a.category == category))
    return a.group_by("customer_id").aggregate(**aggs)


def contact_features(interactions: ir.Table, cases: ir.Table, as_of: date) -> ir.Table:
    """Interactions and cases: how often the customer talks to the bank and complains."""
    today = epoch_day(as_of)
    i = interactions.mutate(age=today - interactions.occurred_on.epoch_days())
    i = i.filter((i.age >= 0) & (i.age < WINDOWS["12m"]))
    contacts = i.group_by("customer_id").aggregate(
        interactions_3m=i.count(where=i.age < WINDOWS["3m"]),
        interactions_12m=i.count(),
        inbound_3m=i.count(where=(i.age < WINDOWS["3m"]) & (i.direction == "inbound")),
        declined_offers_12m=i.count(where=i.outcome == "offer_declined"),
        days_since_interaction=i.age.min(),
    )
    c = cases.mutate(
        age=today - cases.opened_on.epoch_days(),
        resolved_age=today - cases.resolved_on.epoch_days(),
    )
    c = c.filter(c.age >= 0)
    complaint = c.kind == "complaint"
    year = c.age < WINDOWS["12m"]
    case_aggs = c.group_by("customer_id").aggregate(
        complaints_3m=c.count(where=complaint & (c.age < WINDOWS["3m"])),
        complaints_12m=c.count(where=complaint & year),
        cases_12m=c.count(where=year),
        open_cases=c.count(where=c.resolved_age.isnull() | (c.resolved_age < 0)),
        satisfaction_12m=c.satisfaction.mean(where=year),
    )
    rest = [contacts[n] for n in contacts.columns if n != "customer_id"]
    rest += [case_aggs[n] for n in case_aggs.columns if n != "customer_id"]
    return contacts.outer_join(case_aggs, "customer_id").select(
        *rest, customer_id=ibis.coalesce(contacts.customer_id, case_aggs.customer_id)
    )


def profile_features(customers: ir.Table, as_of: date) -> ir.Table:
    today = epoch_day(as_of)
    c = customers
    return c.filter(c.onboarded_on.epoch_days() <= today).select(
        "customer_id",
        "kind",
        "branch_id",
        "region",
        "risk_rating",
        "kyc_status",
        "annual_income",
        "marketing_consent",
        "profiling_consent",
        has_manager=c.manager_id.notnull(),
        age_years=((today - c.birth_date.epoch_days()) / 365.25).floor(),
        tenure_days=today - c.onboarded_on.epoch_days(),
        kyc_overdue=c.kyc_review_due.epoch_days() < today,
    )


# Numeric features that stay null when there is nothing to measure; all others default to 0.
NULLABLE = frozenset(
    {
        "annual_income",
        "age_years",
        "days_since_own_tx",
        "days_since_tx",
        "first_active_week",
        "last_active_week",
        "days_since_interaction",
        "satisfaction_12m",
    }
)


def build_features(sources: FeatureSources, as_of: date) -> ir.Table:
    """One row per customer with at least one product open on `as_of`."""
    holdings = holding_features(sources.accounts, as_of)
    base = profile_features(sources.customers, as_of).join(holdings, "customer_id")
    base = base.filter(base.products_open > 0)
    parts = (
        transaction_features(sources.transactions, sources.accounts, as_of),
        balance_features(
            account_balances(sources.transactions, as_of),
            month_end_balances(sources.transactions, as_of),
            sources.accounts,
        ),
        contact_features(sources.interactions, sources.cases, as_of),
    )
    table = base
    for part in parts:
        table = table.left_join(part, "customer_id").drop("customer_id_right")
    fills = {
        name: 0
        for name in table.columns
        if name not in NULLABLE and table[name].type().is_numeric()
    }
    table = table.fill_null(fills)
    return _derived(table)


def _ratio(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.NumericValue:
    """numerator / denominator, or null when the denominator is not positive."""
    return ibis.ifelse(denominator > 0, numerator / denominator, ibis.null("float64"))


def _derived(t: ir.Table) -> ir.Table:
    """Trends and shares that the models and the reasons in words use."""
    return t.mutate(
        activity_trend_3m=_ratio(t.own_tx_3m, t.own_tx_prior_3m),
        activity_vs_year=_ratio(t.own_tx_3m * 4, t.own_tx_12m),
        inflow_trend_3m=_ratio(t.inflow_3m, t.inflow_prior_3m),
        income_trend_3m=_ratio(t.income_3m, t.income_prior_3m),
        balance_trend_3m=_ratio(t.deposit_balance, t.deposit_balance_3m_ago),
        balance_trend_12m=_ratio(t.deposit_balance, t.deposit_balance_12m_ago),
        digital_share_12m=_ratio(
            t.tx_online_12m + t.tx_mobile_12m + t.tx_card_12m,
            t.tx_online_12m + t.tx_mobile_12m + t.tx_card_12m + t.tx_branch_12m + t.tx_atm_12m,
        ),
        income_stopped=(t.income_prior_3m > 0) & (t.income_3m == 0),
    )
