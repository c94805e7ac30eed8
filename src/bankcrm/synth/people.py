"""Customers as numbers: segment, age and life stage, income, wealth, habits and fate.

Everything later (products, transactions, contacts) is driven by these latent attributes;
the visible identity (names, ids, addresses) is rendered from them in ``identity.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from bankcrm.synth import catalogue as cat
from bankcrm.synth import names
from bankcrm.synth.arrays import F64, I64, NEVER, Bool, categorical, sigmoid, uniform_days
from bankcrm.synth.org import Org, pick_staff

DAYS_PER_YEAR = 365.25
FOUNDED_DAY = cat.window_day(date(1993, 1, 4))  # the bank's first day of business
# Per segment: age = low + span * Beta(a, b) (company age for corporates).
AGE_LOW = np.asarray([18.0, 25.0, 30.0, 0.5, 3.0])
AGE_SPAN = np.asarray([72.0, 55.0, 55.0, 33.0, 31.0])
AGE_A = np.asarray([1.5, 2.5, 3.0, 1.2, 1.5])
AGE_B = np.asarray([2.0, 2.2, 2.2, 1.8, 1.2])
STAGE_INCOME = np.asarray([90e3, 420e3, 560e3, 620e3, 560e3, 270e3])  # median gross, CZK/yr
STAGE_WEALTH = np.asarray([0.3, 0.5, 0.6, 1.2, 1.8, 2.2])  # liquid wealth vs income
CHURN_BASE = -3.05
CHURN_SEGMENT = np.asarray([0.2, 0.0, -0.8, 0.1, -0.6])
FUTURE_CHURN_SHARE = 0.25
NOISE_DECLINE_SHARE = 0.07
INCOME_NONE, INCOME_SALARY, INCOME_PENSION, INCOME_ALLOWANCE = range(4)


@dataclass
class Customers:
    """One chunk of customers as column arrays (row i = customer number first + i)."""

    first: int
    number: I64
    segment: I64
    corporate: Bool
    age: F64
    stage: I64
    female: Bool
    income: F64
    wealth: F64
    engagement: F64
    risk: I64
    onboard: I64
    region: I64
    city: I64
    street: I64
    house: I64  # descriptive number * 100 + orientation number (0 = none)
    branch: I64
    manager: I64
    channel: F64  # (n, 5) preference over branch, atm, card, online, mobile
    income_here: I64
    close_day: I64
    active_until: I64
    decline_start: I64
    decline_end: I64
    decline_floor: F64
    salary_stop: I64
    churn_day: I64
    churn_hist: Bool
    will_churn: Bool
    deceased: Bool
    dormant: Bool
    surname: I64
    spouses: I64  # (k, 2) husband, wife
    partners: I64  # (k, 2) unmarried couples sharing an address
    children: I64  # (k, 2) adult child, parent

    @property
    def n(self) -> int:
        return len(self.number)

    def activity(self, idx: I64, day: I64) -> F64:
        """Relative activity of customer ``idx`` on ``day``: 1 normally, lower while drifting."""
        start = self.decline_start[idx]
        span = np.maximum(self.decline_end[idx] - start, 1).astype(np.float64)
        progress = np.sqrt(np.clip((day - start) / span, 0.0, 1.0))  # drops fast, then slower
        out = 1.0 - (1.0 - self.decline_floor[idx]) * progress
        return np.where(day > self.active_until[idx], 0.0, out)


def _stages(rng: np.random.Generator, age: F64) -> I64:
    r = rng.random(len(age))
    conditions = [
        age < 20,
        age < 26,
        age < 33,
        age < 48,
        age < 57,
        age < 64,
        age < 66,
    ]
    choices = [
        np.full(len(age), cat.STUDENT),
        np.where(r < 0.45, cat.STUDENT, cat.YOUNG),
        np.where(r < 0.55, cat.YOUNG, cat.FAMILY),
        np.where(r < 0.75, cat.FAMILY, cat.ESTABLISHED),
        np.where(r < 0.8, cat.ESTABLISHED, cat.FAMILY),
        np.where(r < 0.85, cat.PRE_RETIREMENT, cat.ESTABLISHED),
        np.where(r < 0.6, cat.RETIRED, cat.PRE_RETIREMENT),
    ]
    return np.select(conditions, choices, default=cat.RETIRED).astype(np.int64)


def _money(rng: np.random.Generator, seg: I64, stage: I64) -> tuple[F64, F64]:
    """Annual income (turnover for companies) and liquid wealth; long-tailed on purpose."""
    n = len(seg)
    st = np.maximum(stage, 0)
    ln = rng.standard_normal(n)
    par = rng.pareto(1.6, n)
    income = np.select(
        [seg == cat.MASS, seg == cat.AFFLUENT, seg == cat.PRIVATE, seg == cat.SME],
        [
            STAGE_INCOME[st] * np.exp(0.45 * ln),
            1.4e6 * np.where(st == cat.RETIRED, 0.6, 1.0) * np.exp(0.45 * ln),
            2.5e6 * (1.0 + par),
            12e6 * np.exp(1.1 * ln),
        ],
        default=np.minimum(400e6 * (1.0 + rng.pareto(1.3, n)), 60e9),
    )
    wn = rng.standard_normal(n)
    wealth = np.select(
        [seg == cat.MASS, seg == cat.AFFLUENT, seg == cat.PRIVATE, seg == cat.SME],
        [
            income * 0.25 * STAGE_WEALTH[st] * np.exp(1.1 * wn),
            income * 1.5 * np.exp(0.8 * wn),
            15e6 * (1.0 + rng.pareto(1.2, n)),
            income * 0.06 * np.exp(1.0 * wn),
        ],
        default=income * 0.05 * np.exp(0.9 * wn),
    )
    return np.round(income, -2), wealth


def _channels(rng: np.random.Generator, age: F64, corporate: Bool) -> F64:
    """Channel preferences (branch, atm, card, online, mobile): the young go mobile."""
    z = (age - 45.0) / 15.0
    logits = np.stack(
        [-1.0 + 0.9 * z, -0.2 + 0.3 * z, 0.6 - 0.2 * z, 0.2 - 0.3 * z * z, 0.3 - 1.0 * z], axis=1
    )
    corp = np.asarray([-0.5, -1.5, -0.3, 1.2, 0.2])
    logits = np.where(corporate[:, None], corp[None, :], logits)
    logits = logits + 0.6 * rng.standard_normal(logits.shape)
    w = np.exp(logits)
    out: F64 = w / w.sum(axis=1, keepdims=True)
    return out


def _households(
    rng: np.random.Generator, female: Bool, age: F64, stage: I64, corporate: Bool
) -> tuple[I64, I64]:
    """Couples (man, woman) of similar age, and adult children attached to a couple."""
    adult = ~corporate & (stage >= cat.FAMILY) & (rng.random(len(age)) < 0.45)
    men = np.flatnonzero(adult & ~female)
    women = np.flatnonzero(adult & female)
    men = men[np.argsort(age[men], kind="stable")]
    women = women[np.argsort(age[women], kind="stable")]
    k = min(len(men), len(women))
    couples = np.stack([men[:k], women[:k]], axis=1).astype(np.int64)
    in_couple = np.zeros(len(age), dtype=np.bool_)
    in_couple[couples.ravel()] = True
    kids = np.flatnonzero(~corporate & ~in_couple & (age < 28) & (rng.random(len(age)) < 0.35))
    if k == 0 or len(kids) == 0:
        return couples, np.zeros((0, 2), dtype=np.int64)
    parent_age = age[couples[:, 0]]
    target = age[kids] + 28.0 + 3.0 * rng.standard_normal(len(kids))
    pos = np.clip(np.searchsorted(parent_age, target), 0, k - 1)
    ok = age[couples[pos, 0]] - age[kids] >= 19.0
    return couples, np.stack([kids[ok], pos[ok]], axis=1).astype(np.int64)


def build_customers(rng: np.random.Generator, first: int, n: int, org: Org) -> Customers:
    seg = rng.choice(len(cat.SEGMENTS), n, p=cat.SEGMENT_SHARES).astype(np.int64)
    corp = seg >= cat.SME
    age = AGE_LOW[seg] + AGE_SPAN[seg] * rng.beta(AGE_A[seg], AGE_B[seg])
    stage = np.where(corp, -1, _stages(rng, age))
    female = ~corp & (rng.random(n) < 0.5)
    income, wealth = _money(rng, seg, stage)
    engagement = rng.standard_normal(n)
    seg_median = np.asarray([500e3, 1.4e6, 4e6, 12e6, 800e6])[seg]
    risk_score = (
        0.8 * rng.standard_normal(n)
        - 0.6 * np.log(income / seg_median)
        + 0.5 * ((stage == cat.STUDENT) | (stage == cat.YOUNG))
        + 0.3 * corp
    )
    risk = np.digitize(risk_score, [0.45, 1.35]).astype(np.int64)
    tenure = np.minimum(rng.exponential(9.5, n), np.where(corp, age, age - 18.0))
    tenure = np.minimum(tenure, (cat.LAST_DAY - FOUNDED_DAY) / DAYS_PER_YEAR)
    onboard = cat.LAST_DAY - np.round(np.maximum(tenure, 0.0) * DAYS_PER_YEAR).astype(np.int64)

    region = categorical(rng, np.broadcast_to(cat.REGION_WEIGHTS, (n, len(cat.REGIONS))))
    city = np.zeros(n, dtype=np.int64)
    for r in range(len(cat.REGIONS)):
        rows = np.flatnonzero(region == r)
        cities = np.flatnonzero(r == cat.CITY_REGION)
        w = np.where(np.arange(len(cities)) == 0, 3.0, 1.0)
        city[rows] = cities[categorical(rng, np.broadcast_to(w, (len(rows), len(cities))))]
    street = rng.integers(0, len(names.STREETS), n)
    # House number; most Czech addresses also carry an orientation number ("1262/60").
    house = rng.integers(1, 2500, n) * 100 + np.where(
        rng.random(n) < 0.4, rng.integers(1, 80, n), 0
    )
    weights = 1.0 / (np.arange(len(names.SURNAMES)) + 6.0)
    surname = rng.choice(len(names.SURNAMES), n, p=weights / weights.sum()).astype(np.int64)

    couples, children = _households(rng, female, age, stage, corp)
    married = rng.random(len(couples)) < 0.8
    spouses, partners = couples[married], couples[~married]
    for dst, src in ((couples[:, 1], couples[:, 0]), (children[:, 0], couples[children[:, 1], 0])):
        region[dst], city[dst], street[dst], house[dst] = (
            region[src],
            city[src],
            street[src],
            house[src],
        )
    surname[spouses[:, 1]] = surname[spouses[:, 0]]
    surname[children[:, 0]] = surname[couples[children[:, 1], 0]]
    children = np.concatenate(
        [np.stack([children[:, 0], couples[children[:, 1], p]], axis=1) for p in (0, 1)]
    )

    branch = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    for r, (idx, cum) in enumerate(org.region_home):
        rows = region == r
        branch[rows] = idx[np.minimum(np.searchsorted(cum, u[rows]), len(idx) - 1)]
    branch[couples[:, 1]] = branch[couples[:, 0]]
    managed = (seg != cat.MASS) | (rng.random(n) < 0.02 + 0.12 * (income > 900e3))
    manager = np.where(managed, pick_staff(rng, org.managers, branch), -1)

    c = Customers(
        first=first,
        number=np.arange(first + 1, first + n + 1, dtype=np.int64),
        segment=seg,
        corporate=corp,
        age=age,
        stage=stage,
        female=female,
        income=income,
        wealth=wealth,
        engagement=engagement,
        risk=risk,
        onboard=onboard,
        region=region,
        city=city,
        street=street,
        house=house,
        branch=branch,
        manager=manager,
        channel=_channels(rng, age, corp),
        income_here=_income_here(rng, seg, stage),
        close_day=np.full(n, NEVER, dtype=np.int64),
        active_until=np.full(n, NEVER, dtype=np.int64),
        decline_start=np.full(n, NEVER, dtype=np.int64),
        decline_end=np.full(n, NEVER, dtype=np.int64),
        decline_floor=np.ones(n),
        salary_stop=np.full(n, NEVER, dtype=np.int64),
        churn_day=np.full(n, NEVER, dtype=np.int64),
        churn_hist=np.zeros(n, dtype=np.bool_),
        will_churn=np.zeros(n, dtype=np.bool_),
        deceased=np.zeros(n, dtype=np.bool_),
        dormant=np.zeros(n, dtype=np.bool_),
        surname=surname,
        spouses=spouses,
        partners=partners,
        children=children,
    )
    _fates(rng, c)
    return c


def _income_here(rng: np.random.Generator, seg: I64, stage: I64) -> I64:
    """Which regular income is credited to this bank (many keep salaries elsewhere)."""
    r = rng.random(len(seg))
    p_salary = np.asarray([0.72, 0.8, 0.5, 0.0, 0.0])[seg]
    return np.select(
        [stage == cat.STUDENT, stage == cat.RETIRED, stage >= 0],
        [
            np.where(r < 0.3, INCOME_ALLOWANCE, INCOME_NONE),
            np.where(r < 0.8, INCOME_PENSION, INCOME_NONE),
            np.where(r < p_salary, INCOME_SALARY, INCOME_NONE),
        ],
        default=INCOME_NONE,
    ).astype(np.int64)


def _fates(rng: np.random.Generator, c: Customers) -> None:
    """Churn (with precursors), look-alike drifters that stay, deaths and dormancy."""
    n = c.n
    last = cat.LAST_DAY
    young = (c.stage == cat.STUDENT) | (c.stage == cat.YOUNG)
    short = c.onboard > last - 3 * 365
    logit = (
        CHURN_BASE
        + 0.5 * young
        + 0.7 * short
        - 0.7 * c.engagement
        + CHURN_SEGMENT[c.segment]
        + 0.5 * rng.standard_normal(n)
    )
    churner = rng.random(n) < sigmoid(logit)
    lo = np.maximum(150, c.onboard + 120)
    hist = churner & (rng.random(n) >= FUTURE_CHURN_SHARE) & (lo <= last)
    future = churner & ~hist
    c.churn_day[hist] = uniform_days(rng, lo[hist], np.full(hist.sum(), last))
    c.churn_day[future] = last + 1 + rng.integers(0, cat.CHURN_HORIZON_DAYS, future.sum())
    c.churn_hist[:] = hist
    c.will_churn[:] = future
    c.close_day[hist] = c.churn_day[hist]
    c.active_until[hist] = c.churn_day[hist]

    strong = rng.random(n) < 0.8
    lead = np.where(strong, rng.integers(90, 181, n), rng.integers(20, 81, n))
    floor = np.where(strong, rng.uniform(0.05, 0.3, n), rng.uniform(0.6, 0.95, n))
    start = c.churn_day - lead
    # Strong signals are already visible at AS_OF for those about to leave.
    start = np.where(strong & future, np.minimum(start, last - rng.integers(45, 121, n)), start)
    c.decline_start[churner] = start[churner]
    c.decline_end[churner] = c.churn_day[churner]
    c.decline_floor[churner] = floor[churner]
    moves = churner & (c.income_here != INCOME_NONE) & (rng.random(n) < 0.65)
    c.salary_stop[moves] = uniform_days(rng, c.decline_start[moves], c.churn_day[moves])

    # Drifters: the same symptoms without leaving, so churn models cannot be perfect.
    drift = ~churner & (rng.random(n) < NOISE_DECLINE_SHARE)
    start = rng.integers(last - 210, last - 45, n)
    c.decline_start[drift] = start[drift]
    c.decline_end[drift] = (start + rng.integers(120, 301, n))[drift]
    c.decline_floor[drift] = rng.uniform(0.25, 0.7, n)[drift]
    lost_job = drift & (c.income_here == INCOME_SALARY) & (rng.random(n) < 0.25)
    c.salary_stop[lost_job] = uniform_days(rng, start[lost_job], np.full(lost_job.sum(), last))

    old = ~churner & ~c.corporate & (c.age > 75) & (c.onboard < last - 120)
    dead = old & (rng.random(n) < 0.02)
    death = uniform_days(rng, np.maximum(c.onboard + 60, 0)[dead], np.full(dead.sum(), last - 1))
    c.deceased[dead] = True
    c.active_until[dead] = death
    settled = death + 60
    c.close_day[dead] = np.where(settled <= last, settled, NEVER)

    lo_d = np.maximum(c.onboard + 60, 0)
    dormant = (
        (c.segment == cat.MASS)
        & ~churner
        & ~dead
        & ~drift
        & (lo_d <= last - 365)
        & (rng.random(n) < 0.03 + 0.03 * (c.engagement < 0))
    )
    c.dormant[:] = dormant
    c.active_until[dormant] = uniform_days(rng, lo_d[dormant], np.full(dormant.sum(), last - 365))
    c.income_here[dormant] = INCOME_NONE
