"""Service-desk cases: complaints cluster before customers leave, and leavers rate lower."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth.arrays import (
    I64,
    NEVER,
    Bool,
    categorical,
    digits,
    expand,
    join,
    pick,
    strings,
    uniform_days,
)
from bankcrm.synth.contacts import (
    CASE_TEXT,
    CASE_TOPICS,
    DAY,
    TOPICS,
    contact_window,
    inbound_channels,
    sequence,
    stamp,
    timestamps,
)
from bankcrm.synth.identity import customer_no
from bankcrm.synth.people import Customers


def build_cases(rng: np.random.Generator, c: Customers) -> tuple[dict[str, pa.Array], I64]:
    """Cases table, plus the rows that are complaints (for the matching interactions)."""
    lo, hi = contact_window(c)
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
    kind = np.where(
        upset,
        rng.choice(4, n, p=[0.8, 0.15, 0.05, 0.0]),
        rng.choice(4, n, p=[0.35, 0.45, 0.12, 0.08]),
    )
    chan = categorical(rng, inbound_channels(c)[cust])
    topic = CASE_TOPICS[rng.integers(0, len(CASE_TOPICS), n)]
    prio_p = np.asarray(
        [[0.1, 0.5, 0.3, 0.1], [0.3, 0.6, 0.1, 0.0], [0.7, 0.3, 0.0, 0.0], [0.7, 0.3, 0.0, 0.0]]
    )
    priority = categorical(rng, prio_p[kind])
    opened = stamp(rng, day, chan, lo[cust])
    median_h = np.asarray([48.0, 18.0, 6.0, 6.0])[kind]
    hours = median_h * np.exp(rng.standard_normal(n))
    resolved = opened + np.floor(hours * 3600).astype(np.int64) + 60
    end = (cat.LAST_DAY + 1 + cat.EPOCH_OFFSET) * DAY
    done: Bool = resolved < end
    status = np.where(
        done, np.where(rng.random(n) < 0.35, 2, 3), np.where(end - opened < DAY, 0, 1)
    )
    mean = np.asarray([2.6, 4.0, 3.6, 4.8])[kind] - 0.9 * leaving[cust]
    score = np.clip(np.round(mean + 0.9 * rng.standard_normal(n)), 1, 5).astype(np.int64)
    rated = done & (rng.random(n) < 0.6)
    order = np.lexsort((opened, cust))
    ints: list[I64] = [cust, kind, chan, topic, priority, opened, resolved, status, score]
    cust, kind, chan, topic, priority, opened, resolved, status, score = (x[order] for x in ints)
    done, rated = done[order], rated[order]
    seq = sequence(cust)
    described = rng.random(n) < 0.7
    table = {
        "case_id": join("CS", digits(c.number[cust], 9), "-", digits(seq, 3)),
        "customer_no": customer_no(c.number[cust]),
        "kind": pick(strings(spec.CASE_KINDS), kind),
        "topic": pick(strings(TOPICS), topic),
        "channel": pick(strings(spec.INTERACTION_CHANNELS), chan),
        "priority": pick(strings(spec.CASE_PRIORITIES), priority),
        "status": pick(strings(spec.CASE_STATUSES), status),
        "opened_at": timestamps(opened),
        "resolved_at": timestamps(resolved, done),
        "description": pc.if_else(
            pa.array(described),
            join(
                pick(strings(CASE_TEXT), kind),
                pc.replace_substring(pick(strings(TOPICS), topic), "_", " "),
                ".",
            ),
            pa.scalar(None, pa.string()),
        ),
        "satisfaction": pa.array(score, mask=~rated),
    }
    complaints = np.flatnonzero((kind == 0) & (rng.random(n) < 0.7))
    return table, np.stack(
        [cust[complaints], opened[complaints], chan[complaints], topic[complaints]], axis=1
    )
