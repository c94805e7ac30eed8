"""Books generated events into transactions: ordering, running balances, closing sweeps.

Events come in unordered; this module sorts them by day (stable, so the generation order
decides within a day), then per account, and derives each account's opening balance so the
running balance respects the account's floor and ends at the target balance of the holding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth.arrays import F64, I64, Bool, coded, fixed_take, stable_order
from bankcrm.synth.holdings import Holdings

CATEGORY = {name: i for i, name in enumerate(spec.TX_CATEGORIES)}
CHANNEL = {name: i for i, name in enumerate(spec.TX_CHANNELS)}
DIRECTIONS = pa.array(["debit", "credit"])  # indexed by the credit flag
CHANNELS = pa.array(list(spec.TX_CHANNELS))
CATEGORIES = pa.array(list(spec.TX_CATEGORIES))
_FIELDS = ("hold", "day", "cat", "chan", "credit", "cents", "cp", "sweep")


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
        dtypes = (np.int64, np.int64, np.int8, np.int8, np.bool_, np.int64, np.int64, np.bool_)
        for name, v, dt in zip(_FIELDS, values, dtypes, strict=True):
            self.parts[name].append(np.broadcast_to(np.asarray(v, dtype=dt), (n,)))

    def column(self, name: str) -> npt.NDArray[np.generic]:
        parts = self.parts[name]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def cents(amount: F64) -> I64:
    return np.round(amount * 100.0).astype(np.int64)


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
    hold = ev.column("hold").astype(np.int64)
    day = ev.column("day").astype(np.int64)
    lo = np.maximum(h.opened, 0)
    hi = np.minimum(h.closed, cat.LAST_DAY)
    sweep = ev.column("sweep").astype(np.bool_)
    amount = ev.column("cents").astype(np.int64)
    keep = (day >= lo[hold]) & (day <= hi[hold]) & ((amount > 0) | sweep)
    idx = np.flatnonzero(keep)
    by_day = idx[stable_order(day[idx], 10)]
    hold_d = hold[by_day]
    bits = max(int(h.n).bit_length(), 1)
    order = by_day[stable_order(hold_d, bits)]  # per account, then day, then generation order

    card = h.category == cat.CAT_CREDIT_CARD
    credit = ev.column("credit").astype(np.bool_)
    sign = np.where(credit, 1, -1) * np.where(card[hold], -1, 1)
    acct = hold[order]
    flow = (sign * amount)[order]
    flow[sweep[order]] = 0
    running = np.cumsum(flow)
    n = len(order)
    starts = np.flatnonzero(np.r_[True, acct[1:] != acct[:-1]]) if n else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], n] - 1
    base = running[starts] - flow[starts]
    prefix = running - np.repeat(base, ends - starts + 1)
    owners = acct[starts]
    min_prefix = np.minimum(np.minimum.reduceat(prefix, starts), 0) if n else prefix
    max_prefix = np.maximum(np.maximum.reduceat(prefix, starts), 0) if n else prefix
    total = prefix[ends] if n else prefix

    target = cents(h.balance[owners])
    low = cents(floor[owners])
    closed = h.closed[owners] <= cat.LAST_DAY
    opening = np.where(
        closed, np.maximum(target, low - min_prefix), np.maximum(target - total, low - min_prefix)
    )
    balance = np.repeat(opening, ends - starts + 1) + prefix
    is_sweep = sweep[order]
    sweep_amount = balance[is_sweep]
    balance[is_sweep] = 0
    credit_o = credit[order]
    amount_o = amount[order]
    amount_o[is_sweep] = np.abs(sweep_amount)
    swept_card = card[acct[is_sweep]]
    credit_o[is_sweep] = (sweep_amount < 0) ^ swept_card

    final = np.where(closed, 0, opening + total)
    h.balance[owners] = final / 100.0
    peak = (opening + max_prefix) / 100.0
    on_card = card[owners]
    h.limit[owners[on_card]] = np.maximum(
        h.limit[owners[on_card]], np.ceil(peak[on_card] / 5000.0) * 5000.0
    )

    # Back to day order (the booking order of the file).
    pos = np.empty(len(hold), dtype=np.int64)
    pos[order] = np.arange(n)
    sel = pos[by_day]
    keep_rows = amount_o[sel] > 0
    sel = sel[keep_rows]
    src = order[sel]
    cp = ev.column("cp").astype(np.int64)[src]
    has_cp = cp >= 0
    return pa.table(
        {
            "account_no": fixed_take(accounts, acct[sel]),
            "booked_on": pa.array((day[src] + cat.EPOCH_OFFSET).astype(np.int32)).cast(
                pa.date32()
            ),
            "direction": coded(DIRECTIONS, credit_o[sel]),
            "amount": pa.array(amount_o[sel] / 100.0),
            "balance_after": pa.array(balance[sel] / 100.0),
            "channel": coded(CHANNELS, ev.column("chan")[src]),
            "category": coded(CATEGORIES, ev.column("cat")[src]),
            "counterparty_bank": coded(cp_banks, cp_bank[cp], has_cp),
            "counterparty_account": coded(cp_accounts, cp, has_cp),
        }
    )
