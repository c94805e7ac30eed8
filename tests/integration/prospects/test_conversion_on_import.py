"""Conversion on import: the extract's customers turn matching open prospects into
customers (by national id or registration number) or flag them for review (by name and
birth date, phone or e-mail), inside the batch, set-based, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.customers.models import Customer
from bankcrm.ingest.models import ImportBatch
from bankcrm.ingest.service import run_import
from bankcrm.lake.store import LakeStore
from bankcrm.prospects import conversion
from bankcrm.prospects.models import Prospect, ProspectActivity
from bankcrm.staff.models import Branch
from tests import factories as f
from tests import records

BORN = date(1980, 1, 1)  # the birth date of every customer of tests.factories


def _prospects(sessions: sessionmaker[Session]) -> dict[str, int]:
    """A branch of its own and five prospects, committed before the import runs."""
    with sessions() as session:
        branch = records.branch(session)
        made = {
            # same national id and kind as customer 1 of the extract: converts
            "by_id": records.prospect(session, branch, national_id="800101/0001"),
            # same id but a company: kinds differ, nothing happens
            "other_kind": records.prospect(
                session, branch, kind="corporate", company_name="Svoboda a.s.",
                national_id="800101/0002",
            ),
            # no id, same name (other case and spaces) and birth date as customer 3: flagged
            "by_name": records.prospect(
                session, branch, national_id=None, first_name=" petr ", last_name="SVOBODA3",
                birth_date=BORN, phone=None, email=None,
            ),
            # same name as customer 3 but nothing else in common: left alone
            "name_only": records.prospect(
                session, branch, national_id=None, first_name="Petr", last_name="Svoboda3",
                phone="+420111", email="other@mail.example",
            ),
            # matches customer 2 by id but is disqualified: stays as it is
            "closed": records.prospect(
                session, branch, national_id="800101/0002", status="disqualified",
                disqualified_reason="not interested",
            ),
        }  # fmt: skip
        records.prospect_activity(session, made["by_id"])
        session.commit()
        return {name: p.id for name, p in made.items()}


def test_import_converts_by_id_and_flags_by_name(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    ids = _prospects(sessions)
    report = run_import(sessions, lake, f.small_bank(customers=3).write(tmp_path / "day1"))
    assert (report.prospects_converted, report.prospects_flagged) == (1, 1)
    with sessions() as session:
        by_no = {c.customer_no: c.id for c in session.scalars(select(Customer))}
        got = {name: session.get(Prospect, pid) for name, pid in ids.items()}
        converted = got["by_id"]
        assert converted is not None and converted.status == "converted"
        assert converted.converted_customer_id == by_no["C000001"]
        assert converted.converted_by == "import" and converted.converted_at is not None
        assert converted.version == 2
        kinds = session.scalars(
            select(ProspectActivity.kind)
            .where(ProspectActivity.prospect_id == converted.id)
            .order_by(ProspectActivity.id)
        ).all()
        assert kinds == ["contact", "conversion"]
        summary = session.scalar(
            select(ProspectActivity.summary).where(ProspectActivity.kind == "conversion")
        )
        assert summary == "became customer C000001"
        flagged = got["by_name"]
        assert flagged is not None and flagged.status == "new"
        assert flagged.review_customer_id == by_no["C000003"] and flagged.review_reason
        for name in ("other_kind", "name_only", "closed"):
            left = got[name]
            assert left is not None and left.review_customer_id is None, name
            assert left.converted_customer_id is None, name
        batch = session.get(ImportBatch, report.batch_id)
        assert batch is not None
        assert batch.summary["prospects"] == {"converted": 1, "flagged_for_review": 1}


def test_a_later_batch_converts_new_matches_and_respects_not_same(
    sessions: sessionmaker[Session], lake: LakeStore, tmp_path: Path
) -> None:
    run_import(sessions, lake, f.small_bank(customers=2).write(tmp_path / "day1"))
    with sessions() as session:
        branch = session.scalars(select(Branch)).first()
        assert branch is not None
        later = records.prospect(session, branch, national_id="800101/0004").id
        refused = session.scalar(select(Customer.id).where(Customer.customer_no == "C000001"))
        decided = records.prospect(
            session, branch, national_id=None, first_name="Petr", last_name="Svoboda1",
            birth_date=BORN, not_same_customer_id=refused,
        ).id  # fmt: skip
        session.commit()
    second = f.small_bank(customers=2)
    second.add("customers", f.customer(4))
    report = run_import(sessions, lake, second.write(tmp_path / "day2"))
    assert (report.prospects_converted, report.prospects_flagged) == (1, 0)
    with sessions() as session:
        assert session.get(Prospect, later).status == "converted"  # type: ignore[union-attr]
        assert session.get(Prospect, decided).review_customer_id is None  # type: ignore[union-attr]


def test_conversion_is_a_fixed_number_of_statements(
    session: Session, sessions: sessionmaker[Session]
) -> None:
    """Set-based: the same few statements for 1 prospect or 60, never one per row."""
    branch = records.branch(session)
    for n in range(60):
        records.customer(session, branch, national_id=f"77{n:08d}")
        records.prospect(session, branch, national_id=f"77{n:08d}")
        records.prospect(session, branch, national_id=None, last_name=f"Svoboda-x{n}")
    session.flush()
    statements: list[str] = []

    def count(*_args: object) -> None:
        statements.append("statement")

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        result = conversion.convert_on_import(session)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert result.converted == 60
    assert len(statements) == 3
