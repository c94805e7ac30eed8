"""Queries of branches and staff."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.staff.models import Branch, Staff


def staff_by_code(session: Session, staff_code: str) -> Staff | None:
    return session.scalars(select(Staff).where(Staff.staff_code == staff_code)).one_or_none()


def branch_by_code(session: Session, branch_code: str) -> Branch | None:
    return session.scalars(select(Branch).where(Branch.branch_code == branch_code)).one_or_none()


def staff_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Staff.id, Staff.first_name, Staff.last_name).where(Staff.id.in_(ids))
    ).all()
    return {id_: f"{first} {last}" for id_, first, last in rows}


def branch_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Branch.id, Branch.name).where(Branch.id.in_(ids))).all()
    return dict(rows)
