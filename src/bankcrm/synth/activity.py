"""Generates the events behind the transactions, stream by stream, fully vectorised.

Income arrives monthly, standing orders, loan instalments and fees leave monthly, the rest
(card payments, cash, transfers) is a Poisson stream per customer whose rate follows the
customer's engagement and drops while the customer drifts towards leaving.
"""

from __future__ import annotations

import numpy as np

from bankcrm.synth import catalogue as cat
from bankcrm.synth import org as o
from bankcrm.synth.arrays import F64, I64, NEVER, expand
from bankcrm.synth.holdings import DEFAULTED, Holdings
from bankcrm.synth.ledger import CHANNEL, Events, cents
from bankcrm.synth.orders import MONTHLY, QUARTERLY, WEEKLY, YEARLY, Orders
from bankcrm.synth.people import INCOME_ALLOWANCE, INCOME_NONE, INCOME_PENSION, Customers

MONTH = 30.4375
# Events per month by segment (mass, affluent, private, SME, large corporate).
SPEND_RATE = np.asarray([0.75, 1.3, 1.6, 1.8, 5.0])
CREDIT_RATE = np.asarray([0.2, 0.3, 0.4, 1.5, 4.5])
CARD_RATE = np.asarray([1.0, 1.2, 1.6, 2.0, 3.5])
# Debit channels (branch, atm, card, online, mobile): relative size of one payment.
BRANCH_CASH, BRANCH_TRANSFER, ATM, CARD, TRANSFER = 6.0, 8.0, 3.0, 1.0, 6.0
SO_CATEGORY = (
    "insurance",
    "household",
    "standing_order",
    "loan_payment",
    "standing_order",
    "standing_order",
)
POOL = o.POOL_SIZE  # counterparty index of own-bank holding i is POOL + i


def lognormal(rng: np.random.Generator, n: int, sigma: float) -> F64:
    """Multiplicative noise with mean 1."""
    return np.exp(sigma * rng.standard_normal(n) - sigma * sigma / 2.0)


def every_month(first: I64, last: I64, dom: I64) -> tuple[I64, I64, I64]:
    """Every month's ``dom`` day inside [first, last] per row: (row, day, month)."""
    n = len(first)
    row = np.repeat(np.arange(n, dtype=np.int64), cat.HISTORY_MONTHS)
    month = np.tile(np.arange(cat.HISTORY_MONTHS, dtype=np.int64), n)
    day = cat.month_day(month, dom[row])
    ok = (day >= first[row]) & (day <= last[row])
    return row[ok], day[ok], month[ok]


def poisson_days(rng: np.random.Generator, rate: F64, first: I64, last: I64) -> tuple[I64, I64]:
    """Poisson events (rate per month) uniform over [first, last] per row: (row, day)."""
    span = np.maximum(last - first + 1, 0)
    row = expand(rng.poisson(rate * span / MONTH))
    day = first[row] + np.floor(rng.random(len(row)) * span[row]).astype(np.int64)
    return row, day


