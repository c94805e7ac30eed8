"""Interactions (contacts on every channel) and service-desk cases.

Sales contacts coincide with products opened, complaints cluster before customers leave,
and satisfaction is lower among leavers: the signals propensity and churn models look for.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth.arrays import F64, I64, NEVER, Bool, categorical, digits, expand, join, pick
from bankcrm.synth.arrays import strings, uniform_days
from bankcrm.synth.holdings import Holdings
from bankcrm.synth.identity import customer_no
from bankcrm.synth.org import Org, pick_staff
from bankcrm.synth.people import Customers

VISIT, PHONE, BRANCH, ONLINE, MOBILE, EMAIL, MESSAGING = range(7)
INBOUND, OUTBOUND = range(2)
COMPLETED, NO_ANSWER, FOLLOW_UP, SOLD, DECLINED, COMPLAINT = range(6)
assert spec.INTERACTION_CHANNELS == ("visit", "phone", "branch", "online", "mobile", "email",
                                     "messaging")
TOPICS = ("account", "card", "mortgage", "loan", "savings", "investment", "insurance",
          "online_banking", "fees", "address_change", "payments", "business_loan",
          "cash_management", "trade_finance", "payroll", "retention", "account_closure",
          "service", "atm", "branch")
T = {t: i for i, t in enumerate(TOPICS)}
PERSONAL_TOPICS = np.asarray([T[t] for t in TOPICS[:11]])
COMPANY_TOPICS = np.asarray([T[t] for t in ("account", "business_loan", "payments",
                                            "cash_management", "trade_finance", "payroll",
                                            "card", "fees", "online_banking")])
CASE_TOPICS = np.asarray([T[t] for t in ("fees", "card", "mortgage", "loan", "service",
                                         "online_banking", "atm", "branch", "payments",
                                         "account", "insurance", "investment")])
CATEGORY_TOPIC = np.asarray([T[t] for t in (
    "account", "savings", "savings", "loan", "mortgage", "business_loan", "card", "card",
    "investment", "insurance", "payroll", "cash_management", "trade_finance")])
NOTES = ("Handled: ", "No answer, will retry: ", "Follow-up scheduled: ", "Product sold: ",
         "Offer declined: ", "Complaint raised: ")
CASE_TEXT = ("Customer complains about ", "Customer asks for help with ", "Feedback on ",
             "Customer praises ")
DAY = 86400


class _Frame:
    """Rows of contacts being assembled from several sources."""

    def __init__(self) -> None:
        self.parts: list[tuple[I64, ...]] = []

    def add(self, cust: I64, day: I64, chan: I64, direction: I64, topic: I64, outcome: I64,
            staff: I64) -> None:
        n = len(cust)
        self.parts.append(tuple(np.broadcast_to(np.asarray(x, dtype=np.int64), (n,)).copy()
                                for x in (cust, day, chan, direction, topic, outcome, staff)))

    def columns(self) -> tuple[I64, ...]:
        return tuple(np.concatenate(x) for x in zip(*self.parts, strict=True))


def _inbound_channels(c: Customers) -> F64:
    p = c.channel
    managed = (c.manager >= 0).astype(np.float64)
    return np.stack([0.1 * managed * (1 + c.corporate), 0.2 + 0.5 * p[:, 1] + 0.3 * p[:, 0],
                     p[:, 0], 0.6 * p[:, 3], 0.6 * p[:, 4], 0.4 * p[:, 3] + 0.1 * managed,
                     0.4 * p[:, 4]], axis=1)


def _staff(rng: np.random.Generator, c: Customers, org: Org, cust: I64, chan: I64,
           direction: I64) -> I64:
    mgr = c.manager[cust]
    managed = mgr >= 0
    agent = pick_staff(rng, org.agents, c.branch[cust])
    centre = org.contact_centre[rng.integers(0, len(org.contact_centre), len(cust))]
    by_mgr = np.where(managed, mgr, -1)
    return np.select(
        [chan == VISIT, (chan == PHONE) & (direction == OUTBOUND), chan == PHONE,
         chan == BRANCH, chan == EMAIL],
        [np.where(managed, mgr, agent), np.where(managed, mgr, centre), centre,
         np.where(managed & (rng.random(len(cust)) < 0.4), mgr, agent),
         np.where(managed, by_mgr, centre)],
        default=-1,
    ).astype(np.int64)


def _seconds(rng: np.random.Generator, day: I64, chan: I64, lo: I64) -> I64:
    """Timestamps: staffed channels on weekdays in office hours, digital ones any time."""
    staffed = np.isin(chan, (VISIT, PHONE, BRANCH))
    dow = (day + cat.EPOCH_OFFSET + 3) % 7  # Monday = 0
    day = np.where(staffed & (dow >= 5), np.maximum(day - (dow - 4), lo), day)
    hour = np.where(staffed, rng.uniform(7.0, 16.5, len(day)), rng.uniform(5.0, 21.5, len(day)))
    return (day + cat.EPOCH_OFFSET) * DAY + np.floor(hour * 3600).astype(np.int64)


def _window(c: Customers) -> tuple[I64, I64]:
    lo = np.maximum(c.onboard, 0)
    hi = np.minimum(np.minimum(c.close_day, c.active_until), cat.LAST_DAY)
    return lo, hi


def _timestamps(seconds: I64, valid: Bool | None = None) -> pa.Array:
    ts = pa.array(seconds, type=pa.int64(), mask=None if valid is None else ~valid)
    return ts.cast(pa.timestamp("s"))


def build_cases(rng: np.random.Generator, c: Customers) -> tuple[dict[str, pa.Array], I64]:
    """Cases table, plus the rows that are complaints (for the matching interactions)."""
    lo, hi = _window(c)
    span = np.maximum(hi - lo + 1, 0)
    base = 0.25 * np.asarray([1.0, 1.3, 1.5, 1.2, 1.5])[c.segment] * span / 730.0
    r1 = expand(rng.poisson(base))
    d1 = lo[r1] + np.floor(rng.random(len(r1)) * span[r1]).astype(np.int64)
    leaving = c.churn_day < NEVER
    dlo = np.maximum(c.decline_start, lo)
    dhi = np.minimum(c.decline_end, hi)
    extra = np.where(dhi >= dlo, np.where(leaving, 1.2, 0.4 * (c.decline_start < NEVER)), 0.0)
    r2 = expand(rng.poisson(extra))
    d2 = uniform_days(rng, dlo[r2], dhi[r2])
    cust = np.r_[r1, r2]
    day = np.r_[d1, d2]
    upset = np.r_[np.zeros(len(r1), dtype=np.bool_), np.ones(len(r2), dtype=np.bool_)]
    n = len(cust)
    kind = np.where(upset, rng.choice(4, n, p=[0.8, 0.15, 0.05, 0.0]),
                    rng.choice(4, n, p=[0.35, 0.45, 0.12, 0.08]))
    chan = categorical(rng, _inbound_channels(c)[cust])
    topic = CASE_TOPICS[rng.integers(0, len(CASE_TOPICS), n)]
    prio_p = np.asarray([[0.1, 0.5, 0.3, 0.1], [0.3, 0.6, 0.1, 0.0], [0.7, 0.3, 0.0, 0.0],
                         [0.7, 0.3, 0.0, 0.0]])
    priority = categorical(rng, prio_p[kind])
    opened = _seconds(rng, day, chan, lo[cust])
    median_h = np.asarray([48.0, 18.0, 6.0, 6.0])[kind]
    hours = median_h * np.exp(rng.standard_normal(n))
    resolved = opened + np.floor(hours * 3600).astype(np.int64) + 60
    end = (cat.LAST_DAY + 1 + cat.EPOCH_OFFSET) * DAY
    done = resolved < end
    status = np.where(done, np.where(rng.random(n) < 0.35, 2, 3),
                      np.where(end - opened < DAY, 0, 1))
    mean = np.asarray([2.6, 4.0, 3.6, 4.8])[kind] - 0.9 * leaving[cust]
    score = np.clip(np.round(mean + 0.9 * rng.standard_normal(n)), 1, 5).astype(np.int64)
    rated = done & (rng.random(n) < 0.6)
    order = np.lexsort((opened, cust))
    cust, kind, chan, topic, priority, opened, resolved, done, status, score, rated = (
        x[order] for x in (cust, kind, chan, topic, priority, opened, resolved, done, status,
                           score, rated)
    )
    seq = _seq(cust)
    described = rng.random(n) < 0.7
    table = {
        "case_id": join("CS", digits(c.number[cust], 9), "-", digits(seq, 3)),
        "customer_no": customer_no(c.number[cust]),
        "kind": pick(strings(spec.CASE_KINDS), kind),
        "topic": pick(strings(TOPICS), topic),
        "channel": pick(strings(spec.INTERACTION_CHANNELS), chan),
        "priority": pick(strings(spec.CASE_PRIORITIES), priority),
        "status": pick(strings(spec.CASE_STATUSES), status),
        "opened_at": _timestamps(opened),
        "resolved_at": _timestamps(resolved, done),
        "description": pc.if_else(pa.array(described),
                                  join(pick(strings(CASE_TEXT), kind),
                                       pc.replace_substring(pick(strings(TOPICS), topic), "_", " "),
                                       "."),
                                  pa.scalar(None, pa.string())),
        "satisfaction": pa.array(score, mask=~rated),
    }
    complaints = np.flatnonzero((kind == 0) & (rng.random(n) < 0.7))
    return table, np.stack([cust[complaints], opened[complaints], chan[complaints],
                            topic[complaints]], axis=1)


def _seq(cust: I64) -> I64:
    starts = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]]) if len(cust) else cust
    return np.arange(len(cust)) - np.repeat(starts, np.diff(np.r_[starts, len(cust)])) + 1


def build_interactions(
    rng: np.random.Generator, c: Customers, h: Holdings, org: Org, complaints: I64
) -> dict[str, pa.Array]:
    f = _Frame()
    lo, hi = _window(c)
    span = np.maximum(hi - lo + 1, 0)
    managed = c.manager >= 0
    inbound_p = _inbound_channels(c)

    rate = (np.asarray([2.5, 5.0, 10.0, 5.0, 8.0])[c.segment] + 1.5 * managed) * np.exp(
        0.2 * c.engagement
    )
    cust = expand(rng.poisson(rate * span / 730.0))
    n = len(cust)
    day = lo[cust] + np.floor(rng.random(n) * span[cust]).astype(np.int64)
    out = rng.random(n) < 0.25 + 0.25 * managed[cust]
    out_chan = np.where(managed[cust], rng.choice(np.asarray([VISIT, PHONE, EMAIL]), n,
                                                  p=[0.3, 0.5, 0.2]),
                        np.where(rng.random(n) < 0.8, PHONE, EMAIL))
    chan = np.where(out, out_chan, categorical(rng, inbound_p[cust]))
    topic = np.where(c.corporate[cust], COMPANY_TOPICS[rng.integers(0, len(COMPANY_TOPICS), n)],
                     PERSONAL_TOPICS[rng.integers(0, len(PERSONAL_TOPICS), n)])
    upset = 0.03 + 0.25 * (1.0 - c.activity(cust, day))
    p_in = np.stack([np.full(n, 0.8), np.zeros(n), np.full(n, 0.12), np.full(n, 0.05),
                     np.zeros(n), upset], axis=1)
    p_out = np.asarray([0.2, 0.25, 0.17, 0.08, 0.3, 0.0])
    outcome = np.where(out, categorical(rng, np.broadcast_to(p_out, (n, 6))),
                       categorical(rng, p_in))
    outcome = np.where((outcome == NO_ANSWER) & (chan != PHONE), FOLLOW_UP, outcome)
    direction = np.where(out, OUTBOUND, INBOUND)
    f.add(cust, _seconds(rng, day, chan, lo[cust]), chan, direction, topic, outcome,
          _staff(rng, c, org, cust, chan, direction))

    # Sales conversations on the day a product was opened.
    rows = np.flatnonzero((h.opened >= lo[h.cust]) & (h.opened <= hi[h.cust])
                          & (rng.random(h.n) < 0.6))
    cust = h.cust[rows]
    n = len(rows)
    m = managed[cust]
    chan = np.where(m, rng.choice(np.asarray([VISIT, PHONE, BRANCH]), n, p=[0.4, 0.3, 0.3]),
                    categorical(rng, inbound_p[cust]))
    direction = np.where(m, OUTBOUND, INBOUND)
    f.add(cust, _seconds(rng, h.opened[rows], chan, lo[cust]), chan, direction,
          CATEGORY_TOPIC[h.category[rows]], np.full(n, SOLD),
          _staff(rng, c, org, cust, chan, direction))

    # Complaints logged as cases also show up as contacts.
    cust, seconds, chan, topic = (complaints[:, i] for i in range(4))
    f.add(cust, seconds, chan, INBOUND, topic, COMPLAINT,
          _staff(rng, c, org, cust, chan, np.full(len(cust), INBOUND)))

    # Leavers: retention calls by the manager, and the closing visit or call.
    dlo = np.maximum(c.decline_start, lo)
    dhi = np.minimum(c.decline_end, hi)
    retain = np.flatnonzero((c.churn_day < NEVER) & managed & (dhi >= dlo)
                            & (rng.random(c.n) < 0.6))
    day = uniform_days(rng, dlo[retain], dhi[retain])
    chan = np.where(rng.random(len(retain)) < 0.7, PHONE, VISIT)
    outcome = np.where(rng.random(len(retain)) < 0.7, DECLINED, FOLLOW_UP)
    f.add(retain, _seconds(rng, day, chan, lo[retain]), chan, OUTBOUND, T["retention"], outcome,
          c.manager[retain])
    closing = np.flatnonzero(c.churn_hist & (rng.random(c.n) < 0.8))
    chan = categorical(rng, inbound_p[closing])
    f.add(closing, _seconds(rng, c.churn_day[closing], chan, lo[closing]), chan, INBOUND,
          T["account_closure"], COMPLETED,
          _staff(rng, c, org, closing, chan, np.full(len(closing), INBOUND)))

    cust, seconds, chan, direction, topic, outcome, staff = f.columns()
    order = np.lexsort((seconds, cust))
    cust, seconds, chan, direction, topic, outcome, staff = (
        x[order] for x in (cust, seconds, chan, direction, topic, outcome, staff)
    )
    noted = rng.random(len(cust)) < 0.5
    note = join(pick(strings(NOTES), outcome),
                pc.replace_substring(pick(strings(TOPICS), topic), "_", " "), ".")
    return {
        "interaction_id": join("IN", digits(c.number[cust], 9), "-", digits(_seq(cust), 4)),
        "customer_no": customer_no(c.number[cust]),
        "staff_id": pick(org.staff_ids, staff, staff >= 0),
        "occurred_at": _timestamps(seconds),
        "channel": pick(strings(spec.INTERACTION_CHANNELS), chan),
        "direction": pick(strings(spec.INTERACTION_DIRECTIONS), direction),
        "topic": pick(strings(TOPICS), topic),
        "outcome": pick(strings(spec.INTERACTION_OUTCOMES), outcome),
        "note": pc.if_else(pa.array(noted), note, pa.scalar(None, pa.string())),
    }
