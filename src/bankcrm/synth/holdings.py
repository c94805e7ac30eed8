"""Which products each customer holds, with contract terms, driven by segment and life stage.

Students get a current account and a debit card, families borrow and insure, the established
and affluent save and invest, companies take loans, payroll, cash management and trade finance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth.arrays import F64, I64, NEVER, Bool, digits, join, pick, rank_in_group, sigmoid
from bankcrm.synth.identity import customer_no
from bankcrm.synth.people import Customers

PI = cat.PRODUCT_INDEX
ACTIVE, DORMANT, CLOSED, DEFAULTED = (
    spec.HOLDING_STATUSES.index(s) for s in ("active", "dormant", "closed", "defaulted")
)
STATEMENTS = ("monthly", "weekly", "after_transaction")
MONTH = 30.4375
# Deposit weight when a customer's wealth is spread over the deposit-type products held.
WEALTH_WEIGHT = {
    cat.CAT_CURRENT: 1.0,
    cat.CAT_SAVINGS: 2.5,
    cat.CAT_TERM: 3.0,
    cat.CAT_WEALTH: 4.0,
    cat.CAT_PAYROLL: 0.15,
}


@dataclass
class Holdings:
    cust: I64
    product: I64
    category: I64
    opened: I64
    closed: I64  # NEVER while open
    balance: F64  # at AS_OF; for transactional accounts the target the ledger steers to
    limit: F64  # NaN = none
    rate: F64
    status: I64
    loan_status: I64  # -1 = not a loan
    principal: F64
    term: I64  # -1 = none
    payment: F64
    premium: F64  # insurance premium per month (feeds standing orders)
    link: I64  # linked current account (holding index) or -1
    statement: I64  # index into STATEMENTS or -1
    seq: I64

    @property
    def n(self) -> int:
        return len(self.cust)


class _Slots:
    """Collects candidate holdings slot by slot before they are sorted into account order."""

    def __init__(self, rng: np.random.Generator, c: Customers) -> None:
        self.rng, self.c = rng, c
        self.parts: list[tuple[I64, I64, I64, I64]] = []  # (cust, product, opened, slot)
        self.limit_day = np.minimum(np.minimum(c.active_until, c.close_day) - 30, cat.LAST_DAY)

    def take(self, p: F64) -> I64:
        return np.flatnonzero(self.rng.random(self.c.n) < p)

    def later(self, rows: I64, launch: I64 | np.int64, start: I64 | None = None) -> I64:
        """An opening day after onboarding and launch, before activity stops (-1 = none)."""
        lo = np.maximum(self.c.onboard[rows], launch)
        if start is not None:
            lo = np.maximum(lo, start)
        hi = self.limit_day[rows]
        day = lo + np.floor(self.rng.random(len(rows)) * (hi - lo + 1)).astype(np.int64)
        return np.where(hi >= lo, day, -NEVER)

    def add(self, rows: I64, product: I64, opened: I64, slot: int) -> None:
        ok = opened > -NEVER
        self.parts.append((rows[ok], product[ok], opened[ok], np.full(ok.sum(), slot)))


def _choose(
    rng: np.random.Generator, n: int, options: tuple[str, ...], p: tuple[float, ...]
) -> I64:
    return np.asarray([PI[o] for o in options], dtype=np.int64)[rng.choice(len(options), n, p=p)]


def _select(rng: np.random.Generator, c: Customers) -> _Slots:
    s = _Slots(rng, c)
    seg, st = c.segment, np.maximum(c.stage, 0)
    ind = ~c.corporate
    eng = np.clip(1.0 + 0.25 * c.engagement, 0.5, 1.6)
    launch = cat.PRODUCT_LAUNCH_DAY

    def by(seg_p: list[float], stage_m: list[float] | None = None) -> F64:
        m = np.where(ind, np.asarray(stage_m or [1.0] * 6)[st], 1.0)
        return np.minimum(np.asarray(seg_p)[seg] * m * eng, 0.97)

    everyone = np.arange(c.n)
    u = rng.random(c.n)
    ca = np.select(
        [
            c.stage == cat.STUDENT,
            seg == cat.MASS,
            seg == cat.AFFLUENT,
            seg == cat.PRIVATE,
            seg == cat.SME,
        ],
        [
            PI["CA_STUDENT"],
            np.where(u < 0.55, PI["CA_BASIC"], PI["CA_PLUS"]),
            np.where(u < 0.7, PI["CA_PREMIUM"], PI["CA_PLUS"]),
            PI["CA_PREMIUM"],
            PI["CA_BUSINESS"],
        ],
        default=PI["CA_CORPORATE"],
    ).astype(np.int64)
    s.add(everyone, ca, c.onboard, 0)
    rows = s.take(np.where(seg == cat.LARGE, 0.4, 0.0))
    s.add(
        rows, np.full(len(rows), PI["CA_CORPORATE"]), s.later(rows, launch[PI["CA_CORPORATE"]]), 1
    )

    rows = s.take(by([0.9, 0.95, 0.9, 0.7, 0.5], [1.08, 1.0, 1.0, 1.0, 0.95, 0.85]))
    prod = np.where(c.corporate[rows], PI["DC_BUSINESS"], PI["DC_STANDARD"])
    s.add(
        rows,
        prod,
        np.minimum(c.onboard[rows] + rng.integers(0, 60, len(rows)), s.limit_day[rows]),
        2,
    )
    inc = np.clip(c.income / 500e3, 0.5, 2.0) ** 0.5
    rows = s.take(by([0.16, 0.5, 0.65, 0.3, 0.6], [0.2, 0.9, 1.2, 1.1, 1.0, 0.6]) * inc)
    prod = np.select(
        [c.corporate[rows], (seg[rows] != cat.MASS) & (rng.random(len(rows)) < 0.8)],
        [PI["CC_BUSINESS"], PI["CC_GOLD"]],
        default=PI["CC_CLASSIC"],
    ).astype(np.int64)
    s.add(rows, prod, s.later(rows, launch[prod]), 3)

    rows = s.take(by([0.33, 0.8, 0.85, 0.3, 0.4], [0.5, 0.9, 0.9, 1.4, 1.5, 1.5]))
    opened = s.later(rows, launch[PI["SA_CLASSIC"]])
    v = rng.random(len(rows))
    prod = np.select(
        [
            c.corporate[rows],
            (opened < cat.WITHDRAWN_DAY) & (v < 0.35) | (opened < launch[PI["SA_STANDARD"]]),
            (opened >= launch[PI["SA_BONUS"]]) & (v > 0.6),
        ],
        [PI["SA_BUSINESS"], PI["SA_CLASSIC"], PI["SA_BONUS"]],
        default=PI["SA_STANDARD"],
    ).astype(np.int64)
    opened = np.where(opened > -NEVER, np.maximum(opened, launch[prod]), opened)
    s.add(rows, prod, opened, 4)

    rows = s.take(by([0.07, 0.35, 0.5, 0.1, 0.3], [0.0, 0.3, 0.6, 1.5, 2.0, 2.2]))
    prod = _choose(rng, len(rows), ("TD_6M", "TD_12M", "TD_36M"), (0.3, 0.5, 0.2))
    s.add(rows, prod, s.later(rows, launch[prod]), 5)

    rows = s.take(by([0.15, 0.08, 0.02, 0.0, 0.0], [0.15, 0.8, 1.5, 0.8, 0.5, 0.25]))
    prod = _choose(rng, len(rows), ("CL_STANDARD", "CL_CAR"), (0.7, 0.3))
    term_days = np.where(prod == PI["CL_CAR"], 60, 72) * MONTH
    back = np.floor(rng.random(len(rows)) * term_days * 1.3).astype(np.int64)
    s.add(rows, prod, s.later(rows, launch[prod], cat.LAST_DAY - back), 6)

    mortgage_p = by([0.14, 0.3, 0.15, 0.0, 0.0], [0.0, 0.5, 2.0, 1.3, 0.45, 0.1])
    rows = s.take(mortgage_p)
    prod = _choose(rng, len(rows), ("MG_FIX5", "MG_FIX10"), (0.65, 0.35))
    back = np.floor(rng.random(len(rows)) * 15 * 365.25).astype(np.int64)
    s.add(rows, prod, s.later(rows, launch[prod], cat.LAST_DAY - back), 7)
    has_mortgage = np.zeros(c.n, dtype=np.bool_)
    has_mortgage[rows] = True

    rows = s.take(by([0.02, 0.45, 0.95, 0.0, 0.0], [0.0, 0.3, 0.7, 2.5, 3.0, 2.5]))
    prod = np.select(
        [seg[rows] == cat.PRIVATE, (seg[rows] == cat.AFFLUENT) & (rng.random(len(rows)) < 0.4)],
        [PI["WM_PRIVATE"], PI["WM_MANAGED"]],
        default=PI["WM_FUNDS"],
    ).astype(np.int64)
    s.add(rows, prod, s.later(rows, launch[prod]), 8)

    rows = s.take(by([0.15, 0.3, 0.3, 0.0, 0.0], [0.1, 0.6, 1.8, 1.5, 1.0, 0.3]))
    s.add(rows, np.full(len(rows), PI["IN_LIFE"]), s.later(rows, launch[PI["IN_LIFE"]]), 9)
    rows = s.take(np.where(ind, 0.08 + 0.75 * has_mortgage, np.where(seg == cat.SME, 0.15, 0.3)))
    s.add(rows, np.full(len(rows), PI["IN_PROPERTY"]), s.later(rows, launch[PI["IN_PROPERTY"]]), 10)
    rows = s.take(by([0.04, 0.2, 0.3, 0.0, 0.0]))
    s.add(rows, np.full(len(rows), PI["IN_TRAVEL"]), s.later(rows, launch[PI["IN_TRAVEL"]]), 11)

    rows = s.take(by([0.0, 0.0, 0.0, 0.35, 0.7]))
    big = seg[rows] == cat.LARGE
    v = rng.random(len(rows))
    prod = np.where(
        v < 0.4, PI["BL_INVEST"], np.where(big, PI["BL_SYNDICATED"], PI["BL_OPERATING"])
    )
    back = np.floor(rng.random(len(rows)) * 8 * 365.25).astype(np.int64)
    s.add(rows, prod, s.later(rows, launch[prod], cat.LAST_DAY - back), 12)
    for slot, code, p in (
        (13, "PR_PAYROLL", [0, 0, 0, 0.35, 0.85]),
        (14, "CM_POOLING", [0, 0, 0, 0.03, 0.6]),
    ):
        rows = s.take(by(p))
        s.add(rows, np.full(len(rows), PI[code]), s.later(rows, launch[PI[code]]), slot)
    rows = s.take(by([0.0, 0.0, 0.0, 0.03, 0.35]))
    prod = _choose(rng, len(rows), ("TF_LC", "TF_GUARANTEE"), (0.5, 0.5))
    s.add(rows, prod, s.later(rows, launch[prod]), 15)
    return s


def build_holdings(rng: np.random.Generator, c: Customers) -> Holdings:
    s = _select(rng, c)
    cust, product, opened, slot = (np.concatenate(x) for x in zip(*s.parts, strict=True))
    order = np.lexsort((opened, slot, cust))
    cust, product, opened = cust[order], product[order], opened[order]
    n = len(cust)
    category = cat.PRODUCT_CATEGORY[product]
    first = np.searchsorted(cust, cust, side="left")
    h = Holdings(
        cust=cust,
        product=product,
        category=category,
        opened=opened,
        closed=np.full(n, NEVER, dtype=np.int64),
        balance=np.zeros(n),
        limit=np.full(n, np.nan),
        rate=cat.PRODUCT_RATE[product].copy(),
        status=np.full(n, ACTIVE, dtype=np.int64),
        loan_status=np.full(n, -1, dtype=np.int64),
        principal=np.full(n, np.nan),
        term=np.full(n, -1, dtype=np.int64),
        payment=np.full(n, np.nan),
        premium=np.full(n, np.nan),
        link=np.where(
            np.isin(
                category,
                (
                    *cat.LOAN_CATEGORIES,
                    cat.CAT_CREDIT_CARD,
                    cat.CAT_DEBIT_CARD,
                    cat.CAT_TRADE,
                    cat.CAT_PAYROLL,
                ),
            ),
            first,
            -1,
        ),
        statement=np.full(n, -1, dtype=np.int64),
        seq=rank_in_group(cust) + 1,
    )
    _terms(rng, c, h)
    return h


def _annuity(principal: F64, rate: F64, months: I64) -> F64:
    r = rate / 1200.0
    return principal * r / (1.0 - (1.0 + r) ** (-months.astype(np.float64)))


def _terms(rng: np.random.Generator, c: Customers, h: Holdings) -> None:
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
    for code, months in term_days.items():
        h.term[h.product == PI[code]] = months
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


def account_numbers(c: Customers, h: Holdings) -> pa.Array:
    """Account number = customer number + two-digit sequence, e.g. 000012345-03."""
    return join(digits(c.number[h.cust], 9), "-", digits(h.seq, 2))


def _opt(values: F64, valid: Bool) -> pa.Array:
    return pa.array(np.where(valid, values, 0.0), mask=~valid)


def holdings_table(c: Customers, h: Holdings, accounts: pa.Array) -> dict[str, pa.Array]:
    def day(days: I64, valid: Bool | None = None) -> pa.Array:
        arr = pa.array(
            (days + cat.EPOCH_OFFSET).astype(np.int32), mask=None if valid is None else ~valid
        )
        return arr.cast(pa.date32())

    closed = h.closed <= cat.LAST_DAY
    has_rate = (h.rate > 0) | np.isin(h.category, (*cat.LOAN_CATEGORIES, cat.CAT_SAVINGS))
    return {
        "account_no": accounts,
        "customer_no": customer_no(c.number[h.cust]),
        "product_code": pick(pa.array([p.code for p in cat.PRODUCTS]), h.product),
        "opened_on": day(h.opened),
        "closed_on": day(np.where(closed, h.closed, 0), closed),
        "currency": pa.array(np.full(h.n, "CZK", dtype=object), pa.string()),
        "balance": pa.array(np.round(h.balance, 2)),
        "credit_limit": _opt(h.limit, ~np.isnan(h.limit)),
        "interest_rate": _opt(h.rate, has_rate),
        "status": pick(pa.array(list(spec.HOLDING_STATUSES)), h.status),
        "loan_status": pick(pa.array(list(spec.LOAN_STATUSES)), h.loan_status, h.loan_status >= 0),
        "principal": _opt(h.principal, ~np.isnan(h.principal)),
        "term_months": pa.array(np.maximum(h.term, 0), mask=h.term < 0),
        "monthly_payment": _opt(h.payment, ~np.isnan(h.payment)),
        "linked_account_no": pick(accounts, h.link, h.link >= 0),
        "statement_frequency": pick(pa.array(list(STATEMENTS)), h.statement, h.statement >= 0),
    }
