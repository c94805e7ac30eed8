"""The scoring run's reads: every column of every table, nulls, dates and booleans included,
must come out of each database exactly as the ORM reads it (money as the nearest double)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.analytics import repository
from bankcrm.customers.models import Customer
from bankcrm.ingest.service import run_import
from bankcrm.interactions.models import Interaction
from bankcrm.lake.store import LakeStore
from bankcrm.products.models import Holding, Product
from bankcrm.service_desk.models import Case
from bankcrm.synth import generate


def _money(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


@pytest.fixture
def bank(sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path) -> Session:
    generate(customers=150, seed=11, out=tmp_path / "extract")
    report = run_import(sessions, lake, tmp_path / "extract")
    assert not report.problems
    return sessions()


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(row.values()) for row in table.to_pylist()), key=lambda r: [str(v) for v in r]
    )


def _check(
    bank: Session, read: Callable[[Session], pa.Table], schema: pa.Schema, want: list[Any]
) -> None:
    table = read(bank)
    assert table.schema.equals(schema)
    assert table.num_rows == len(want) > 0
    assert _rows(table) == sorted(want, key=lambda r: [str(v) for v in r])


def test_accounts_read_as_the_orm_reads_them(bank: Session) -> None:
    postgres = bank.get_bind().dialect.name == "postgresql"
    want = []
    for h, p in bank.execute(select(Holding, Product).join(Product)):
        if postgres:  # NUMERIC arithmetic, then the nearest double
            fees = _money((p.monthly_fee or 0) * 12 + (p.annual_fee or 0))
        else:  # SQLite computes with doubles
            fees = float(p.monthly_fee or 0) * 12 + float(p.annual_fee or 0)
        want.append(
            (
                h.account_no,
                h.customer_id,
                h.product_id,
                p.category,
                h.opened_on,
                h.closed_on,
                h.status,
                h.loan_status,
                _money(h.balance),
                _money(h.credit_limit),
                _money(h.principal),
                _money(h.monthly_payment),
                _money(h.interest_rate if h.interest_rate is not None else p.interest_rate),
                fees,
            )
        )
    assert any(r[5] is None for r in want) and any(r[5] is not None for r in want)
    assert any(r[10] is None for r in want)
    _check(bank, repository.accounts, repository.ACCOUNTS_SCHEMA, want)


def test_customers_read_as_the_orm_reads_them(bank: Session) -> None:
    want = [
        (
            c.id,
            c.kind,
            c.birth_date,
            c.region,
            _money(c.annual_income),
            c.risk_rating,
            c.kyc_status,
            c.kyc_review_due,
            c.onboarded_on,
            c.status,
            c.branch_id,
            c.manager_id,
            c.marketing_consent,
            c.profiling_consent,
        )
        for c in bank.scalars(select(Customer))
    ]
    assert {r[12] for r in want} == {True, False}
    _check(bank, repository.customers, repository.CUSTOMERS_SCHEMA, want)


def test_interactions_and_cases_read_as_the_orm_reads_them(bank: Session) -> None:
    interactions = [
        (i.customer_id, i.occurred_at.date(), i.channel, i.direction, i.outcome)
        for i in bank.scalars(select(Interaction))
    ]
    _check(bank, repository.interactions, repository.INTERACTIONS_SCHEMA, interactions)
    open_case = bank.scalars(select(Case).limit(1)).one()
    open_case.resolved_at = None
    open_case.satisfaction = None
    bank.flush()
    cases = [
        (
            c.customer_id,
            c.kind,
            c.topic,
            c.opened_at.date(),
            _day(c.resolved_at),
            _money(c.satisfaction),
        )
        for c in bank.scalars(select(Case))
    ]
    assert any(r[4] is None for r in cases) and any(r[5] is None for r in cases)
    _check(bank, repository.cases, repository.CASES_SCHEMA, cases)
    products = [
        (p.id, p.product_code, p.name, p.category, p.active) for p in bank.scalars(select(Product))
    ]
    _check(bank, repository.products, repository.PRODUCTS_SCHEMA, products)
