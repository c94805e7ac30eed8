"""Renders the visible customer record (customers.csv) from the latent attributes.

Names are sex-consistent, national ids follow the Czech birth-number (YYMMDD/SSSC: a serial
and a mod-11 check digit, month +50 for women) and company-number (IČO, mod-11) rules,
e-mails use reserved .example domains.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankcrm.ingest import spec
from bankcrm.synth import catalogue as cat
from bankcrm.synth import names
from bankcrm.synth.arrays import I64, NEVER, Bool, digits, join, pick, strings, uniform_days
from bankcrm.synth.people import Customers

MALE = strings(names.MALE_FIRST)
FEMALE = strings(names.FEMALE_FIRST)
MALE_ASCII = strings([names.slug(x) for x in names.MALE_FIRST])
FEMALE_ASCII = strings([names.slug(x) for x in names.FEMALE_FIRST])
SUR_M = strings([s[0] for s in names.SURNAMES])
SUR_F = strings([s[1] for s in names.SURNAMES])
SUR_ASCII_M = strings([names.slug(s[0]) for s in names.SURNAMES])
SUR_ASCII_F = strings([names.slug(s[1]) for s in names.SURNAMES])
SERIALS_PER_CHUNK = 20  # birth-number serials reserved per chunk and birth date: no clashes


def customer_no(number: I64) -> pa.Array:
    return join("C", digits(number, 9))


def _birth_numbers(c: Customers, birth: I64, chunk: int) -> pa.Array:
    year, month, dom = cat.calendar(birth)
    ymd = (year % 100) * 10000 + (month + 50 * c.female) * 100 + dom
    group = ymd * 2 + c.female
    order = np.argsort(group, kind="stable")
    ranks = np.empty(c.n, dtype=np.int64)
    sg = group[order]
    starts = np.r_[0, np.flatnonzero(sg[1:] != sg[:-1]) + 1]
    ranks[order] = np.arange(c.n) - np.repeat(starts, np.diff(np.r_[starts, c.n]))
    # Each chunk owns a block of serials per birth date (which block depends on the date),
    # and a bijection spreads them over 000-999 so they do not all look alike.
    blocks = 1000 // SERIALS_PER_CHUNK
    block = (chunk + 13 * ymd) % blocks
    serial = block * SERIALS_PER_CHUNK + (ranks + 7 * ymd) % SERIALS_PER_CHUNK
    serial = (serial * 337 + 191) % 1000
    check = (ymd * 1000 + serial) % 11 % 10
    return join(digits(ymd, 6), "/", digits(serial * 10 + check, 4))


def _company_ids(number: I64) -> pa.Array:
    body = (number * 7919 + 1234567) % 10_000_000
    weights = np.asarray([8, 7, 6, 5, 4, 3, 2])
    d = (body[:, None] // 10 ** np.arange(6, -1, -1)) % 10
    check = (11 - (d * weights).sum(axis=1) % 11) % 10
    return digits(body * 10 + check, 8)


def _company_names(
    rng: np.random.Generator, c: Customers, industry: I64
) -> tuple[pa.Array, pa.Array]:
    """Company names and an ASCII slug of them (without the legal form) for e-mail domains."""
    n = c.n
    word = pick(strings(names.COMPANY_WORDS), rng.integers(0, len(names.COMPANY_WORDS), n))
    ind_word = pick(strings(names.INDUSTRY_WORDS), industry)
    tail = pick(strings(names.COMPANY_TAILS), rng.integers(0, len(names.COMPANY_TAILS), n))
    legal = pc.if_else(
        pa.array(c.segment == cat.LARGE),
        pick(strings(names.LEGAL_FORMS_LARGE), rng.integers(0, len(names.LEGAL_FORMS_LARGE), n)),
        pick(strings(names.LEGAL_FORMS_SME), rng.integers(0, len(names.LEGAL_FORMS_SME), n)),
    )
    variant = rng.random(n)
    family = join(pick(SUR_M, c.surname), " ", ind_word)
    combo = join(word, " ", ind_word, tail)
    plain = join(word, tail)
    base = pc.if_else(
        pa.array(variant < 0.4), family, pc.if_else(pa.array(variant < 0.75), combo, plain)
    )
    folded = pc.utf8_normalize(base, form="NFKD")
    slug = pc.utf8_lower(pc.replace_substring_regex(folded, r"[^A-Za-z0-9]", ""))
    return join(base, " ", legal), slug


def _mask(values: pa.Array, keep: Bool) -> pa.Array:
    return pc.if_else(pa.array(keep), values, pa.scalar(None, values.type))


def customers_table(
    rng: np.random.Generator,
    c: Customers,
    org_branch_ids: pa.Array,
    staff_ids: pa.Array,
    chunk: int,
) -> dict[str, pa.Array]:
    n = c.n
    ind = ~c.corporate
    birth = cat.LAST_DAY - np.floor(c.age * 365.25).astype(np.int64) - 1
    fi = rng.integers(0, len(names.MALE_FIRST), n)
    first = pc.if_else(pa.array(c.female), pick(FEMALE, fi), pick(MALE, fi))
    first_ascii = pc.if_else(pa.array(c.female), pick(FEMALE_ASCII, fi), pick(MALE_ASCII, fi))
    last = pc.if_else(pa.array(c.female), pick(SUR_F, c.surname), pick(SUR_M, c.surname))
    ind_weights = np.asarray(names.INDUSTRY_WEIGHTS) / sum(names.INDUSTRY_WEIGHTS)
    industry = rng.choice(len(names.INDUSTRIES), n, p=ind_weights)
    company, firm_slug = _company_names(rng, c, industry)
    national = pc.if_else(pa.array(ind), _birth_numbers(c, birth, chunk), _company_ids(c.number))

    domain = pick(strings(names.EMAIL_DOMAINS), rng.integers(0, len(names.EMAIL_DOMAINS), n))
    suffix = pc.if_else(
        pa.array(rng.random(n) < 0.55), digits(rng.integers(1, 100, n), 2), pa.scalar("")
    )
    sur_ascii = pc.if_else(
        pa.array(c.female), pick(SUR_ASCII_F, c.surname), pick(SUR_ASCII_M, c.surname)
    )
    person_mail = join(first_ascii, ".", sur_ascii, suffix, "@", domain)
    firm_mail = join("info@", pc.utf8_slice_codeunits(firm_slug, 0, 40), ".example")
    has_mail = rng.random(n) < np.where(ind, np.where(c.age < 70, 0.9, 0.55), 0.97)
    email = _mask(pc.if_else(pa.array(ind), person_mail, firm_mail), has_mail)
    area = np.where(
        ind,
        np.where(rng.random(n) < 0.3, rng.integers(601, 609, n), rng.integers(702, 780, n)),
        rng.integers(220, 600, n),
    )
    phone = join(
        "+420 ",
        digits(area, 3),
        " ",
        digits(rng.integers(0, 1000, n), 3),
        " ",
        digits(rng.integers(0, 1000, n), 3),
    )
    phone = _mask(phone, rng.random(n) < 0.95)
    orient = c.house % 100
    number = digits(c.house // 100, 1)
    house = pc.if_else(pa.array(orient > 0), join(number, "/", digits(orient, 1)), number)
    address = join(pick(strings(names.STREETS), c.street), " ", house)

    occ_score = (np.log(np.maximum(c.income, 1.0)) - np.log(200e3)) / np.log(20.0)
    occ = np.clip(np.floor(occ_score * 25 + 3 * rng.standard_normal(n)), 0, 24).astype(np.int64)
    occupation = pc.if_else(
        pa.array(c.stage == cat.STUDENT),
        pa.scalar("student"),
        pc.if_else(
            pa.array(c.stage == cat.RETIRED),
            pa.scalar("retired"),
            pick(strings(names.OCCUPATIONS), occ),
        ),
    )
    occupation = _mask(occupation, ind & (rng.random(n) < 0.9))

    kyc, due = _kyc(rng, c)
    marketing = rng.random(n) < 0.6
    profiling = marketing | (rng.random(n) < 0.375)
    status = np.select([c.churn_hist, c.deceased, c.dormant], [2, 3, 1], default=0)
    return {
        "customer_no": customer_no(c.number),
        "kind": pick(strings(spec.CUSTOMER_KINDS), c.corporate.astype(np.int64)),
        "national_id": national,
        "first_name": _mask(first, ind),
        "last_name": _mask(last, ind),
        "company_name": _mask(company, c.corporate),
        "birth_date": pa.array(birth + cat.EPOCH_OFFSET, pa.int32()).cast(pa.date32()),
        "sex": pick(strings(("M", "F")), c.female.astype(np.int64), ind),
        "email": email,
        "phone": phone,
        "address": address,
        "postal_code": pick(strings([x[2] for x in cat.CITIES]), c.city),
        "city": pick(strings([x[1] for x in cat.CITIES]), c.city),
        "region": pick(strings(cat.REGION_NAMES), c.region),
        "country": pa.array(np.full(n, "CZ", dtype=object), pa.string()),
        "occupation": occupation,
        "industry": pick(strings(names.INDUSTRIES), industry, c.corporate),
        "annual_income": pa.array(c.income),
        "risk_rating": pick(strings(spec.RISK_RATINGS), c.risk),
        "kyc_status": pick(strings(spec.KYC_STATUSES), kyc),
        "kyc_review_due": pa.array(due + cat.EPOCH_OFFSET, pa.int32()).cast(pa.date32()),
        "onboarded_on": pa.array(c.onboard + cat.EPOCH_OFFSET, pa.int32()).cast(pa.date32()),
        "status": pick(strings(spec.CUSTOMER_STATUSES), status),
        "branch_id": pick(org_branch_ids, c.branch),
        "manager_id": pick(staff_ids, c.manager, c.manager >= 0),
        "marketing_consent": pa.array(marketing),
        "profiling_consent": pa.array(profiling),
    }


def _kyc(rng: np.random.Generator, c: Customers) -> tuple[I64, I64]:
    """KYC status (index into spec.KYC_STATUSES) and the next review date (window day)."""
    n = c.n
    last = cat.LAST_DAY
    r = rng.random(n)
    new = c.onboard > last - 30
    kyc = np.select([new & (r < 0.6), r < 0.06, r < 0.09], [0, 2, 3], default=1).astype(np.int64)
    horizon = np.where(c.risk == 2, 365, 1095)
    due = np.select(
        [kyc == 1, kyc == 2, kyc == 3],
        [
            uniform_days(rng, np.full(n, last + 30), last + horizon),
            uniform_days(rng, np.full(n, last - 60), np.full(n, last + 30)),
            uniform_days(rng, np.full(n, last - 500), np.full(n, last - 31)),
        ],
        default=uniform_days(rng, np.full(n, last + 1), np.full(n, last + 30)),
    )
    return kyc, np.where(due >= NEVER, last, due).astype(np.int64)
