"""Links between customers: households, company groups, shareholders, guarantors, users.

All links stay inside a chunk, so every reference resolves within the extract.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth.arrays import F64, I64, expand, pick
from bankcrm.synth.holdings import Holdings
from bankcrm.synth.identity import customer_no
from bankcrm.synth.people import Customers

KIND = {k: i for i, k in enumerate(spec.RELATIONSHIP_KINDS)}


class _Rows:
    def __init__(self) -> None:
        self.parts: list[tuple[I64, I64, I64, I64, F64, I64]] = []

    def add(
        self,
        a: I64,
        b: I64,
        kind: str,
        since: I64,
        account: I64 | None = None,
        share: F64 | None = None,
    ) -> None:
        n = len(a)
        self.parts.append(
            (
                a.astype(np.int64),
                b.astype(np.int64),
                np.full(n, KIND[kind], dtype=np.int64),
                np.full(n, -1, dtype=np.int64) if account is None else account.astype(np.int64),
                np.full(n, np.nan) if share is None else share,
                since.astype(np.int64),
            )
        )


def build_relationships(
    rng: np.random.Generator, c: Customers, h: Holdings, accounts: pa.Array
) -> dict[str, pa.Array]:
    rows = _Rows()
    last = cat.LAST_DAY
    ca = np.searchsorted(h.cust, np.arange(c.n))
    sp = c.spouses
    younger = np.minimum(c.age[sp[:, 0]], c.age[sp[:, 1]])
    years = rng.random(len(sp)) * np.clip(younger - 20.0, 0.5, 40.0)
    wed = last - np.floor(years * 365.25).astype(np.int64)
    rows.add(sp[:, 0], sp[:, 1], "spouse", wed)
    rows.add(sp[:, 1], sp[:, 0], "spouse", wed)
    pa_ = c.partners
    together: I64 = np.maximum(c.onboard[pa_[:, 0]], c.onboard[pa_[:, 1]])
    rows.add(pa_[:, 0], pa_[:, 1], "household", together)
    rows.add(pa_[:, 1], pa_[:, 0], "household", together)
    ch = c.children
    rows.add(ch[:, 0], ch[:, 1], "household", np.maximum(c.onboard[ch[:, 0]], c.onboard[ch[:, 1]]))

    # Authorised users: partners on each other's current account.
    couples = np.concatenate([sp, pa_])
    auth = couples[rng.random(len(couples)) < 0.3]
    acct = ca[auth[:, 0]]
    rows.add(
        auth[:, 1],
        auth[:, 0],
        "authorised_user",
        np.maximum(h.opened[acct], c.onboard[auth[:, 1]]),
        acct,
    )

    # Company groups: some large corporates own other companies of the chunk.
    corp = np.flatnonzero(c.corporate)
    parents = corp[(c.segment[corp] == cat.LARGE) & (rng.random(len(corp)) < 0.3)]
    others = np.setdiff1d(corp, parents)
    others = others[rng.permutation(len(others))]
    subs_per = rng.integers(1, 4, len(parents))
    owner = expand(subs_per)[: len(others)]
    parent, sub = parents[owner], others[: len(owner)]
    since = np.maximum(c.onboard[parent], c.onboard[sub])
    rows.add(parent, sub, "parent_company", since)
    rows.add(sub, parent, "subsidiary", since)

    # Shareholders: individuals (preferably wealthy) own the smaller companies.
    ind = np.flatnonzero(~c.corporate & (c.stage >= cat.FAMILY))
    if len(ind):
        w = np.where(c.segment[ind] == cat.MASS, 1.0, 6.0)
        sme = corp[(c.segment[corp] == cat.SME) & (rng.random(len(corp)) < 0.6)]
        large = corp[(c.segment[corp] == cat.LARGE) & (rng.random(len(corp)) < 0.2)]
        n_holders = np.r_[rng.integers(1, 3, len(sme)), np.ones(len(large), dtype=np.int64)]
        company = np.r_[sme, large][expand(n_holders)]
        holder = ind[rng.choice(len(ind), len(company), p=w / w.sum())]
        first_of = np.r_[True, company[1:] != company[:-1]][: len(company)]
        pair = np.repeat(n_holders, n_holders) == 2
        major = rng.uniform(51.0, 80.0, len(company))
        share = np.where(
            c.segment[company] == cat.LARGE,
            rng.uniform(5.0, 30.0, len(company)),
            np.where(pair, np.where(first_of, major, 100.0 - np.roll(major, 1)), 100.0),
        )
        rows.add(
            holder,
            company,
            "shareholder",
            np.maximum(c.onboard[company], c.onboard[holder]),
            share=np.round(share, 2).astype(np.float64),
        )
        # Business loans are often guaranteed by the owner; owners use the company account.
        loans = np.flatnonzero(h.category == cat.CAT_BUSINESS_LOAN)
        owner_of = np.full(c.n, -1, dtype=np.int64)
        owner_of[company[first_of]] = holder[first_of]
        g_owner = owner_of[h.cust[loans]]
        ok = (g_owner >= 0) & (rng.random(len(loans)) < 0.4)
        rows.add(g_owner[ok], h.cust[loans[ok]], "guarantor", h.opened[loans[ok]], loans[ok])
        use = first_of & (rng.random(len(company)) < 0.5)
        acct = ca[company[use]]
        rows.add(
            holder[use],
            company[use],
            "authorised_user",
            np.maximum(h.opened[acct], c.onboard[holder[use]]),
            acct,
        )

    # Spouses guarantee some consumer loans and mortgages.
    partner = np.full(c.n, -1, dtype=np.int64)
    partner[sp[:, 0]], partner[sp[:, 1]] = sp[:, 1], sp[:, 0]
    loans = np.flatnonzero(np.isin(h.category, (cat.CAT_CONSUMER, cat.CAT_MORTGAGE)))
    g = partner[h.cust[loans]]
    ok = (g >= 0) & (rng.random(len(loans)) < 0.3)
    rows.add(g[ok], h.cust[loans[ok]], "guarantor", h.opened[loans[ok]], loans[ok])
    return _table(c, rows, accounts)


def _table(c: Customers, rows: _Rows, accounts: pa.Array) -> dict[str, pa.Array]:
    a, b, kind, account, share, since = (np.concatenate(x) for x in zip(*rows.parts, strict=True))
    keep = a != b
    a, b, kind, account, share, since = (x[keep] for x in (a, b, kind, account, share, since))
    key = (a * c.n + b) * len(KIND) + kind
    _, first = np.unique(key, return_index=True)  # one row per (from, to, kind), sorted
    a, b, kind, account, share, since = (x[first] for x in (a, b, kind, account, share, since))
    since = np.minimum(since, cat.LAST_DAY)
    return {
        "from_customer_no": customer_no(c.number[a]),
        "to_customer_no": customer_no(c.number[b]),
        "kind": pick(pa.array(list(spec.RELATIONSHIP_KINDS)), kind),
        "account_no": pick(accounts, account, account >= 0),
        "share_percent": pa.array(np.nan_to_num(share), mask=np.isnan(share)),
        "since": pa.array((since + cat.EPOCH_OFFSET).astype(np.int32)).cast(pa.date32()),
    }
