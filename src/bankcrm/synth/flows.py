"""Customer-driven flows (spending, cards, payroll, moving money out) and the entry point.

Budgets keep balances realistic: what a customer spends through the account follows the
income it receives there, so balances neither explode nor collapse over 24 months.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from bankcrm.synth import catalogue as cat
from bankcrm.synth import org as o
from bankcrm.synth.activity import (
    ATM,
    BRANCH_CASH,
    BRANCH_TRANSFER,
    CARD,
    CARD_RATE,
    CREDIT_RATE,
    POOL,
    SPEND_RATE,
    TRANSFER,
    Streams,
    every_month,
    lognormal,
    poisson_days,
)
from bankcrm.synth.arrays import F64, I64, NEVER, categorical, expand, uniform_days
from bankcrm.synth.holdings import Holdings
from bankcrm.synth.ledger import CHANNEL, book, cents
from bankcrm.synth.orders import Orders
from bankcrm.synth.people import INCOME_NONE, INCOME_PENSION, Customers

# Preference column -> transaction channel.
PREF_CHANNEL = np.asarray([CHANNEL[x] for x in ("branch", "atm", "card", "online", "mobile")])
STAGE_PACE = np.asarray([1.2, 1.0, 1.0, 1.0, 0.9, 0.7])


def _private(rng: np.random.Generator, n: int) -> I64:
    return rng.integers(o.PRIVATE[0], o.PRIVATE[1], n)


def _round_cash(amount: F64) -> F64:
    return np.maximum(np.round(amount, -2), 100.0)


def cards(s: Streams) -> F64:
    """Credit-card purchases and monthly repayments from the current account."""
    h, c, rng = s.h, s.c, s.rng
    rows = np.flatnonzero(h.category == cat.CAT_CREDIT_CARD)
    cust = h.cust[rows]
    ca = h.link[rows]
    rate = CARD_RATE[c.segment[cust]] * np.exp(0.35 * c.engagement[cust])
    hi = np.minimum(s.hi[rows], c.active_until[cust])
    r, day = poisson_days(rng, rate, s.lo[rows], hi)
    keep = s.thin(cust[r], day)
    r, day = r[keep], day[keep]
    size = (
        700.0
        * np.clip(c.income[cust] / 500e3, 0.2, 20.0) ** 0.4
        * np.where(c.corporate[cust], 4, 1)
    )
    amount = cents(size[r] * lognormal(rng, len(r), 1.0))
    s.ev.add(rows[r], day, "card_payment", "card", False, amount)

    spent = np.bincount(
        r * cat.HISTORY_MONTHS + cat.month_of(day),
        weights=amount,
        minlength=len(rows) * cat.HISTORY_MONTHS,
    )
    key = np.flatnonzero(spent[: len(rows) * cat.HISTORY_MONTHS] > 0)
    kr, km = np.divmod(key, cat.HISTORY_MONTHS)
    nxt = km + 1 < cat.HISTORY_MONTHS
    kr, km, key = kr[nxt], km[nxt], key[nxt]
    pay_day = cat.month_day(km + 1, np.full(len(km), 20))
    revolver = np.nan_to_num(h.balance[rows] / h.limit[rows]) > 0.2
    share = np.where(revolver[kr], rng.uniform(0.6, 0.95, len(kr)), 1.0)
    ok = (pay_day <= s.hi[rows[kr]]) & (pay_day <= s.hi[ca[kr]]) & (pay_day >= s.lo[ca[kr]])
    kr, pay_day, repay = kr[ok], pay_day[ok], np.round(spent[key][ok] * share[ok]).astype(np.int64)
    s.ev.add(rows[kr], pay_day, "loan_payment", "system", True, repay, POOL + ca[kr])
    s.ev.add(ca[kr], pay_day, "loan_payment", "system", False, repay, POOL + rows[kr])
    interest_rows = rows[revolver]
    ir, iday, _ = every_month(
        s.lo[interest_rows], s.hi[interest_rows], np.full(len(interest_rows), 25)
    )
    owed = h.balance[interest_rows[ir]] * h.rate[interest_rows[ir]] / 1200.0
    s.ev.add(interest_rows[ir], iday, "interest", "system", False, cents(owed))
    return np.bincount(cust, weights=rate * size, minlength=c.n).astype(np.float64)


def payroll(s: Streams) -> None:
    """Companies fund the payroll account from the current account and pay salaries."""
    h, c, rng = s.h, s.c, s.rng
    rows = np.flatnonzero(h.category == cat.CAT_PAYROLL)
    ca = h.link[rows]
    cust = h.cust[rows]
    first = np.maximum(s.lo[rows], s.lo[ca])
    last = np.minimum(np.minimum(s.hi[rows], s.hi[ca]), c.active_until[cust])
    r, day, _ = every_month(first, last, rng.integers(5, 13, len(rows)))
    base = c.income[cust] / 12.0 * rng.uniform(0.1, 0.25, len(rows))
    amount = cents(base[r] * (1 + 0.02 * rng.standard_normal(len(r))))
    s.ev.add(ca[r], day, "transfer_out", "online", False, amount, POOL + rows[r])
    s.ev.add(rows[r], day, "transfer_in", "transfer", True, amount, POOL + ca[r])
    s.ev.add(rows[r], day, "salary", "system", False, amount)


def spending(s: Streams, income: F64, fixed: F64) -> None:
    """Discretionary debits (card, cash, transfers) and incoming transfers / cash deposits."""
    c, rng = s.c, s.rng
    n = c.n
    corp = c.corporate
    eng = np.exp(0.35 * c.engagement)
    pace = np.where(corp, 1.0, STAGE_PACE[np.maximum(c.stage, 0)])
    rate_d = SPEND_RATE[c.segment] * eng * pace
    rate_c = CREDIT_RATE[c.segment] * eng + np.where(~corp & (c.income_here == INCOME_NONE), 0.6, 0)
    save = np.clip(rng.normal(0.08, 0.08, n), -0.05, 0.3)
    net = np.where(c.income_here == INCOME_PENSION, c.income / 12.0, c.income / 12.0 * 0.77)
    here = np.where(c.income_here != INCOME_NONE, 1.0, rng.uniform(0.15, 0.5, n))
    budget = np.where(
        corp,
        c.income / 12.0 * rng.uniform(0.95, 1.02, n),
        np.maximum(net * (1.0 - save) * here, income),
    )
    debit = np.maximum(budget - fixed, 0.1 * budget)
    credit = np.where(
        corp, c.income / 12.0, np.maximum(debit + fixed - income, 0.0) + 0.05 * budget
    )

    r, day = poisson_days(rng, rate_d, s.active_lo, s.active_hi)
    pref = c.channel
    ch = categorical(rng, pref[r])
    keep = rng.random(len(r)) < c.activity(r, day) ** np.where(ch >= 3, 1.5, 1.0)
    r, day, ch = r[keep], day[keep], ch[keep]
    branch_cash = (ch == 0) & (rng.random(len(r)) < 0.55)
    scale = np.select(
        [branch_cash, ch == 0, ch == 1, ch == 2],
        [BRANCH_CASH, BRANCH_TRANSFER, ATM, CARD],
        default=TRANSFER,
    )
    expected = (
        pref[:, 0] * (0.55 * BRANCH_CASH + 0.45 * BRANCH_TRANSFER)
        + pref[:, 1] * ATM
        + pref[:, 2] * CARD
        + (pref[:, 3] + pref[:, 4]) * TRANSFER
    )
    unit = debit / (np.maximum(rate_d, 1e-9) * expected)
    amount = unit[r] * scale * lognormal(rng, len(r), 0.9)
    cash = branch_cash | (ch == 1)
    amount = np.where(cash, _round_cash(amount), amount)
    acct = s.ca[r]
    for mask, category in ((ch == 2, "card_payment"), (cash, "cash_withdrawal")):
        s.ev.add(
            acct[mask], day[mask], category, PREF_CHANNEL[ch[mask]], False, cents(amount[mask])
        )
    tr = ~cash & (ch != 2)
    s.ev.add(
        acct[tr],
        day[tr],
        "transfer_out",
        PREF_CHANNEL[ch[tr]],
        False,
        cents(amount[tr]),
        _private(rng, int(tr.sum())),
    )

    r, day = poisson_days(rng, rate_c, s.active_lo, s.active_hi)
    kept = s.thin(r, day)
    r, day = r[kept], day[kept]
    amount = credit[r] / np.maximum(rate_c[r], 1e-9) * lognormal(rng, len(r), 0.8)
    deposit = rng.random(len(r)) < np.where(corp[r], 0.05, 0.2)
    at_branch = rng.random(len(r)) * (pref[r, 0] + pref[r, 1]) < pref[r, 0]
    chan = np.where(at_branch, CHANNEL["branch"], CHANNEL["atm"])
    s.ev.add(
        s.ca[r[deposit]],
        day[deposit],
        "cash_deposit",
        chan[deposit],
        True,
        cents(_round_cash(amount[deposit])),
    )
    s.ev.add(
        s.ca[r[~deposit]],
        day[~deposit],
        "transfer_in",
        "transfer",
        True,
        cents(amount[~deposit]),
        _private(rng, int((~deposit).sum())),
    )


def drains(s: Streams) -> None:
    """Leavers (and some who only drift) move their money to another bank before going."""
    c, h, rng = s.c, s.h, s.rng
    leaving = c.churn_day < NEVER
    drifting = (c.decline_start < NEVER) & ~leaving & (rng.random(c.n) < 0.5)
    who = np.flatnonzero(leaving | drifting)
    lo = np.maximum(c.decline_start[who], s.active_lo[who])
    hi = np.minimum(c.decline_end[who], s.active_hi[who])
    ok = hi >= lo
    who, lo, hi = who[ok], lo[ok], hi[ok]
    r = expand(1 + (rng.random(len(who)) < 0.3))
    day = uniform_days(rng, lo[r], hi[r])
    cust = who[r]
    ca = s.ca[cust]
    share = np.where(leaving[cust], rng.uniform(0.3, 0.7, len(r)), rng.uniform(0.1, 0.35, len(r)))
    amount = cents(np.maximum(h.balance[ca], 5e3) * share)
    # Most go through the account-switching service run by the new bank, some at the branch.
    digital = np.where(
        c.channel[cust, 4] > c.channel[cust, 3], CHANNEL["mobile"], CHANNEL["online"]
    )
    u = rng.random(len(r))
    chan = np.select([u < 0.6, u < 0.8], [CHANNEL["system"], CHANNEL["branch"]], default=digital)
    s.ev.add(ca, day, "transfer_out", chan, False, amount, _private(rng, len(r)))

    sav = np.flatnonzero((h.category == cat.CAT_SAVINGS) & leaving[h.cust])
    cust = h.cust[sav]
    lo = np.maximum(c.decline_start[cust], s.lo[sav])
    hi = np.minimum(np.minimum(c.decline_end[cust], s.hi[sav]), s.active_hi[cust])
    ok = hi >= lo
    sav, lo, hi = sav[ok], lo[ok], hi[ok]
    amount = cents(h.balance[sav] * rng.uniform(0.5, 0.9, len(sav)))
    s.ev.add(
        sav,
        uniform_days(rng, lo, hi),
        "transfer_out",
        "system",
        False,
        amount,
        _private(rng, len(sav)),
    )


def sweeps(s: Streams) -> None:
    """Placeholders that empty closed accounts on the closing day (amount set when booked)."""
    h, rng = s.h, s.rng
    rows = np.flatnonzero(
        np.isin(h.category, cat.TRANSACTIONAL) & (h.closed <= cat.LAST_DAY) & (h.closed >= 0)
    )
    card = h.category[rows] == cat.CAT_CREDIT_CARD
    zero = np.zeros(len(rows), dtype=np.int64)
    s.ev.add(
        rows[~card],
        h.closed[rows[~card]],
        "transfer_out",
        "transfer",
        False,
        zero[~card],
        _private(rng, int((~card).sum())),
        sweep=True,
    )
    s.ev.add(
        rows[card], h.closed[rows[card]], "loan_payment", "system", True, zero[card], sweep=True
    )


def floors(rng: np.random.Generator, h: Holdings) -> F64:
    """Lowest balance an account may reach: a small cushion, or part of an overdraft."""
    floor = rng.uniform(0.0, 2000.0, h.n)
    overdraft = (h.category == cat.CAT_CURRENT) & ~np.isnan(h.limit)
    floor[overdraft] = -0.3 * h.limit[overdraft]
    floor[h.category == cat.CAT_CREDIT_CARD] = 0.0
    floor[h.closed <= cat.LAST_DAY] = np.maximum(floor[h.closed <= cat.LAST_DAY], 0.0)
    return floor


def transactions(
    rng: np.random.Generator,
    c: Customers,
    h: Holdings,
    orders: Orders,
    accounts: pa.Array,
    org: o.Org,
) -> pa.Table:
    """All transactions of the chunk in booking order (without transaction ids)."""
    s = Streams(rng, c, h, orders)
    income = s.income()
    fixed = s.standing_orders() + s.loans()
    payroll(s)
    fixed += cards(s)
    spending(s, income, fixed)
    s.savings_moves()
    s.interest()
    s.fees()
    drains(s)
    sweeps(s)
    cp_accounts = pa.concat_arrays([org.pool_accounts, accounts])
    cp_bank = np.r_[org.pool_bank_codes, np.full(h.n, len(org.bank_codes) - 1)]
    return book(s.ev, h, floors(rng, h), accounts, cp_accounts, org.bank_codes, cp_bank)
