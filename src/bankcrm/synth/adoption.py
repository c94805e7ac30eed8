"""Which products each customer holds, driven by segment, life stage and engagement.

Students get a current account and a debit card, families borrow and insure, the established
and affluent save and invest, companies take loans, payroll, cash management and trade finance.
"""

from __future__ import annotations

import numpy as np

from bankcrm.synth import catalogue as cat
from bankcrm.synth.arrays import F64, I64, NEVER, rank_in_group
from bankcrm.synth.holdings import ACTIVE, MONTH, PI, Holdings
from bankcrm.synth.people import Customers
from bankcrm.synth.terms import set_terms


class _Slots:
    """Collects candidate holdings slot by slot before they are sorted into account order."""

    def __init__(self, rng: np.random.Generator, c: Customers) -> None:
        self.rng, self.c = rng, c
        self.parts: list[tuple[I64, I64, I64, I64]] = []  # (cust, product, opened, slot)
        self.limit_day = np.minimum(np.minimum(c.active_until, c.close_day) - 30, cat.LAST_DAY)

    def take(self, p: F64) -> I64:
        return np.flatnonzero(self.rng.random(self.c.n) < p)

    def later(self, rows: I64, launch: I64 | np.int64, start: I64 | None = None) -> I64:
        """An opening day after onboarding and launch, before activity stops (-NEVER = none).

        Uniform over the customer's tenure, or ``start`` itself (moved into the tenure) when
        the caller already drew the date, e.g. from a loan's age.
        """
        lo = np.maximum(self.c.onboard[rows], launch)
        hi = self.limit_day[rows]
        if start is None:
            day = lo + np.floor(self.rng.random(len(rows)) * (hi - lo + 1)).astype(np.int64)
        else:
            day = np.maximum(lo, start)
        return np.where((hi >= lo) & (day <= hi), day, -NEVER)

    def add(self, rows: I64, product: I64, opened: I64, slot: int) -> None:
        ok = opened > -NEVER
        self.parts.append((rows[ok], product[ok], opened[ok], np.full(ok.sum(), slot)))


def _choose(
    rng: np.random.Generator, n: int, options: tuple[str, ...], p: tuple[float, ...]
) -> I64:
    return np.asarray([PI[o] for o in options], dtype=np.int64)[rng.choice(len(options), n, p=p)]


