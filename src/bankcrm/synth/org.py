"""The bank's own organisation: branches, staff and the pool of outside counterparties.

It depends only on (customers, seed), so every worker process rebuilds the same one cheaply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankcrm.synth import catalogue as cat
from bankcrm.synth import names
from bankcrm.synth.arrays import I64, digits, join, pick, strings

CUSTOMERS_PER_BRANCH = 5000
CUSTOMERS_PER_MANAGER = 300
MANAGED_SHARE = 0.25 + 0.75 * 0.03  # all non-mass-retail customers plus a few mass retail

# Layout of the counterparty pool (accounts at other banks or institutions).
PENSION = 0
HOUSEHOLD = (1, 41)  # utilities and landlords
INSURERS = (41, 61)
LEASING = (61, 81)
LENDERS = (81, 101)
EMPLOYERS = (101, 5101)
PRIVATE = (5101, 25101)
POOL_SIZE = PRIVATE[1]


@dataclass(frozen=True)
class Org:
    branches: dict[str, pa.Array]
    staff: dict[str, pa.Array]
    branch_ids: pa.Array
    staff_ids: pa.Array
    branch_region: I64
    branch_city: I64  # index into catalogue.CITIES
    region_home: tuple[tuple[I64, I64], ...]  # per region: (branch indexes, cumulative weights)
    managers: tuple[I64, I64, I64]  # flat staff indexes, start and count per branch
    agents: tuple[I64, I64, I64]  # service agents per branch, same layout
    contact_centre: I64
    pool_accounts: pa.Array
    pool_bank_codes: I64  # per pool account: index into bank_codes
    bank_codes: pa.Array  # other banks, then the pension bank, then ours (last)


def _allocate(total: int, weights: list[float], minimum: int) -> list[int]:
    """Integer shares of ``total`` proportional to weights (largest remainder)."""
    ideal = [w / sum(weights) * total for w in weights]
    out = [max(minimum, math.floor(x)) for x in ideal]
    while sum(out) < total:
        out[max(range(len(out)), key=lambda i: ideal[i] - out[i])] += 1
    while sum(out) > total:
        out[
            max((i for i in range(len(out)) if out[i] > minimum), key=lambda i: out[i] - ideal[i])
        ] -= 1
    return out


def _day(rng: np.random.Generator, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


@lru_cache(maxsize=4)
def build_org(customers: int, seed: int) -> Org:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    n_branches = max(5, round(customers / CUSTOMERS_PER_BRANCH))
    weights = [float(w) for w in cat.REGION_WEIGHTS]
    if n_branches < len(weights):
        top = sorted(range(len(weights)), key=lambda i: -weights[i])[:n_branches]
        per_region = [1 if i in top else 0 for i in range(len(weights))]
    else:
        per_region = _allocate(n_branches, weights, 1)
    # Customers of a region without a branch bank at the nearest region that has one.
    effective = [0.0] * len(weights)
    home_region = []
    for r, w in enumerate(weights):
        home = r if per_region[r] else next(f for f in cat.REGION_FALLBACK[r] if per_region[f])
        home_region.append(home)
        effective[home] += w

    b_region: list[int] = []
    b_city: list[int] = []
    b_name: list[str] = []
    b_share: list[float] = []
    for r, count in enumerate(per_region):
        cities = [i for i, c in enumerate(cat.CITIES) if c[0] == r]
        bw = [1.5 if k == 0 else 1.0 for k in range(count)]
        for k in range(count):
            city = cities[k % len(cities)]
            street = names.STREETS[(k * 7 + r * 3) % len(names.STREETS)]
            b_region.append(r)
            b_city.append(city)
            b_name.append(f"{cat.CITIES[city][1]}, {street}")
            b_share.append(effective[r] * bw[k] / sum(bw))
    nb = len(b_region)
    branch_ids = join("BR", digits(np.arange(1, nb + 1), 4))
    branches = {
        "branch_id": branch_ids,
        "name": strings(b_name),
        "region": strings([cat.REGION_NAMES[r] for r in b_region]),
        "city": strings([cat.CITIES[c][1] for c in b_city]),
        "opened_on": pa.array(
            [_day(rng, date(1993, 1, 4), date(2020, 12, 31)) for _ in range(nb)], pa.date32()
        ),
    }

    n_managers = max(nb, math.ceil(customers * MANAGED_SHARE / CUSTOMERS_PER_MANAGER))
    mgr_per_branch = _allocate(n_managers, b_share, 1)
    rows: list[tuple[int, str, bool]] = []  # (branch, role, active)
    mgr_idx: list[list[int]] = []
    agent_idx: list[list[int]] = []
    for b in range(nb):
        rows.append((b, "branch_manager", True))
        mgr_idx.append(list(range(len(rows), len(rows) + mgr_per_branch[b])))
        rows += [(b, "account_manager", True)] * mgr_per_branch[b]
        n_agents = 2 + round(b_share[b] * customers / 20000)
        agent_idx.append(list(range(len(rows), len(rows) + n_agents)))
        rows += [(b, "service_agent", True)] * n_agents
        rows += [(b, "account_manager", False)] * int(rng.binomial(mgr_per_branch[b], 0.05))
    contact_centre = list(range(len(rows), len(rows) + max(3, customers // 25000)))
    rows += [(0, "service_agent", True)] * len(contact_centre)
    rows += [(0, "product_manager", True)] * 3 + [(0, "analyst", True)] * 2
    rows += [(0, "executive", True)] * 2

    first: list[str] = []
    last: list[str] = []
    emails: list[str] = []
    seen: set[str] = set()
    for _ in rows:
        female = bool(rng.random() < 0.5)
        f = str(rng.choice(names.FEMALE_FIRST if female else names.MALE_FIRST))
        sur = names.SURNAMES[int(rng.integers(0, len(names.SURNAMES)))][1 if female else 0]
        local = f"{names.slug(f)}.{names.slug(sur)}"
        email, k = local, 1
        while email in seen:
            k += 1
            email = f"{local}{k}"
        seen.add(email)
        first.append(f)
        last.append(sur)
        emails.append(f"{email}@bank.example")
    ns = len(rows)
    staff_ids = join("S", digits(np.arange(1, ns + 1), 5))
    staff = {
        "staff_id": staff_ids,
        "branch_id": pick(branch_ids, [r[0] for r in rows]),
        "first_name": strings(first),
        "last_name": strings(last),
        "role": strings([r[1] for r in rows]),
        "email": strings(emails),
        "hired_on": pa.array(
            [_day(rng, date(1995, 1, 2), cat.AS_OF - timedelta(days=30)) for _ in rows],
            pa.date32(),
        ),
        "active": pa.array([r[2] for r in rows], pa.bool_()),
    }

    region_home = []
    for r in range(len(weights)):
        home = home_region[r]
        idx = np.asarray([b for b in range(nb) if b_region[b] == home], dtype=np.int64)
        share = np.asarray([b_share[b] for b in idx], dtype=np.float64)
        region_home.append((idx, np.cumsum(share / share.sum())))

    pool_accounts, pool_bank_codes = _pool(rng)
    return Org(
        branches=branches,
        staff=staff,
        branch_ids=branch_ids,
        staff_ids=staff_ids,
        branch_region=np.asarray(b_region, dtype=np.int64),
        branch_city=np.asarray(b_city, dtype=np.int64),
        region_home=tuple(region_home),
        managers=_flat(mgr_idx),
        agents=_flat(agent_idx),
        contact_centre=np.asarray(contact_centre, dtype=np.int64),
        pool_accounts=pool_accounts,
        pool_bank_codes=pool_bank_codes,
        bank_codes=pa.array([*cat.OTHER_BANKS, cat.PENSION_BANK, cat.OUR_BANK]),
    )


def _flat(groups: list[list[int]]) -> tuple[I64, I64, I64]:
    count = np.asarray([len(g) for g in groups], dtype=np.int64)
    start = np.r_[0, np.cumsum(count)[:-1]].astype(np.int64)
    flat = np.asarray([i for g in groups for i in g], dtype=np.int64)
    return flat, start, count


def _pool(rng: np.random.Generator) -> tuple[pa.Array, I64]:
    """Account numbers at other banks: employers, utilities, insurers, people, ..."""
    number = rng.integers(1_000_000_000, 9_999_999_999, POOL_SIZE)
    prefix = rng.choice(
        np.asarray([0, 19, 35, 107, 2000]), POOL_SIZE, p=[0.8, 0.05, 0.05, 0.05, 0.05]
    )
    acct = digits(number, 10)
    with_prefix = join(digits(prefix, 1), "-", acct)
    accounts = pc.if_else(pa.array(prefix > 0), with_prefix, acct)
    banks = rng.choice(len(cat.OTHER_BANKS), POOL_SIZE, p=cat.OTHER_BANK_WEIGHTS).astype(np.int64)
    banks[PENSION] = len(cat.OTHER_BANKS)
    return accounts, banks


def pick_staff(rng: np.random.Generator, groups: tuple[I64, I64, I64], branch: I64) -> I64:
    """A random member of each row's branch group (e.g. one of the branch's managers)."""
    flat, start, count = groups
    return flat[start[branch] + np.floor(rng.random(len(branch)) * count[branch]).astype(np.int64)]
