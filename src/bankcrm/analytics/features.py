"""Customer features as of a date, written once as ibis expressions.

The same expressions run on DuckDB (the default) and on Spark (`bankcrm[spark]`): only
portable operations are used (filters, grouped aggregates with `where=`, joins, `argmax`,
`epoch_days`). Nothing after the as-of date is read, so a feature table for a past date
is what the bank would have seen on that day: churn training snapshots rely on it.

The lake is read once per run into a quarterly ledger (`bankcrm.analytics.ledger`) that
serves the as-of date and the snapshots whole quarters before it; the CRM tables (holdings,
contacts, the profile) are small and read per snapshot. Windows are whole weeks back from
the snapshot day (4, 13 and 52 weeks: "1m", "3m", "12m"), half-open (day - N, day];
every count defaults to 0, every amount to 0.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from bankcrm.analytics.ledger import (
    BALANCE_POINTS,
    BALANCE_YEAR_AGO,
    QUARTER_DAYS,
    YEAR_QUARTERS,
    Ledger,
    epoch_day,
)
from bankcrm.ingest.spec import (
    LENDING_CATEGORIES,
    LOAN_CATEGORIES,
    PRODUCT_CATEGORIES,
    TX_CHANNELS,
)

DEPOSIT_CATEGORIES = ("current_account", "savings_account", "term_deposit", "payroll")
CENTS = dt.Decimal(24, 2)
FINE = dt.Decimal(38, 9)  # floats to decimals before rounding to cents: see cents_sum
WINDOWS = {"1m": 28, "3m": QUARTER_DAYS, "12m": YEAR_QUARTERS * QUARTER_DAYS}


@dataclass
class FeatureSources:
    """The inputs, as ibis tables on one backend (read by `bankcrm.analytics.repository`)."""

    transactions: ir.Table  # the lake: account_no, booked_on, direction, amount, ...
    accounts: ir.Table  # holdings with their product: account_no, customer_id, category, ...
    customers: ir.Table
    interactions: ir.Table  # customer_id, occurred_on, channel, direction, outcome
    cases: ir.Table  # customer_id, kind, opened_on, resolved_on, satisfaction


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


def _money(total: ir.NumericValue) -> ir.FloatingValue:
    """An exact decimal sum, then a float: float sums depend on the engine's row order."""
    return total.cast("float64")


def transaction_features(ledger: Ledger, k: int) -> ir.Table:
    """Recency, frequency and money by window, channel and category; RFM in weeks; for
    snapshot `k` of the ledger (quarters k to k + 3 are its 12 months)."""
    f = ledger.flows
    f = f.filter((f.quarter >= k) & (f.quarter < k + YEAR_QUARTERS))
    last = f.quarter == k  # the last 3 months; the last month is its first four weeks
    prior = f.quarter == k + 1
    back = k * QUARTER_DAYS  # ages in the ledger count from its as-of date
    aggs: dict[str, ir.Value] = {
        "tx_1m": f.tx_1m.sum(where=last),
        "own_tx_1m": f.own_tx_1m.sum(where=last),
        "inflow_1m": _money(f.inflow_1m.sum(where=last)),
        "outflow_1m": _money(f.outflow_1m.sum(where=last)),
        "tx_3m": f.tx.sum(where=last),
        "own_tx_3m": f.own_tx.sum(where=last),
        "inflow_3m": _money(f.inflow.sum(where=last)),
        "outflow_3m": _money(f.outflow.sum(where=last)),
        "tx_12m": f.tx.sum(),
        "own_tx_12m": f.own_tx.sum(),
        "inflow_12m": _money(f.inflow.sum()),
        "outflow_12m": _money(f.outflow.sum()),
        "tx_prior_3m": f.tx.sum(where=prior),
        "own_tx_prior_3m": f.own_tx.sum(where=prior),
        "inflow_prior_3m": _money(f.inflow.sum(where=prior)),
        "income_3m": _money(f.income.sum(where=last)),
        "income_prior_3m": _money(f.income.sum(where=prior)),
        "income_12m": _money(f.income.sum()),
        **{f"tx_{channel}_12m": f[f"tx_{channel}"].sum() for channel in TX_CHANNELS},
        "fees_paid_12m": _money(f.fees_paid.sum()),
        "interest_received_12m": _money(f.interest_received.sum()),
        "interest_charged_12m": _money(f.interest_charged.sum()),
        "card_spend_12m": _money(f.card_spend.sum()),
        "loan_payments_12m": _money(f.loan_payments.sum()),
        "days_since_own_tx": f.min_own_age.min() - back,
        "days_since_tx": f.min_age.min() - back,
        # RFM for BG/NBD over the 52-week calibration window: activity = an active week.
        "active_weeks_12m": f.active_weeks.sum(),
        "first_active_week": (f.max_own_age.max() - back) // 7,  # weeks before as-of
        "last_active_week": (f.min_own_age.min() - back) // 7,
        "active_quarters_12m": f.count(where=f.active_weeks > 0),
    }
    return f.group_by("customer_id").aggregate(**aggs)


