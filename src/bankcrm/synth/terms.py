"""Contract terms of holdings: balances, rates, loans (annuities), limits, closures, statuses."""

from __future__ import annotations

from datetime import date

import numpy as np

from bankcrm.synth import catalogue as cat
from bankcrm.synth.arrays import F64, I64, NEVER, sigmoid
from bankcrm.synth.holdings import (
    CLOSED,
    DEFAULTED,
    DORMANT,
    MONTH,
    PI,
    WEALTH_WEIGHT,
    Holdings,
)
from bankcrm.synth.people import Customers


def _annuity(principal: F64, rate: F64, months: I64) -> F64:
    r = rate / 1200.0
    return principal * r / (1.0 - (1.0 + r) ** (-months.astype(np.float64)))


def set_terms(rng: np.random.Generator, c: Customers, h: Holdings) -> None:
    """Contract terms, balances at AS_OF, closures and statuses."""
    n, k = h.n, h.category
    inc, wealth, risk = c.income[h.cust], c.wealth[h.cust], c.risk[h.cust]
    u = rng.random(n)
    noise = rng.standard_normal(n)
    # Deposits: spread the customer's wealth over the deposit-type products held.
    w = np.zeros(n)
    for category, weight in WEALTH_WEIGHT.items():
        w[k == category] = weight
    w[(k == cat.CAT_CURRENT) & c.corporate[h.cust]] = 2.0
    w *= np.exp(0.5 * noise)
    total = np.bincount(h.cust, weights=w, minlength=c.n)
    share = np.divide(w, total[h.cust], out=np.zeros(n), where=total[h.cust] > 0)
    h.balance[:] = np.round(wealth * share, 2)
    term_days = {"TD_6M": 6, "TD_12M": 12, "TD_36M": 36}
    for code, term in term_days.items():
        h.term[h.product == PI[code]] = term
    h.rate[k == cat.CAT_TERM] += np.round(rng.uniform(-0.2, 0.2, n), 2)[k == cat.CAT_TERM]

    # Loans: principal, rate (risk-priced), annuity, outstanding balance, maturity.
    loan = np.isin(k, cat.LOAN_CATEGORIES)
    car = h.product == PI["CL_CAR"]
    principal = np.select(
        [car, k == cat.CAT_CONSUMER, k == cat.CAT_MORTGAGE],
        [
            np.clip(inc * rng.uniform(0.3, 0.9, n), 150e3, 1.5e6),
            np.clip(inc * rng.uniform(0.15, 0.6, n), 30e3, 1.5e6),
            np.clip(inc * np.exp(np.log(5.0) + 0.3 * noise), 800e3, 20e6),
        ],
        default=np.clip(inc * np.exp(np.log(0.12) + 0.6 * noise), 200e3, 5e9),
    )
    principal = np.round(principal, -3)
    months = np.select(
        [
            car,
            k == cat.CAT_CONSUMER,
            k == cat.CAT_MORTGAGE,
            h.product == PI["BL_OPERATING"],
            h.product == PI["BL_INVEST"],
        ],
        [
            12 * rng.integers(3, 8, n),
            12 * rng.integers(2, 9, n),
            rng.choice(np.asarray([240, 300, 360]), n),
            12 * rng.integers(1, 4, n),
            12 * rng.integers(5, 11, n),
        ],
        default=12 * rng.integers(3, 8, n),
    ).astype(np.int64)
    spread = np.asarray([-1.0, 0.0, 2.0])[risk] + 0.6 * rng.standard_normal(n)
    old_fix = (k == cat.CAT_MORTGAGE) & (h.opened < cat.window_day(date(2022, 1, 1)))
    rate = np.select(
        [k == cat.CAT_CONSUMER, k == cat.CAT_MORTGAGE],
        [
            np.clip(h.rate + spread, 6.9, 15.0),
            np.clip(h.rate + 0.3 * spread - 1.0 * old_fix, 3.49, 6.49),
        ],
        default=np.clip(h.rate + 0.6 * spread, 4.5, 11.0),
    )
    h.rate[loan] = np.round(rate, 2)[loan]
    loan_rate = np.where(loan, h.rate, 1.0)
    pay = np.round(_annuity(principal, loan_rate, months), 2)
    elapsed = np.floor((cat.LAST_DAY - h.opened) / MONTH).astype(np.int64)
    r = loan_rate / 1200.0
    grow = (1.0 + r) ** np.minimum(elapsed, months)
    outstanding = np.maximum(principal * grow - pay * (grow - 1.0) / r, 0.0)
    maturity = h.opened + np.ceil(months * MONTH).astype(np.int64)
    seg_median = np.asarray([500e3, 1.4e6, 4e6, 12e6, 800e6])[c.segment[h.cust]]
    churner = (c.churn_day[h.cust] < NEVER).astype(np.float64)
    p_bad = sigmoid(
        -3.4 + np.asarray([0.0, 0.6, 1.4])[risk] - 0.6 * np.log(inc / seg_median) + 0.6 * churner
    )
    bad = rng.random(n) < p_bad
    h.principal[loan], h.term[loan], h.payment[loan] = principal[loan], months[loan], pay[loan]
    h.loan_status[loan] = bad[loan].astype(np.int64)
    defaulted = loan & bad & (u < 0.35)
    h.balance[loan] = np.round(outstanding + 3 * pay * defaulted, 2)[loan]
    h.status[defaulted] = DEFAULTED
    matured = loan & (maturity <= cat.LAST_DAY) & ~defaulted
    h.closed[matured] = maturity[matured]

    # Cards, overdrafts and trade finance: limits and amounts owed.
    cc = k == cat.CAT_CREDIT_CARD
    gold = h.product == PI["CC_GOLD"]
    limit = np.select(
        [h.product == PI["CC_BUSINESS"], gold, cc],
        [
            np.clip(inc * 0.005, 20e3, 500e3),
            np.clip(inc * 0.1, 50e3, 300e3),
            np.clip(inc * rng.uniform(0.05, 0.15, n), 10e3, 100e3),
        ],
        default=np.clip(inc * rng.uniform(0.01, 0.05, n), 500e3, 500e6),
    )
    limit = np.round(limit, -3)
    revolver = rng.random(n) < 0.35
    owed = limit * np.where(revolver, rng.uniform(0.2, 0.85, n), rng.uniform(0.0, 0.15, n))
    tf = k == cat.CAT_TRADE
    h.limit[cc | tf] = limit[cc | tf]
    h.balance[cc | tf] = np.round(np.where(tf, limit * rng.uniform(0, 0.8, n), owed), 2)[cc | tf]
    ca = k == cat.CAT_CURRENT
    v = rng.random(n)
    overdraft = ca & np.where(c.corporate[h.cust], v < 0.4, (v < 0.12) & (c.stage[h.cust] > 0))
    h.limit[overdraft] = np.round(
        np.where(
            c.corporate[h.cust],
            np.clip(inc * 0.02, 50e3, 20e6),
            np.clip(inc / 12 * rng.uniform(0.5, 1.5, n), 5e3, 100e3),
        ),
        -3,
    )[overdraft]
    ins = k == cat.CAT_INSURANCE
    h.premium[ins] = np.round(
        cat.PRODUCT_MONTHLY_FEE[h.product] * np.exp(0.3 * noise)
        + cat.PRODUCT_ANNUAL_FEE[h.product] / 12,
        0,
    )[ins]
    h.balance[np.isin(k, (cat.CAT_DEBIT_CARD, cat.CAT_INSURANCE, cat.CAT_CASH_MGMT))] = 0.0
    h.statement[:] = np.where(
        ca,
        np.select([u < 0.05, u < 0.15], [1, 2], default=0),
        np.where(np.isin(k, (cat.CAT_SAVINGS, cat.CAT_CREDIT_CARD, cat.CAT_PAYROLL)), 0, -1),
    )

    # The customer's own fate closes everything still open.
    gone = c.close_day[h.cust]
    h.closed[:] = np.minimum(h.closed, gone)
    closed = h.closed <= cat.LAST_DAY
    h.status[closed] = CLOSED
    h.balance[closed & ~np.isin(k, cat.TRANSACTIONAL)] = 0.0
    dormant = c.dormant[h.cust] & ~closed & np.isin(k, (*cat.TRANSACTIONAL, cat.CAT_DEBIT_CARD))
    h.status[dormant] = DORMANT
