"""The quarterly ledger: the lake read once per scoring run, for every snapshot at once.

Scoring needs the features on the as-of date and on the churn and propensity snapshots,
whole quarters (91 days) earlier. Every window the features use is a whole number of weeks
from its snapshot (4, 13 and 52 weeks: see `features.WINDOWS`), so all of them are sums of
quarter buckets counted back from the as-of date:

    quarter q = the days with age (as-of day - booked day) in [91 q, 91 q + 91)

The lake is aggregated one quarter at a time (one small hash table per quarter, not one
table of every account and quarter, which is many times slower on two cores) into

- `flows`: per customer and quarter, counts and exact decimal sums of the transactions,
  the first four weeks of the quarter apart (the 1-month window of the snapshot that
  starts there), the weeks with own activity as a 13-bit mask, and the youngest and oldest
  ages: the snapshot features are sums, minima and maxima over its quarters;
- `balances`: per account and snapshot, the balance after the last transaction on or
  before the snapshot day and 3, 6 and 12 months before it, and the mean of
  `balance_after` over the snapshot's 12 months.

Nothing after the as-of date is read, and nothing after a snapshot's day reaches its
features, because buckets younger than the snapshot are left out of its sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from bankcrm.ingest.spec import TX_CHANNELS

QUARTER_DAYS = 91
WEEKS_PER_QUARTER = 13
MONTH_DAYS = 28  # the 1-month window: the first four weeks of a quarter bucket
YEAR_QUARTERS = 4
SELF_SERVICE_CHANNELS = ("atm", "card", "online", "mobile")
CUSTOMER_CHANNELS = ("branch", *SELF_SERVICE_CHANNELS)  # transactions the customer initiates
INCOME_CATEGORIES = ("salary", "pension")
LEDGER_MONEY = dt.Decimal(18, 2)  # a customer's quarter fits; 8 bytes a value on DuckDB
# Balances a snapshot's features read, as (name, quarters before the snapshot).
BALANCE_POINTS = (("balance_now", 0), ("balance_3m_ago", 1), ("balance_6m_ago", 2))
BALANCE_YEAR_AGO = ("balance_12m_ago", YEAR_QUARTERS)


def epoch_day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


@dataclass
class Ledger:
    """The lake aggregated for `snapshots` snapshots, the first on `as_of`."""

    as_of: date
    snapshots: int
    flows: ir.Table  # customer_id, quarter, counts, sums, own_weeks, active_weeks, ages
    balances: ir.Table  # account_no, balance_now_<k>, ..., avg_balance_12m_<k> per snapshot

    def snapshot(self, cutoff: date) -> int:
        """The snapshot number of `cutoff` (0 = the as-of date); a ValueError otherwise."""
        days = (self.as_of - cutoff).days
        k, rest = divmod(days, QUARTER_DAYS)
        if rest or not 0 <= k < self.snapshots:
            raise ValueError(
                f"{cutoff} is not one of the ledger's snapshots: {self.snapshots} quarters "
                f"of {QUARTER_DAYS} days back from {self.as_of}"
            )
        return k

    def release(self) -> None:
        """Drop the cached tables from the engine while it is still connected (their
        finalizers would otherwise run after a disconnect, or hold memory until then)."""
        self.flows.release()
        self.balances.release()


def flow_quarters(snapshots: int) -> int:
    """Quarter buckets the flows need: each snapshot's last four quarters."""
    return snapshots - 1 + YEAR_QUARTERS


