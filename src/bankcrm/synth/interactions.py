"""Interactions on every channel: sales contacts coincide with products opened, complaint
contacts mirror complaint cases, and leavers get retention calls and a closing contact."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankcrm.ingest import spec
from bankcrm.synth.arrays import (
    I64,
    NEVER,
    categorical,
    digits,
    expand,
    join,
    pick,
    strings,
    uniform_days,
)
from bankcrm.synth.contacts import (
    BRANCH,
    CATEGORY_TOPIC,
    COMPANY_TOPICS,
    COMPLAINT,
    COMPLETED,
    DECLINED,
    EMAIL,
    FOLLOW_UP,
    INBOUND,
    NO_ANSWER,
    NOTES,
    OUTBOUND,
    PERSONAL_TOPICS,
    PHONE,
    SOLD,
    TOPICS,
    VISIT,
    T,
    contact_window,
    inbound_channels,
    sequence,
    staff_for,
    stamp,
    timestamps,
)
from bankcrm.synth.holdings import Holdings
from bankcrm.synth.identity import customer_no
from bankcrm.synth.org import Org
from bankcrm.synth.people import Customers


class _Frame:
    """Rows of contacts being assembled from several sources."""

    def __init__(self) -> None:
        self.parts: list[tuple[I64, ...]] = []

    def add(
        self,
        cust: I64,
        seconds: I64,
        chan: I64,
        direction: I64 | int,
        topic: I64 | int,
        outcome: I64 | int,
        staff: I64,
    ) -> None:
        n = len(cust)
        self.parts.append(
            tuple(
                np.broadcast_to(np.asarray(x, dtype=np.int64), (n,)).copy()
                for x in (cust, seconds, chan, direction, topic, outcome, staff)
            )
        )

    def columns(self) -> tuple[I64, ...]:
        return tuple(np.concatenate(x) for x in zip(*self.parts, strict=True))


def build_interactions(
    rng: np.random.Generator, c: Customers, h: Holdings, org: Org, complaints: I64
) -> dict[str, pa.Array]:
    f = _Frame()
    lo, hi = contact_window(c)
    span = np.maximum(hi - lo + 1, 0)
    managed = c.manager >= 0
    inbound_p = inbound_channels(c)

    rate = (np.asarray([2.5, 5.0, 10.0, 5.0, 8.0])[c.segment] + 1.5 * managed) * np.exp(
        0.2 * c.engagement
    )
    cust = expand(rng.poisson(rate * span / 730.0))
    n = len(cust)
    day = lo[cust] + np.floor(rng.random(n) * span[cust]).astype(np.int64)
    out = rng.random(n) < 0.25 + 0.25 * managed[cust]
    out_chan = np.where(
        managed[cust],
        rng.choice(np.asarray([VISIT, PHONE, EMAIL]), n, p=[0.3, 0.5, 0.2]),
        np.where(rng.random(n) < 0.8, PHONE, EMAIL),
    )
    chan = np.where(out, out_chan, categorical(rng, inbound_p[cust]))
    topic = np.where(
        c.corporate[cust],
        COMPANY_TOPICS[rng.integers(0, len(COMPANY_TOPICS), n)],
        PERSONAL_TOPICS[rng.integers(0, len(PERSONAL_TOPICS), n)],
    )
    upset = 0.03 + 0.25 * (1.0 - c.activity(cust, day))
    # Sales show up only where a product was really opened (below); here offers get declined.
    zero = np.zeros(n)
    p_in = np.stack([np.full(n, 0.85), zero, np.full(n, 0.12), zero, zero, upset], axis=1)
    p_out = np.asarray([0.22, 0.25, 0.18, 0.0, 0.35, 0.0])
    outcome = np.where(
        out, categorical(rng, np.broadcast_to(p_out, (n, 6))), categorical(rng, p_in)
    )
    outcome = np.where((outcome == NO_ANSWER) & (chan != PHONE), FOLLOW_UP, outcome)
    direction = np.where(out, OUTBOUND, INBOUND)
    f.add(
        cust,
        stamp(rng, day, chan, lo[cust]),
        chan,
        direction,
        topic,
        outcome,
        staff_for(rng, c, org, cust, chan, direction),
    )

    # Sales conversations on the day a product was opened.
    rows = np.flatnonzero(
        (h.opened >= lo[h.cust]) & (h.opened <= hi[h.cust]) & (rng.random(h.n) < 0.6)
    )
    cust = h.cust[rows]
    n = len(rows)
    m = managed[cust]
    chan = np.where(
        m,
        rng.choice(np.asarray([VISIT, PHONE, BRANCH]), n, p=[0.4, 0.3, 0.3]),
        categorical(rng, inbound_p[cust]),
    )
    direction = np.where(m, OUTBOUND, INBOUND)
    f.add(
        cust,
        stamp(rng, h.opened[rows], chan, lo[cust]),
        chan,
        direction,
        CATEGORY_TOPIC[h.category[rows]],
        np.full(n, SOLD),
        staff_for(rng, c, org, cust, chan, direction),
    )

    # Complaints logged as cases also show up as contacts.
    cust, seconds, chan, topic = (complaints[:, i] for i in range(4))
    f.add(
        cust,
        seconds,
        chan,
        INBOUND,
        topic,
        COMPLAINT,
        staff_for(rng, c, org, cust, chan, np.full(len(cust), INBOUND)),
    )

    # Leavers: retention calls by the manager, and the closing visit or call.
    dlo = np.maximum(c.decline_start, lo)
    dhi = np.minimum(c.decline_end, hi)
    retain = np.flatnonzero(
        (c.churn_day < NEVER) & managed & (dhi >= dlo) & (rng.random(c.n) < 0.6)
    )
    day = uniform_days(rng, dlo[retain], dhi[retain])
    chan = np.where(rng.random(len(retain)) < 0.7, PHONE, VISIT)
    outcome = np.where(rng.random(len(retain)) < 0.7, DECLINED, FOLLOW_UP)
    f.add(
        retain,
        stamp(rng, day, chan, lo[retain]),
        chan,
        OUTBOUND,
        T["retention"],
        outcome,
        c.manager[retain],
    )
    closing = np.flatnonzero(c.churn_hist & (rng.random(c.n) < 0.8))
    chan = categorical(rng, inbound_p[closing])
    f.add(
        closing,
        stamp(rng, c.churn_day[closing], chan, lo[closing]),
        chan,
        INBOUND,
        T["account_closure"],
        COMPLETED,
        staff_for(rng, c, org, closing, chan, np.full(len(closing), INBOUND)),
    )

    cust, seconds, chan, direction, topic, outcome, staff = f.columns()
    order = np.lexsort((seconds, cust))
    cust, seconds, chan, direction, topic, outcome, staff = (
        x[order] for x in (cust, seconds, chan, direction, topic, outcome, staff)
    )
    noted = rng.random(len(cust)) < 0.5
    note = join(
        pick(strings(NOTES), outcome),
        pc.replace_substring(pick(strings(TOPICS), topic), "_", " "),
        ".",
    )
    return {
        "interaction_id": join("IN", digits(c.number[cust], 9), "-", digits(sequence(cust), 4)),
        "customer_no": customer_no(c.number[cust]),
        "staff_id": pick(org.staff_ids, staff, staff >= 0),
        "occurred_at": timestamps(seconds),
        "channel": pick(strings(spec.INTERACTION_CHANNELS), chan),
        "direction": pick(strings(spec.INTERACTION_DIRECTIONS), direction),
        "topic": pick(strings(TOPICS), topic),
        "outcome": pick(strings(spec.INTERACTION_OUTCOMES), outcome),
        "note": pc.if_else(pa.array(noted), note, pa.scalar(None, pa.string())),
    }
