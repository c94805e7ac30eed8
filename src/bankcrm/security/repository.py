"""All queries of the security feature."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bankcrm.security.models import AccessToken, AuditEvent, BreakGlassGrant, LoginAttempt, User
from bankcrm.staff.models import Branch, Staff

# A user with their branch (code, name), staff code and last successful log-in.
UserRow = tuple[User, str | None, str | None, str | None, datetime | None]


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def _user_lines() -> Select[User, str | None, str | None, str | None, datetime | None]:
    logins = (
        select(LoginAttempt.username, func.max(LoginAttempt.at).label("last_login"))
        .where(LoginAttempt.succeeded.is_(True))
        .group_by(LoginAttempt.username)
        .subquery()
    )
    return (
        select(User, Branch.branch_code, Branch.name, Staff.staff_code, logins.c.last_login)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .outerjoin(Staff, Staff.id == User.staff_id)
        .outerjoin(logins, logins.c.username == User.username)
    )


def users(session: Session, offset: int, limit: int) -> tuple[list[UserRow], int]:
    """Users by username with their branch, staff code and last successful log-in."""
    total = session.scalar(select(func.count()).select_from(User)) or 0
    rows = session.execute(_user_lines().order_by(User.username).offset(offset).limit(limit))
    return [(u, code, name, staff, last) for u, code, name, staff, last in rows], total


def user_line(session: Session, user_id: int) -> UserRow | None:
    row = session.execute(_user_lines().where(User.id == user_id)).one_or_none()
    if row is None:
        return None
    user, code, name, staff, last = row
    return user, code, name, staff, last


def active_admins(session: Session) -> int:
    return (
        session.scalar(select(func.count()).where(User.role == "admin", User.active.is_(True))) or 0
    )


def branches(session: Session) -> list[tuple[str, str]]:
    """Every branch as (branch code, name), for the user form's choice."""
    rows = session.execute(select(Branch.branch_code, Branch.name).order_by(Branch.name)).all()
    return [(code, name) for code, name in rows]


def add(session: Session, record: object) -> None:
    session.add(record)
    session.flush()


def token_by_hash(session: Session, digest: str) -> tuple[AccessToken, User | None] | None:
    row = session.execute(
        select(AccessToken, User)
        .outerjoin(User, User.id == AccessToken.user_id)
        .where(AccessToken.token_hash == digest)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def failures_since(session: Session, username: str, since: datetime) -> tuple[int, datetime | None]:
    """Failed logins for `username` since `since`: how many, and the first of them."""
    count, first = session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.username == username,
            LoginAttempt.at >= since,
            LoginAttempt.succeeded.is_(False),
        )
    ).one()
    return int(count), first


def last_success(session: Session, username: str) -> datetime | None:
    return session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )


def active_grant(
    session: Session, user_id: int, customer_id: int, now: datetime
) -> BreakGlassGrant | None:
    return session.scalars(
        select(BreakGlassGrant)
        .where(
            BreakGlassGrant.user_id == user_id,
            BreakGlassGrant.customer_id == customer_id,
            BreakGlassGrant.expires_at > now,
        )
        .order_by(BreakGlassGrant.expires_at.desc())
        .limit(1)
    ).first()


def granted_customers(session: Session, user_id: int, now: datetime) -> set[int]:
    return set(
        session.scalars(
            select(BreakGlassGrant.customer_id).where(
                BreakGlassGrant.user_id == user_id, BreakGlassGrant.expires_at > now
            )
        )
    )


def grants(
    session: Session, branch_id: int | None, offset: int, limit: int
) -> tuple[list[tuple[BreakGlassGrant, str]], int]:
    """Break-glass grants reported to a branch (all branches when None), newest first."""
    query = select(BreakGlassGrant, User.username).join(User, User.id == BreakGlassGrant.user_id)
    if branch_id is not None:
        query = query.where(BreakGlassGrant.branch_id == branch_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(BreakGlassGrant.granted_at.desc(), BreakGlassGrant.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [(grant, name) for grant, name in rows], total


def grant_by_id(session: Session, grant_id: int) -> BreakGlassGrant | None:
    return session.get(BreakGlassGrant, grant_id)


def add_audit(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    record_type: str,
    record_id: str | None,
    record_ids: Sequence[int | str] | None,
    fields: Sequence[str],
    ip: str | None,
    reason: str | None,
    request_id: str | None,
) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            role=role,
            action=action,
            record_type=record_type,
            record_id=record_id,
            record_ids=json.dumps(list(record_ids)) if record_ids is not None else None,
            fields=json.dumps(sorted(fields)),
            ip=ip,
            reason=reason,
            request_id=request_id,
        )
    )


def audit_events(
    session: Session,
    *,
    actor: str | None,
    record_type: str | None,
    record_id: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    offset: int,
    limit: int,
) -> tuple[list[AuditEvent], int]:
    query = select(AuditEvent)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if record_type is not None:
        query = query.where(AuditEvent.record_type == record_type)
    if record_id is not None:
        query = query.where(AuditEvent.record_id == record_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total