def _select(rng: np.random.Generator, c: Customers) -> _Slots:
    s = _Slots(rng, c)
    seg, st = c.segment, np.maximum(c.stage, 0)
    ind = ~c.corporate
    eng = np.clip(1.0 + 0.25 * c.engagement, 0.5, 1.6)
    launch = cat.PRODUCT_LAUNCH_DAY

    def by(seg_p: list[float], stage_m: list[float] | None = None) -> F64:
        m = np.where(ind, np.asarray(stage_m or [1.0] * 6)[st], 1.0)
        return np.minimum(np.asarray(seg_p)[seg] * m * eng, 0.97)

    everyone = np.arange(c.n)
    u = rng.random(c.n)
    ca = np.select(
        [
            c.stage == cat.STUDENT,
            seg == cat.MASS,
            seg == cat.AFFLUENT,
            seg == cat.PRIVATE,
            seg == cat.SME,
        ],
        [
            PI["CA_STUDENT"],
            np.where(u < 0.55, PI["CA_BASIC"], PI["CA_PLUS"]),
            np.where(u < 0.7, PI["CA_PREMIUM"], PI["CA_PLUS"]),
            PI["CA_PREMIUM"],
            PI["CA_BUSINESS"],
        ],
        default=PI["CA_CORPORATE"],
    ).astype(np.int64)
    s.add(everyone, ca, c.onboard, 0)
    rows = s.take(np.where(seg == cat.LARGE, 0.4, 0.0))
    s.add(
        rows, np.full(len(rows), PI["CA_CORPORATE"]), s.later(rows, launch[PI["CA_CORPORATE"]]), 1
    )

    rows = s.take(by([0.9, 0.95, 0.9, 0.7, 0.5], [1.08, 1.0, 1.0, 1.0, 0.95, 0.85]))
    prod = np.where(c.corporate[rows], PI["DC_BUSINESS"], PI["DC_STANDARD"])
    s.add(
        rows,
        prod,
        np.minimum(c.onboard[rows] + rng.integers(0, 60, len(rows)), s.limit_day[rows]),
        2,
    )
    inc = np.clip(c.income / 500e3, 0.5, 2.0) ** 0.5
    rows = s.take(by([0.16, 0.5, 0.65, 0.3, 0.6], [0.2, 0.9, 1.2, 1.1, 1.0, 0.6]) * inc)
    prod = np.select(
        [c.corporate[rows], (seg[rows] != cat.MASS) & (rng.random(len(rows)) < 0.8)],
        [PI["CC_BUSINESS"], PI["CC_GOLD"]],
        default=PI["CC_CLASSIC"],
    ).astype(np.int64)
    s.add(rows, prod, s.later(rows, launch[prod]), 3)

    rows = s.take(by([0.33, 0.8, 0.85, 0.3, 0.4], [0.5, 0.9, 0.9, 1.4, 1.5, 1.5]))
    opened = s.later(rows, launch[PI["SA_CLASSIC"]])
    v = rng.random(len(rows))
    prod = np.select(
        [
            c.corporate[rows],
            (opened < cat.WITHDRAWN_DAY) & (v < 0.35) | (opened < launch[PI["SA_STANDARD"]]),
            (opened >= launch[PI["SA_BONUS"]]) & (v > 0.6),
        ],
        [PI["SA_BUSINESS"], PI["SA_CLASSIC"], PI["SA_BONUS"]],
        default=PI["SA_STANDARD"],
    ).astype(np.int64)
    opened = np.where(opened > -NEVER, np.maximum(opened, launch[prod]), opened)
    s.add(rows, prod, opened, 4)

    rows = s.take(by([0.07, 0.35, 0.5, 0.1, 0.3], [0.0, 0.3, 0.6, 1.5, 2.0, 2.2]))
    prod = _choose(rng, len(rows), ("TD_6M", "TD_12M", "TD_36M"), (0.3, 0.5, 0.2))
    s.add(rows, prod, s.later(rows, launch[prod]), 5)

    rows = s.take(by([0.15, 0.08, 0.02, 0.0, 0.0], [0.15, 0.8, 1.5, 0.8, 0.5, 0.25]))
    prod = _choose(rng, len(rows), ("CL_STANDARD", "CL_CAR"), (0.7, 0.3))
    term_days = np.where(prod == PI["CL_CAR"], 60, 72) * MONTH
    back = np.floor(rng.random(len(rows)) * term_days * 1.3).astype(np.int64)
    s.add(rows, prod, s.later(rows, launch[prod], cat.LAST_DAY - back), 6)

    mortgage_p = by([0.14, 0.3, 0.15, 0.0, 0.0], [0.0, 0.5, 2.0, 1.3, 0.45, 0.1])
    rows = s.take(mortgage_p)
    prod = _choose(rng, len(rows), ("MG_FIX5", "MG_FIX10"), (0.65, 0.35))
    back = np.floor(rng.random(len(rows)) * 15 * 365.25).astype(np.int64)
    s.add(rows, prod, s.later(rows, launch[prod], cat.LAST_DAY - back), 7)
    has_mortgage = np.zeros(c.n, dtype=np.bool_)
    has_mortgage[rows] = True

    rows = s.take(by([0.02, 0.45, 0.95, 0.0, 0.0], [0.0, 0.3, 0.7, 2.5, 3.0, 2.5]))
    prod = np.select(
        [seg[rows] == cat.PRIVATE, (seg[rows] == cat.AFFLUENT) & (rng.random(len(rows)) < 0.4)],
        [PI["WM_PRIVATE"], PI["WM_MANAGED"]],
        default=PI["WM_FUNDS"],
    ).astype(np.int64)
    s.add(rows, prod, s.later(rows, launch[prod]), 8)

    rows = s.take(by([0.15, 0.3, 0.3, 0.0, 0.0], [0.1, 0.6, 1.8, 1.5, 1.0, 0.3]))
    s.add(rows, np.full(len(rows), PI["IN_LIFE"]), s.later(rows, launch[PI["IN_LIFE"]]), 9)
    rows = s.take(np.where(ind, 0.08 + 0.75 * has_mortgage, np.where(seg == cat.SME, 0.15, 0.3)))
    s.add(rows, np.full(len(rows), PI["IN_PROPERTY"]), s.later(rows, launch[PI["IN_PROPERTY"]]), 10)
    rows = s.take(by([0.04, 0.2, 0.3, 0.0, 0.0]))
    s.add(rows, np.full(len(rows), PI["IN_TRAVEL"]), s.later(rows, launch[PI["IN_TRAVEL"]]), 11)

    rows = s.take(by([0.0, 0.0, 0.0, 0.35, 0.7]))
    big = seg[rows] == cat.LARGE
    v = rng.random(len(rows))
    prod = np.where(
        v < 0.4, PI["BL_INVEST"], np.where(big, PI["BL_SYNDICATED"], PI["BL_OPERATING"])
    )
    back = np.floor(rng.random(len(rows)) * 8 * 365.25).astype(np.int64)
    s.add(rows, prod, s.later(rows, launch[prod], cat.LAST_DAY - back), 12)
    for slot, code, p in (
        (13, "PR_PAYROLL", [0, 0, 0, 0.35, 0.85]),
        (14, "CM_POOLING", [0, 0, 0, 0.03, 0.6]),
    ):
        rows = s.take(by(p))
        s.add(rows, np.full(len(rows), PI[code]), s.later(rows, launch[PI[code]]), slot)
    rows = s.take(by([0.0, 0.0, 0.0, 0.03, 0.35]))
    prod = _choose(rng, len(rows), ("TF_LC", "TF_GUARANTEE"), (0.5, 0.5))
    s.add(rows, prod, s.later(rows, launch[prod]), 15)
    return s


