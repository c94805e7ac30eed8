"""Detection on a small generated bank with planted duplicates: exactly the planted pairs,
idempotent re-runs that keep decisions, and detection for one record."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.customers.models import Customer
from bankcrm.duplicates import detect
from bankcrm.duplicates.models import DuplicateCandidate
from bankcrm.ingest.service import run_import
from bankcrm.lake.store import LakeStore
from bankcrm.synth import generate

FILES = ("branches.csv", "staff.csv", "products.csv", "customers.csv")


@pytest.fixture
def planted(
    tmp_path: Path, sessions: sessionmaker[Session], lake: LakeStore
) -> set[frozenset[str]]:
    out = tmp_path / "bank" / "extract"
    generate(600, seed=11, out=out, workers=0, duplicates=0.04)
    subset = tmp_path / "customers-only"
    subset.mkdir()
    for name in FILES:
        os.link(out / name, subset / name)
    run_import(sessions, lake, subset)
    truth = pq.read_table(out.with_name("extract-truth") / "duplicates.parquet").to_pylist()
    return {frozenset((t["customer_no"], t["duplicate_of"])) for t in truth}


def _found(session: Session) -> dict[frozenset[str], DuplicateCandidate]:
    numbers = dict(session.execute(select(Customer.id, Customer.customer_no)).all())
    return {
        frozenset((numbers[c.customer_id], numbers[c.other_customer_id or 0])): c
        for c in session.scalars(select(DuplicateCandidate))
    }


def test_detection_finds_exactly_the_planted_pairs_and_reruns_keep_decisions(
    session: Session, planted: set[frozenset[str]]
) -> None:
    report = detect.detect_all(session)
    session.flush()
    found = _found(session)
    assert len(planted) >= 15
    assert set(found) == planted
    assert report.pairs_compared < report.records * 5  # blocked: nowhere near all pairs
    assert all(c.matched and c.score >= 10 for c in found.values())

    some = next(iter(found.values()))
    some.status, some.dismissed_reason = "dismissed", "checked: two people"
    session.flush()
    again = detect.detect_all(session)
    session.flush()
    assert (again.created, again.kept) == (0, 1)
    assert len(_found(session)) == len(planted)
    session.refresh(some)
    assert some.status == "dismissed"


def test_detection_for_one_record_finds_its_twin(
    session: Session, planted: set[frozenset[str]]
) -> None:
    pair = sorted(sorted(p) for p in planted)[0]
    first = session.scalars(select(Customer).where(Customer.customer_no == pair[0])).one()
    row = detect.repository.customer_row(session, first.id)
    report = detect.detect_one(session, "c", row)
    session.flush()
    assert report.records < 100  # the record and its neighbours by id and surname
    ids = {first.id, *(f.other_customer_id for f in report.found)}
    twin = session.scalars(select(Customer).where(Customer.customer_no == pair[1])).one()
    assert twin.id in ids
    assert frozenset(pair) in _found(session)
