"""Books generated events into transactions: ordering, running balances, closing sweeps.

Events come in unordered; this module sorts them by day (stable, so the generation order
decides within a day), then per account, and derives each account's opening balance so the
running balance respects the account's floor and ends at the target balance of the holding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth.arrays import F64, I64, Bool, coded, fixed_take
from bankcrm.synth.holdings import Holdings

CATEGORY = {name: i for i, name in enumerate(spec.TX_CATEGORIES)}
CHANNEL = {name: i for i, name in enumerate(spec.TX_CHANNELS)}
DIRECTIONS = pa.array(["debit", "credit"])  # indexed by the credit flag
CHANNELS = pa.array(list(spec.TX_CHANNELS))
CATEGORIES = pa.array(list(spec.TX_CATEGORIES))
_FIELDS = ("hold", "day", "cat", "chan", "credit", "cents", "cp", "sweep")
_DTYPES = (np.int32, np.int16, np.int8, np.int8, np.bool_, np.int64, np.int32, np.bool_)


@dataclass
class Events:
    """Column chunks of not yet booked events (hold = holding index, cp = counterparty)."""

    parts: dict[str, list[npt.NDArray[np.generic]]] = field(
        default_factory=lambda: {f: [] for f in _FIELDS}
    )

    def add(
        self,
        hold: I64,
        day: I64,
        category: str,
        channel: str | I64,
        credit: bool | Bool,
        cents: I64,
        cp: int | I64 = -1,
        sweep: bool = False,
    ) -> None:
        n = len(hold)
        if n == 0:
            return
        chan = CHANNEL[channel] if isinstance(channel, str) else channel
        values = (hold, day, CATEGORY[category], chan, credit, cents, cp, sweep)
        for name, v, dt in zip(_FIELDS, values, _DTYPES, strict=True):
            self.parts[name].append(np.broadcast_to(np.asarray(v, dtype=dt), (n,)))

    def column(self, name: str) -> npt.NDArray[Any]:
        """All chunks of one column as a single array (in generation order)."""
        parts = self.parts[name]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=_DTYPES[_FIELDS.index(name)])


def cents(amount: F64) -> I64:
    return np.round(amount * 100.0).astype(np.int64)


def _radix(keys: npt.NDArray[np.integer], bits: int) -> npt.NDArray[np.intp]:
    """Stable argsort of small non-negative integer keys (16-bit radix passes)."""
    wide = keys.astype(np.int64)
    order = np.argsort((wide & 0xFFFF).astype(np.uint16), kind="stable")
    if bits > 16:
        high = (wide[order] >> 16).astype(np.uint16)
        order = order[np.argsort(high, kind="stable")]
    return order


def book(
    ev: Events,
    h: Holdings,
    floor: F64,
    accounts: pa.Array,
    cp_accounts: pa.Array,
    cp_banks: pa.Array,
    cp_bank: I64,
) -> pa.Table:
    """Orders and balances the events; updates h.balance and h.limit; returns the table.

    Counterparty ``cp`` indexes ``cp_accounts``; ``cp_bank[cp]`` indexes ``cp_banks``.
    String columns come back dictionary-encoded (see generator.TX_SCHEMA).
    """
    hold = ev.column("hold")
    if h.n >= 1 << 20 or len(spec.TX_CATEGORIES) > 16:
        raise ValueError("chunk too large for the packed booking columns")
    day = ev.column("day")
    amount = ev.column("cents")
    sweep = ev.column("sweep")
    lo = np.maximum(h.opened, 0).astype(np.int16)
    hi = np.minimum(h.closed, cat.LAST_DAY).astype(np.int16)
    keep = (day >= lo[hold]) & (day <= hi[hold]) & ((amount > 0) | sweep)
    idx = np.flatnonzero(keep)
    by_day = idx[_radix(day[idx], 16)]  # booking order: day, then generation order
    # Then per account: rank the accounts that have events so one radix pass usually does.
    used = np.zeros(h.n, dtype=np.bool_)
    used[hold] = True
    rank = np.cumsum(used, dtype=np.int32) - 1
    order = by_day[_radix(rank[hold[by_day]], int(used.sum()).bit_length())]

    card = h.category == cat.CAT_CREDIT_CARD
    credit = ev.column("credit")
    flip = card[hold] != credit  # deposits: credit adds; cards (amount owed): debit adds
    signed = np.where(flip, amount, -amount)
    signed[sweep] = 0
    acct = hold[order]
    flow = signed[order]
    n = len(order)
    if n == 0:
        starts = np.zeros(0, dtype=np.int64)
    else:
        starts = np.flatnonzero(np.r_[True, acct[1:] != acct[:-1]])
    sizes = np.diff(np.r_[starts, n])
    ends = starts + sizes - 1
    prefix = np.cumsum(flow)
    base = prefix[starts] - flow[starts]
    prefix -= np.repeat(base, sizes)
    owners = acct[starts]
    min_prefix = np.minimum(np.minimum.reduceat(prefix, starts), 0) if n else prefix
    max_prefix = np.maximum(np.maximum.reduceat(prefix, starts), 0) if n else prefix
    total = prefix[ends]

    target = cents(h.balance[owners])
    low = cents(floor[owners])
    closed = h.closed[owners] <= cat.LAST_DAY
    opening = np.where(
        closed, np.maximum(target, low - min_prefix), np.maximum(target - total, low - min_prefix)
    )
    balance = prefix
    balance += np.repeat(opening, sizes)
    # Sweeps empty a closed account: their amount is whatever the balance is at that point.
    at = np.flatnonzero(sweep[order])
    rest = balance[at]
    balance[at] = 0
    amount[order[at]] = np.abs(rest)
    credit[order[at]] = (rest < 0) ^ card[acct[at]]

    final = np.where(closed, 0, opening + total)
    h.balance[owners] = final / 100.0
    peak = (opening + max_prefix) / 100.0
    on_card = card[owners]
    h.limit[owners[on_card]] = np.maximum(
        h.limit[owners[on_card]], np.ceil(peak[on_card] / 5000.0) * 5000.0
    )

    # Day order gathers are random access: pack the narrow columns into one int64 first.
    packed = (
        (ev.column("cp").astype(np.int64) + 1) << 36
        | hold.astype(np.int64) << 16
        | day.astype(np.int64) << 6
        | ev.column("cat").astype(np.int64) << 2
        | credit.astype(np.int64) << 1
    )
    chan = ev.column("chan")
    after = np.empty(len(hold), dtype=np.int64)
    after[order] = balance
    rows = by_day[amount[by_day] > 0]  # drops sweeps of accounts that were empty already
    packed = packed[rows]
    channel = chan[rows]
    cp = (packed >> 36) - 1
    has_cp = cp >= 0
    holding = (packed >> 16) & 0xFFFFF
    return pa.table(
        {
            "account_no": fixed_take(accounts, holding),
            "booked_on": pa.array(((packed >> 6) & 0x3FF).astype(np.int32) + cat.EPOCH_OFFSET).cast(
                pa.date32()
            ),
            "direction": coded(DIRECTIONS, (packed >> 1) & 1),
            "amount": pa.array(amount[rows] / 100.0),
            "balance_after": pa.array(after[rows] / 100.0),
            "channel": coded(CHANNELS, channel),
            "category": coded(CATEGORIES, (packed >> 2) & 0xF),
            "counterparty_bank": coded(cp_banks, cp_bank[cp], has_cp),
            "counterparty_account": coded(cp_accounts, cp, has_cp),
        }
    )