def build_holdings(rng: np.random.Generator, c: Customers) -> Holdings:
    s = _select(rng, c)
    cust, product, opened, slot = (np.concatenate(x) for x in zip(*s.parts, strict=True))
    order = np.lexsort((opened, slot, cust))
    cust, product, opened = cust[order], product[order], opened[order]
    n = len(cust)
    category = cat.PRODUCT_CATEGORY[product]
    first = np.searchsorted(cust, cust, side="left")
    h = Holdings(
        cust=cust,
        product=product,
        category=category,
        opened=opened,
        closed=np.full(n, NEVER, dtype=np.int64),
        balance=np.zeros(n),
        limit=np.full(n, np.nan),
        rate=cat.PRODUCT_RATE[product].copy(),
        status=np.full(n, ACTIVE, dtype=np.int64),
        loan_status=np.full(n, -1, dtype=np.int64),
        principal=np.full(n, np.nan),
        term=np.full(n, -1, dtype=np.int64),
        payment=np.full(n, np.nan),
        premium=np.full(n, np.nan),
        link=np.where(
            np.isin(
                category,
                (
                    *cat.LOAN_CATEGORIES,
                    cat.CAT_CREDIT_CARD,
                    cat.CAT_DEBIT_CARD,
                    cat.CAT_TRADE,
                    cat.CAT_PAYROLL,
                ),
            ),
            first,
            -1,
        ),
        statement=np.full(n, -1, dtype=np.int64),
        seq=rank_in_group(cust) + 1,
    )
    set_terms(rng, c, h)
    return h