def account_balances(ledger: Ledger, k: int) -> ir.Table:
    """Per account, on snapshot `k`: balance on the day and 3, 6 and 12 months earlier,
    and the 12-month average.

    A balance is the `balance_after` of the account's last transaction on or before the
    day. The average is the mean `balance_after` over the transactions of the 12 months
    (an account that moves often is weighted by its movements, like a daily average).
    Products without transactions in the lake (loans, term deposits, mandates) are absent:
    their balance comes from the extract.
    """
    b = ledger.balances
    names = [name for name, _ in (*BALANCE_POINTS, BALANCE_YEAR_AGO)]
    count = b[f"balance_n_{k}"]
    average = ibis.ifelse(
        count > 0, b[f"balance_sum_{k}"].cast("float64") / count, ibis.null("float64")
    )
    return b.select(
        "account_no",
        **{name: b[f"{name}_{k}"] for name in names},  # exact decimals
        avg_balance_12m=average,
    )


def balance_features(balances: ir.Table, accounts: ir.Table) -> ir.Table:
    """Deposit and card balances per customer, from `account_balances`: on the day, 3, 6
    and 12 months earlier, and the 12-month averages (the sum of the accounts' averages)."""
    kinds = accounts.select("account_no", "customer_id", "category")
    joined = balances.join(kinds, "account_no")
    deposit = joined.category.isin(DEPOSIT_CATEGORIES)
    card = joined.category == "credit_card"
    return joined.group_by("customer_id").aggregate(
        deposit_balance=_money(joined.balance_now.sum(where=deposit)),
        deposit_balance_3m_ago=_money(joined.balance_3m_ago.sum(where=deposit)),
        deposit_balance_6m_ago=_money(joined.balance_6m_ago.sum(where=deposit)),
        deposit_balance_12m_ago=_money(joined.balance_12m_ago.sum(where=deposit)),
        card_balance=_money(joined.balance_now.sum(where=card)),
        avg_deposit_balance_12m=cents_sum(joined.avg_balance_12m, deposit),
        avg_card_balance_12m=cents_sum(joined.avg_balance_12m, card),
    )


def holding_features(accounts: ir.Table, as_of: date) -> ir.Table:
    """What the customer holds on the day: counts, flags per category, loans and limits."""
    today = epoch_day(as_of)
    a = accounts.mutate(
        open_now=_open_on(accounts, today),
        opened_day=accounts.opened_on.epoch_days(),
        closed_day=accounts.closed_on.epoch_days(),
    )
    year, quarter = WINDOWS["12m"], WINDOWS["3m"]
    lending = a.category.isin(LENDING_CATEGORIES)
    loan = a.category.isin(LOAN_CATEGORIES)
    aggs: dict[str, ir.Value] = {
        "products_open": a.count(where=a.open_now),
        "products_ever": a.count(where=a.opened_day <= today),
        "opened_12m": a.count(where=(a.opened_day <= today) & (a.opened_day > today - year)),
        "closed_3m": a.count(where=(a.closed_day <= today) & (a.closed_day > today - quarter)),
        "closed_12m": a.count(where=(a.closed_day <= today) & (a.closed_day > today - year)),
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
    per_customer = a.group_by("customer_id").aggregate(**aggs)
    # Distinct categories held, from the flags (a distinct count is many times slower).
    held = [(per_customer[f"has_{c}"] > 0).cast("int64") for c in PRODUCT_CATEGORIES]
    categories = held[0]
    for flag in held[1:]:
        categories = categories + flag
    return per_customer.mutate(categories_open=categories)


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


def build_features(sources: FeatureSources, ledger: Ledger, as_of: date) -> ir.Table:
    """One row per customer with at least one product open on `as_of`, which must be one
    of the ledger's snapshots (the lake is read through the ledger)."""
    k = ledger.snapshot(as_of)
    holdings = holding_features(sources.accounts, as_of)
    base = profile_features(sources.customers, as_of).join(holdings, "customer_id")
    base = base.filter(base.products_open > 0)
    parts = (
        transaction_features(ledger, k),
        balance_features(account_balances(ledger, k), sources.accounts),
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
