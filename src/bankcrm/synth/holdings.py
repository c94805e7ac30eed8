"""Holdings (accounts, loans, cards, deposits, mandates, policies) and their file rendering."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth.arrays import F64, I64, Bool, digits, join, pick
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