def _quarter_rows(tx: ir.Table, today: int, q: int, open_ended: bool = False) -> ir.Table:
    """The lake's rows of quarter `q`, with their age and their age within the quarter; an
    open-ended bucket holds every older row too."""
    last = ibis.date(date.fromordinal(date(1970, 1, 1).toordinal() + today - q * QUARTER_DAYS))
    rows = tx.filter(tx.booked_on <= last)
    if not open_ended:
        first_day = today - (q + 1) * QUARTER_DAYS + 1
        first = ibis.date(date.fromordinal(date(1970, 1, 1).toordinal() + first_day))
        rows = rows.filter(tx.booked_on >= first)
    age = today - rows.booked_on.epoch_days()
    in_quarter = age - q * QUARTER_DAYS
    # Flags computed once per row, not once per aggregate that tests them.
    return rows.mutate(
        age=age,
        week_bit=(ibis.literal(2) ** (in_quarter // 7)).cast("int64"),
        first_month=in_quarter < MONTH_DAYS,
        own=rows.channel.isin(CUSTOMER_CHANNELS),
        credit=rows.direction == "credit",
        debit=rows.direction == "debit",
    )


def _money(t: ir.Table, where: ir.BooleanValue) -> ir.DecimalValue:
    """An exact decimal sum, kept decimal so that the snapshot sums are exact too."""
    return t.amount.sum(where=where).cast(LEDGER_MONEY)


def _account_quarter(t: ir.Table) -> ir.Table:
    """Per account: the counts, sums, activity weeks, ages and balances of one quarter."""
    own, credit, debit, first_month = t.own, t.credit, t.debit, t.first_month
    has_balance = t.balance_after.notnull()
    aggs: dict[str, ir.Value] = {
        "tx": t.count(),
        "own_tx": t.count(where=own),
        "tx_1m": t.count(where=first_month),
        "own_tx_1m": t.count(where=first_month & own),
        "inflow": _money(t, credit),
        "outflow": _money(t, debit),
        "inflow_1m": _money(t, first_month & credit),
        "outflow_1m": _money(t, first_month & debit),
        "income": _money(t, credit & t.category.isin(INCOME_CATEGORIES)),
        "fees_paid": _money(t, debit & (t.category == "fee")),
        "interest_received": _money(t, credit & (t.category == "interest")),
        "interest_charged": _money(t, debit & (t.category == "interest")),
        "card_spend": _money(t, t.category == "card_payment"),
        "loan_payments": _money(t, debit & (t.category == "loan_payment")),
        **{f"tx_{channel}": t.count(where=t.channel == channel) for channel in TX_CHANNELS},
        "own_weeks": t.week_bit.bit_or(where=own),
        "min_age": t.age.min(),
        "min_own_age": t.age.min(where=own),
        "max_own_age": t.age.max(where=own),
        "last_balance": t.balance_after.argmax(t.transaction_id, where=has_balance),
        "balance_sum": t.balance_after.sum(where=has_balance).cast(LEDGER_MONEY),
        "balance_n": t.count(where=has_balance),
    }
    return t.group_by("account_no").aggregate(**aggs)


FLOW_SUMS = (
    "tx",
    "own_tx",
    "tx_1m",
    "own_tx_1m",
    "inflow",
    "outflow",
    "inflow_1m",
    "outflow_1m",
    "income",
    "fees_paid",
    "interest_received",
    "interest_charged",
    "card_spend",
    "loan_payments",
    *(f"tx_{channel}" for channel in TX_CHANNELS),
)


def _popcount(mask: ir.IntegerValue) -> ir.IntegerValue:
    """Set bits of a 13-bit week mask, in plain arithmetic (portable to every engine)."""
    bits = [(mask // (2**w)) % 2 for w in range(WEEKS_PER_QUARTER)]
    total = bits[0]
    for bit in bits[1:]:
        total = total + bit
    return total.cast("int64")


def _customer_quarter(per_account: ir.Table, accounts: ir.Table, q: int) -> ir.Table:
    a = per_account.join(accounts.select("account_no", "customer_id"), "account_no")
    sums: dict[str, ir.Value] = {}
    for name in FLOW_SUMS:
        total = a[name].sum()
        sums[name] = total.cast(LEDGER_MONEY) if a[name].type().is_decimal() else total
    per_customer = a.group_by("customer_id").aggregate(
        **sums,
        own_weeks=a.own_weeks.bit_or(),
        min_age=a.min_age.min(),
        min_own_age=a.min_own_age.min(),
        max_own_age=a.max_own_age.max(),
    )
    return per_customer.mutate(
        quarter=ibis.literal(q, "int64"),
        active_weeks=_popcount(ibis.coalesce(per_customer.own_weeks, 0)),
    )


def _account_balances(buckets: ir.Table, snapshots: int) -> ir.Table:
    """Per account and snapshot k: balances on the snapshot day and 1, 2 and 4 quarters
    earlier (the last known balance: the youngest bucket at or beyond that point), and
    the mean balance after transactions over the snapshot's four quarters."""
    b = buckets
    known = b.last_balance.notnull()
    aggs: dict[str, ir.Value] = {}
    for k in range(snapshots):
        for name, back in (*BALANCE_POINTS, BALANCE_YEAR_AGO):
            aggs[f"{name}_{k}"] = b.last_balance.argmin(
                b.quarter, where=known & (b.quarter >= k + back)
            )
        year = (b.quarter >= k) & (b.quarter < k + YEAR_QUARTERS)
        aggs[f"balance_sum_{k}"] = b.balance_sum.sum(where=year)
        aggs[f"balance_n_{k}"] = b.balance_n.sum(where=year)
    return b.group_by("account_no").aggregate(**aggs)


def build_ledger(tx: ir.Table, accounts: ir.Table, as_of: date, snapshots: int) -> Ledger:
    """Aggregate the lake for `snapshots` snapshots a quarter apart, the first on `as_of`.

    Each quarter is aggregated and cached on the engine before the next one is read, so
    the engine holds one quarter's hash table at a time; the results are small.
    """
    today = epoch_day(as_of)
    quarters = flow_quarters(snapshots)
    flows: list[ir.Table] = []
    buckets: list[ir.Table] = []
    for q in range(quarters + 1):
        open_ended = q == quarters  # every older row: balances before the oldest window
        rows = _quarter_rows(tx, today, q, open_ended)
        with _account_quarter(rows).cache() as per_account:
            bucket = per_account.select(
                "account_no",
                "last_balance",
                "balance_sum",
                "balance_n",
                quarter=ibis.literal(q, "int64"),
            )
            buckets.append(bucket.cache())
            if not open_ended:
                flows.append(_customer_quarter(per_account, accounts, q).cache())
    balances = _account_balances(ibis.union(*buckets), snapshots).cache()
    flow_table = ibis.union(*flows).cache()
    for table in (*buckets, *flows):
        table.release()
    return Ledger(as_of, snapshots, flow_table, balances)
