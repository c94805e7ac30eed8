"""Profit contribution per customer over the 12 months to the as-of date (docs/models.md).

contribution = net interest margin against the funds-transfer price
             + fees (charged in the lake, plus catalogue fees of products the lake does not see)
             + asset-management fees on wealth balances
             - cost to serve (per open account, per channel transaction, per contact, per complaint)
             - expected credit loss (PD x LGD x exposure at default)

Account-level terms are ibis expressions, so they run where the features run; the policy's
per-category terms reach the engine as a small table joined on category.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from bankcrm.analytics.features import WINDOWS, cents_sum
from bankcrm.analytics.ledger import epoch_day
from bankcrm.analytics.policy import Policy

YEAR = WINDOWS["12m"]


def category_terms_table(policy: Policy) -> pa.Table:
    rows = [
        {
            "category": category,
            "kind": t.kind,
            "ftp_rate": t.ftp_rate,
            "aum_fee_rate": t.aum_fee_rate,
            "fee_share": t.fee_share,
            "catalogue_fees": t.catalogue_fees,
            "lgd": t.lgd,
            "credit_conversion": t.credit_conversion,
        }
        for category, t in sorted(policy.categories.items())
    ]
    return pa.Table.from_pylist(rows)


def risk_table(policy: Policy) -> pa.Table:
    pairs = sorted(policy.credit_risk.risk_multiplier.items())
    return pa.table(
        {"risk_rating": [k for k, _ in pairs], "risk_multiplier": [v for _, v in pairs]}
    )


def account_contribution(
    accounts: ir.Table,
    balances: ir.Table,
    customers: ir.Table,
    terms: ir.Table,
    risk: ir.Table,
    policy: Policy,
    as_of: date,
) -> ir.Table:
    """Per account: interest margin, fees, account cost and expected loss over 12 months.

    Each term is pro-rated by the share of the 12 months the account was open. The balance
    is the 12-month average from the lake where the account has transactions there, else
    the extract's balance.
    """
    today = epoch_day(as_of)
    start = today - YEAR
    opened = accounts.opened_on.epoch_days()
    closed = ibis.coalesce(accounts.closed_on.epoch_days(), today)
    a = accounts.mutate(
        open_days=ibis.greatest(ibis.least(closed, today) - ibis.greatest(opened, start), 0),
        open_now=(opened <= today) & (closed >= today),
    )
    a = a.filter(a.open_days > 0)
    a = a.left_join(balances.select("account_no", "avg_balance_12m"), "account_no").drop(
        "account_no_right"
    )
    a = a.join(terms, "category")
    a = a.join(customers.select("customer_id", "risk_rating"), "customer_id", how="left").drop(
        "customer_id_right"
    )
    a = a.left_join(risk, "risk_rating").drop("risk_rating_right")
    share = a.open_days / float(YEAR)
    balance = ibis.coalesce(a.avg_balance_12m, a.balance, 0.0)
    rate = ibis.coalesce(a.interest_rate, 0.0)
    margin = (
        ibis.cases(
            (a.kind == "deposit", a.ftp_rate - rate),
            (a.kind == "lending", rate - a.ftp_rate),
            else_=0.0,
        )
        / 100.0
    )
    fees = ibis.ifelse(a.catalogue_fees, ibis.coalesce(a.catalogue_fee_year, 0.0), 0.0)
    risk_cfg = policy.credit_risk
    pd_ = ibis.cases(
        (a.status == "defaulted", risk_cfg.pd_defaulted),
        (a.loan_status == "bad", risk_cfg.pd_bad),
        else_=risk_cfg.pd_good,
    ) * ibis.coalesce(a.risk_multiplier, 1.0)
    current = ibis.coalesce(a.balance, 0.0)
    undrawn = ibis.greatest(ibis.coalesce(a.credit_limit, 0.0) - current, 0.0)
    exposure = current + a.credit_conversion * undrawn
    expected_loss = ibis.ifelse(
        (a.kind == "lending") & a.open_now, ibis.least(pd_, 1.0) * a.lgd * exposure, 0.0
    )
    return a.select(
        "account_no",
        "customer_id",
        "product_id",
        "category",
        net_interest=balance * margin * share,
        fee_income=(fees * a.fee_share + balance * a.aum_fee_rate / 100.0) * share,
        account_cost=policy.cost_to_serve.per_account_year * share,
        expected_loss=expected_loss,
        years=share,
    )


def customer_contribution(account_terms: ir.Table, features: ir.Table, policy: Policy) -> ir.Table:
    """Per customer: the components and the total contribution, from accounts and activity."""
    a = account_terms
    per_customer = a.group_by("customer_id").aggregate(
        net_interest=cents_sum(a.net_interest),
        catalogue_fees=cents_sum(a.fee_income),
        account_cost=cents_sum(a.account_cost),
        expected_loss=cents_sum(a.expected_loss),
    )
    costs = policy.cost_to_serve
    f = features
    channel_cost = sum(
        (f[f"tx_{channel}_12m"] * price for channel, price in costs.per_transaction.items()),
        start=ibis.literal(0.0),
    )
    activity = f.select(
        "customer_id",
        lake_fees=f.fees_paid_12m,
        service_cost=channel_cost
        + f.interactions_12m * costs.per_interaction
        + f.complaints_12m * costs.per_complaint,
    )
    j = activity.left_join(per_customer, "customer_id").drop("customer_id_right")
    net_interest = ibis.coalesce(j.net_interest, 0.0)
    fees = ibis.coalesce(j.catalogue_fees, 0.0) + j.lake_fees
    cost = ibis.coalesce(j.account_cost, 0.0) + j.service_cost
    loss = ibis.coalesce(j.expected_loss, 0.0)
    return j.select(
        "customer_id",
        net_interest=net_interest,
        fee_income=fees,
        cost_to_serve=cost,
        expected_loss=loss,
        contribution=net_interest + fees - cost - loss,
    )