class Streams:
    """The chunk's customers and holdings plus the events generated so far."""

    def __init__(self, rng: np.random.Generator, c: Customers, h: Holdings, orders: Orders):
        self.rng, self.c, self.h, self.orders = rng, c, h, orders
        self.ev = Events()
        self.ca = np.searchsorted(h.cust, np.arange(c.n))  # primary current account
        self.lo = np.maximum(h.opened, 0)
        self.hi = np.minimum(h.closed, cat.LAST_DAY)
        end = np.minimum(c.active_until, cat.LAST_DAY)
        self.active_lo = self.lo[self.ca]
        self.active_hi = np.minimum(self.hi[self.ca], end)

    def thin(self, cust: I64, day: I64, power: float = 1.0) -> I64:
        """Indexes of events kept given the customer's activity level on that day."""
        keep = self.rng.random(len(cust)) < self.c.activity(cust, day) ** power
        return np.flatnonzero(keep)

    def income(self) -> F64:
        """Salary, pension or allowance; returns the expected monthly amount per customer."""
        c, rng = self.c, self.rng
        kind = c.income_here
        rows = np.flatnonzero(kind != INCOME_NONE)
        net = np.select(
            [kind == INCOME_PENSION, kind == INCOME_ALLOWANCE],
            [c.income / 12.0, rng.uniform(2e3, 6e3, c.n)],
            default=c.income / 12.0 * 0.77,
        )
        monthly = np.where(kind != INCOME_NONE, net, 0.0)
        dom = np.select(
            [kind == INCOME_PENSION, kind == INCOME_ALLOWANCE],
            [rng.integers(2, 21, c.n), rng.integers(1, 6, c.n)],
            default=rng.integers(8, 16, c.n),
        )
        last = np.minimum(self.active_hi, c.salary_stop - 1)
        r, day, month = every_month(self.active_lo[rows], last[rows], dom[rows])
        cust = rows[r]
        bonus = (month % 12 == 2) & (kind[cust] != INCOME_PENSION) & (rng.random(len(cust)) < 0.5)
        amount = monthly[cust] * (1 + 0.03 * rng.standard_normal(len(cust))) * (1 + 0.6 * bonus)
        employer = o.EMPLOYERS[0] + np.floor(
            (o.EMPLOYERS[1] - o.EMPLOYERS[0]) * rng.random(c.n) ** 3
        ).astype(np.int64)
        cp = np.select(
            [kind == INCOME_PENSION, kind == INCOME_ALLOWANCE],
            [o.PENSION, rng.integers(o.PRIVATE[0], o.PRIVATE[1], c.n)],
            default=employer,
        )
        for k, category in ((INCOME_PENSION, "pension"), (INCOME_ALLOWANCE, "transfer_in")):
            m = kind[cust] == k
            self.ev.add(
                self.ca[cust[m]], day[m], category, "transfer", True, cents(amount[m]), cp[cust[m]]
            )
        m = ~np.isin(kind[cust], (INCOME_PENSION, INCOME_ALLOWANCE))
        self.ev.add(
            self.ca[cust[m]], day[m], "salary", "transfer", True, cents(amount[m]), cp[cust[m]]
        )
        return monthly

    def standing_orders(self) -> F64:
        """Debits of standing orders; returns the monthly outflow per customer."""
        so, rng, c = self.orders, self.rng, self.c
        cancel = np.where(
            (c.churn_day < NEVER) & (rng.random(c.n) < 0.5),
            c.decline_start + (c.churn_day - c.decline_start) // 2,
            NEVER,
        )
        end = np.minimum(np.minimum(self.hi[so.account], c.active_until[so.cust]), cancel[so.cust])
        first = np.maximum(so.start, self.lo[so.account])
        _, start_month, start_dom = cat.calendar(so.start)
        r, day, month = every_month(first, end, np.minimum(start_dom, 28))
        f = so.frequency[r]
        gap = cat.window_month_calendar(month) - start_month[r]
        due = (
            (f == MONTHLY) | ((f == QUARTERLY) & (gap % 3 == 0)) | ((f == YEARLY) & (gap % 12 == 0))
        )
        r, day = r[due], day[due]
        weekly = np.flatnonzero(so.frequency == WEEKLY)
        if len(weekly):
            k = np.tile(np.arange(0, cat.LAST_DAY // 7 + 1), len(weekly))
            wr = np.repeat(weekly, cat.LAST_DAY // 7 + 1)
            wd = first[wr] + 7 * k
            ok = wd <= end[wr]
            r, day = np.r_[r, wr[ok]], np.r_[day, wd[ok]]
        for p, category in enumerate(SO_CATEGORY):
            m = so.purpose[r] == p
            self.ev.add(
                so.account[r[m]],
                day[m],
                category,
                "system",
                False,
                cents(so.amount[r[m]]),
                so.cp[r[m]],
            )
        per_month = so.amount * np.asarray([4.3, 1.0, 1 / 3, 1 / 12])[so.frequency]
        out: F64 = np.bincount(so.cust, weights=per_month, minlength=c.n).astype(np.float64)
        return out

    def loans(self) -> F64:
        """Instalments debited from the linked current account; returns monthly total."""
        h, rng = self.h, self.rng
        rows = np.flatnonzero(np.isin(h.category, cat.LOAN_CATEGORIES) & (h.link >= 0))
        ca = h.link[rows]
        stop = np.where(h.status[rows] == DEFAULTED, cat.LAST_DAY - 90, NEVER)  # stopped paying
        last = np.minimum(np.minimum(self.hi[rows] - 1, self.hi[ca]), stop)
        first = np.maximum(h.opened[rows] + 20, self.lo[ca])
        _, _, dom = cat.calendar(h.opened[rows])
        r, day, _ = every_month(first, last, np.minimum(dom, 28))
        skip = (h.loan_status[rows[r]] == 1) & (rng.random(len(r)) < 0.15)
        r, day = r[~skip], day[~skip]
        self.ev.add(
            ca[r], day, "loan_payment", "system", False, cents(h.payment[rows[r]]), POOL + rows[r]
        )
        open_now = h.closed[rows] > cat.LAST_DAY
        weights = np.where(open_now, h.payment[rows], 0.0)
        return np.bincount(h.cust[rows], weights=weights, minlength=self.c.n).astype(np.float64)

    def fees(self) -> None:
        """Monthly account fees at month end, yearly card and mandate fees on the anniversary."""
        h, c = self.h, self.c
        fee = cat.PRODUCT_MONTHLY_FEE[h.product]
        monthly = np.flatnonzero(
            (fee > 0) & np.isin(h.category, (cat.CAT_CURRENT, cat.CAT_PAYROLL, cat.CAT_CASH_MGMT))
        )
        monthly = monthly[c.segment[h.cust[monthly]] != cat.PRIVATE]  # waived for private clients
        target = np.where(h.category[monthly] == cat.CAT_CASH_MGMT, h.link[monthly], monthly)
        target = np.where(target < 0, self.ca[h.cust[monthly]], target)
        r, day, _ = every_month(self.lo[monthly], self.hi[monthly], np.full(len(monthly), 31))
        self.ev.add(target[r], day, "fee", "system", False, cents(fee[monthly[r]]))
        yearly_fee = cat.PRODUCT_ANNUAL_FEE[h.product]
        yearly = np.flatnonzero((yearly_fee > 0) & (h.category != cat.CAT_INSURANCE))
        on = np.where(h.category[yearly] == cat.CAT_CREDIT_CARD, yearly, self.ca[h.cust[yearly]])
        _, opened_month, opened_dom = cat.calendar(h.opened[yearly])
        r, day, month = every_month(self.lo[yearly], self.hi[yearly], np.minimum(opened_dom, 28))
        anniversary = cat.window_month_calendar(month) == opened_month[r]
        r, day = r[anniversary], day[anniversary]
        self.ev.add(on[r], day, "fee", "system", False, cents(yearly_fee[yearly[r]]))

    def interest(self) -> None:
        """Monthly interest credited to savings accounts at month end."""
        h, rng = self.h, self.rng
        rows = np.flatnonzero(h.category == cat.CAT_SAVINGS)
        r, day, _ = every_month(self.lo[rows], self.hi[rows], np.full(len(rows), 31))
        amount = h.balance[rows[r]] * h.rate[rows[r]] / 1200.0 * rng.uniform(0.9, 1.1, len(r))
        self.ev.add(rows[r], day, "interest", "system", True, cents(amount))

    def savings_moves(self) -> None:
        """Transfers between current and savings account, booked on both sides."""
        h, rng = self.h, self.rng
        rows = np.flatnonzero(h.category == cat.CAT_SAVINGS)
        ca = self.ca[h.cust[rows]]
        hi = np.minimum(np.minimum(self.hi[rows], self.hi[ca]), self.c.active_until[h.cust[rows]])
        lo = np.maximum(self.lo[rows], self.lo[ca])
        for rate, into in ((0.1, True), (0.05, False)):
            r, day = poisson_days(rng, np.full(len(rows), rate), lo, hi)
            keep = self.thin(h.cust[rows[r]], day)
            r, day = r[keep], day[keep]
            amount = cents(np.maximum(h.balance[rows[r]], 5e3) * 0.08 * lognormal(rng, len(r), 0.7))
            chan = np.where(rng.random(len(r)) < 0.5, CHANNEL["online"], CHANNEL["mobile"])
            out_of, into_ = (ca[r], rows[r]) if into else (rows[r], ca[r])
            self.ev.add(out_of, day, "transfer_out", chan, False, amount, POOL + into_)
            self.ev.add(into_, day, "transfer_in", "transfer", True, amount, POOL + out_of)
