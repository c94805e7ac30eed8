"""Shared vocabulary and helpers for contacts: interactions and service-desk cases."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth.arrays import (
    F64,
    I64,
    Bool,
    rank_in_group,
)
from bankcrm.synth.org import Org, pick_staff
from bankcrm.synth.people import Customers

VISIT, PHONE, BRANCH, ONLINE, MOBILE, EMAIL, MESSAGING = range(7)
INBOUND, OUTBOUND = range(2)
COMPLETED, NO_ANSWER, FOLLOW_UP, SOLD, DECLINED, COMPLAINT = range(6)
assert spec.INTERACTION_CHANNELS == (
    "visit",
    "phone",
    "branch",
    "online",
    "mobile",
    "email",
    "messaging",
)
TOPICS = (
    "account",
    "card",
    "mortgage",
    "loan",
    "savings",
    "investment",
    "insurance",
    "online_banking",
    "fees",
    "address_change",
    "payments",
    "business_loan",
    "cash_management",
    "trade_finance",
    "payroll",
    "retention",
    "account_closure",
    "service",
    "atm",
    "branch",
)
T = {t: i for i, t in enumerate(TOPICS)}
PERSONAL_TOPICS = np.asarray([T[t] for t in TOPICS[:11]])
COMPANY_TOPICS = np.asarray(
    [
        T[t]
        for t in (
            "account",
            "business_loan",
            "payments",
            "cash_management",
            "trade_finance",
            "payroll",
            "card",
            "fees",
            "online_banking",
        )
    ]
)
CASE_TOPICS = np.asarray(
    [
        T[t]
        for t in (
            "fees",
            "card",
            "mortgage",
            "loan",
            "service",
            "online_banking",
            "atm",
            "branch",
            "payments",
            "account",
            "insurance",
            "investment",
        )
    ]
)
CATEGORY_TOPIC = np.asarray(
    [
        T[t]
        for t in (
            "account",
            "savings",
            "savings",
            "loan",
            "mortgage",
            "business_loan",
            "card",
            "card",
            "investment",
            "insurance",
            "payroll",
            "cash_management",
            "trade_finance",
        )
    ]
)
NOTES = (
    "Handled: ",
    "No answer, will retry: ",
    "Follow-up scheduled: ",
    "Product sold: ",
    "Offer declined: ",
    "Complaint raised: ",
)
CASE_TEXT = (
    "Customer complains about ",
    "Customer asks for help with ",
    "Feedback on ",
    "Customer praises ",
)
DAY = 86400


def inbound_channels(c: Customers) -> F64:
    p = c.channel
    managed = (c.manager >= 0).astype(np.float64)
    return np.stack(
        [
            0.1 * managed * (1 + c.corporate),
            0.2 + 0.5 * p[:, 1] + 0.3 * p[:, 0],
            p[:, 0],
            0.6 * p[:, 3],
            0.6 * p[:, 4],
            0.4 * p[:, 3] + 0.1 * managed,
            0.4 * p[:, 4],
        ],
        axis=1,
    )


def staff_for(
    rng: np.random.Generator, c: Customers, org: Org, cust: I64, chan: I64, direction: I64
) -> I64:
    mgr = c.manager[cust]
    managed = mgr >= 0
    agent = pick_staff(rng, org.agents, c.branch[cust])
    centre = org.contact_centre[rng.integers(0, len(org.contact_centre), len(cust))]
    by_mgr = np.where(managed, mgr, -1)
    return np.select(
        [
            chan == VISIT,
            (chan == PHONE) & (direction == OUTBOUND),
            chan == PHONE,
            chan == BRANCH,
            chan == EMAIL,
        ],
        [
            np.where(managed, mgr, agent),
            np.where(managed, mgr, centre),
            centre,
            np.where(managed & (rng.random(len(cust)) < 0.4), mgr, agent),
            np.where(managed, by_mgr, centre),
        ],
        default=-1,
    ).astype(np.int64)


def stamp(rng: np.random.Generator, day: I64, chan: I64, lo: I64) -> I64:
    """Timestamps: staffed channels on weekdays in office hours, digital ones any time."""
    staffed = np.isin(chan, (VISIT, PHONE, BRANCH))
    dow = (day + cat.EPOCH_OFFSET + 3) % 7  # Monday = 0
    day = np.where(staffed & (dow >= 5), np.maximum(day - (dow - 4), lo), day)
    hour = np.where(staffed, rng.uniform(7.0, 16.5, len(day)), rng.uniform(5.0, 21.5, len(day)))
    out: I64 = (day + cat.EPOCH_OFFSET) * DAY + np.floor(hour * 3600).astype(np.int64)
    return out


def contact_window(c: Customers) -> tuple[I64, I64]:
    lo = np.maximum(c.onboard, 0)
    hi = np.minimum(np.minimum(c.close_day, c.active_until), cat.LAST_DAY)
    return lo, hi


def timestamps(seconds: I64, valid: Bool | None = None) -> pa.Array:
    ts = pa.array(seconds, type=pa.int64(), mask=None if valid is None else ~valid)
    return ts.cast(pa.timestamp("s"))


def sequence(cust: I64) -> I64:
    """1-based position of each row within its customer (rows sorted by customer)."""
    return rank_in_group(cust) + 1
