"""Standing orders on current accounts: insurance premiums, rent and utilities, leasing, loans."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth import org as o
from bankcrm.synth.arrays import F64, I64, digits, join, pick, rank_in_group
from bankcrm.synth.holdings import Holdings
from bankcrm.synth.people import Customers

INSURANCE, HOUSEHOLD, LEASING, LOAN, SAVINGS, OTHER = range(6)
WEEKLY, MONTHLY, QUARTERLY, YEARLY = range(4)
assert spec.ORDER_PURPOSES[:6] == ("insurance", "household", "leasing", "loan", "savings", "other")


@dataclass
class Orders:
    account: I64  # holding index of the current account debited
    cust: I64
    amount: F64
    purpose: I64
    frequency: I64
    cp: I64  # counterparty pool index
    start: I64

    @property
    def n(self) -> int:
        return len(self.account)


def build_orders(rng: np.random.Generator, c: Customers, h: Holdings) -> Orders:
    n = c.n
    ca = np.searchsorted(h.cust, np.arange(n))  # every customer's first holding is its account
    ind = ~c.corporate
    scale = np.clip(c.income / 500e3, 0.3, 5.0) ** 0.3
    parts: list[tuple[I64, F64, I64, I64, tuple[int, int]]] = []

    def add(rows: I64, amount: F64, purpose: int, freq: I64, pool: tuple[int, int]) -> None:
        parts.append((rows, amount, np.full(len(rows), purpose), freq, pool))

    def draw(p: F64) -> I64:
        return np.flatnonzero(rng.random(n) < p)

    ins = np.flatnonzero(h.category == cat.CAT_INSURANCE)
    yearly = h.product[ins] == cat.PRODUCT_INDEX["IN_TRAVEL"]
    f = np.where(
        yearly,
        YEARLY,
        rng.choice(np.asarray([MONTHLY, QUARTERLY, YEARLY]), len(ins), p=[0.7, 0.15, 0.15]),
    )
    months = np.asarray([0.25, 1.0, 3.0, 12.0])[f]
    parts.append(
        (h.cust[ins], h.premium[ins] * months, np.full(len(ins), INSURANCE), f, o.INSURERS)
    )
    family = (c.stage == cat.FAMILY).astype(np.float64)
    for share in (0.35 + 0.1 * family, 0.15 * (0.35 + 0.1 * family)):
        rows = draw(np.where(ind, share, 0.0))
        amount = np.exp(np.log(3500) + 0.5 * rng.standard_normal(len(rows))) * scale[rows]
        add(rows, amount, HOUSEHOLD, np.full(len(rows), MONTHLY), o.HOUSEHOLD)
    rows = draw(np.where(ind, 0.05, 0.3))
    amount = np.where(
        ind[rows], rng.uniform(4e3, 15e3, len(rows)), np.clip(c.income[rows] * 0.002, 8e3, 2e6)
    )
    add(rows, amount, LEASING, np.full(len(rows), MONTHLY), o.LEASING)
    rows = draw(np.where(ind, 0.07, 0.0))
    add(rows, rng.uniform(3e3, 12e3, len(rows)), LOAN, np.full(len(rows), MONTHLY), o.LENDERS)
    rows = draw(np.where(ind & (c.stage > cat.STUDENT), 0.15, 0.0))
    amount = rng.choice(np.asarray([300.0, 500.0, 1000.0, 1700.0, 2000.0, 3000.0]), len(rows))
    add(rows, amount, SAVINGS, np.full(len(rows), MONTHLY), o.LENDERS)
    rows = draw(np.where(ind, 0.05, 0.4))
    weekly = ind[rows] & (rng.random(len(rows)) < 0.1)
    amount = np.where(
        ind[rows], rng.uniform(200, 3000, len(rows)), rng.uniform(5e3, 50e3, len(rows))
    )
    add(
        rows,
        np.where(weekly, amount / 4, amount),
        OTHER,
        np.where(weekly, WEEKLY, MONTHLY),
        o.PRIVATE,
    )

    cust = np.concatenate([p[0] for p in parts]).astype(np.int64)
    amount = np.round(np.concatenate([p[1] for p in parts]), 0)
    purpose = np.concatenate([p[2] for p in parts]).astype(np.int64)
    freq = np.concatenate([p[3] for p in parts]).astype(np.int64)
    lo = np.concatenate([np.full(len(p[0]), p[4][0]) for p in parts])
    hi = np.concatenate([np.full(len(p[0]), p[4][1]) for p in parts])
    cp = lo + np.floor(rng.random(len(cust)) * (hi - lo)).astype(np.int64)
    account = ca[cust]
    back = np.floor(rng.random(len(cust)) * 6 * 365).astype(np.int64)
    start = np.maximum(h.opened[account], cat.LAST_DAY - back)
    last = np.minimum(np.minimum(c.active_until, c.close_day)[cust] - 20, cat.LAST_DAY - 20)
    n_ins = len(ins)
    start[:n_ins] = np.maximum(h.opened[ins], h.opened[account[:n_ins]])
    keep = (start <= last) & (amount > 0)
    order = np.lexsort((start, cust))
    order = order[keep[order]]
    return Orders(
        account=account[order],
        cust=cust[order],
        amount=amount[order],
        purpose=purpose[order],
        frequency=freq[order],
        cp=cp[order],
        start=start[order],
    )


def orders_table(
    c: Customers, orders: Orders, accounts: pa.Array, org: o.Org
) -> dict[str, pa.Array]:
    seq = rank_in_group(orders.cust) + 1
    return {
        "order_id": join("SO", digits(c.number[orders.cust], 9), "-", digits(seq, 2)),
        "account_no": pick(accounts, orders.account),
        "amount": pa.array(orders.amount),
        "purpose": pick(pa.array(list(spec.ORDER_PURPOSES)), orders.purpose),
        "frequency": pick(pa.array(list(spec.ORDER_FREQUENCIES)), orders.frequency),
        "counterparty_bank": pick(org.bank_codes, org.pool_bank_codes[orders.cp]),
        "counterparty_account": pick(org.pool_accounts, orders.cp),
        "start_on": pa.array((orders.start + cat.EPOCH_OFFSET).astype(np.int32)).cast(pa.date32()),
    }
