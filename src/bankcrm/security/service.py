"""Users, logins, tokens and sessions: the rules. Channel systems get narrow service tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Forbidden, InvalidInput, LoginFailed, Throttled, Unauthenticated
from bankcrm.security import audit, repository
from bankcrm.security.models import AccessToken, AuditEvent, LoginAttempt, User
from bankcrm.security.principal import Principal
from bankcrm.security.roles import SERVICE_SCOPES, Role
from bankcrm.security.secrets import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_hash,
    verify_password,
)
from bankcrm.security.users import RuleBroken
from bankcrm.staff import repository as staff_repository

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
BAD_LOGIN = "wrong username or password"


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once; only its hash is kept
    expires_at: datetime
    csrf_token: str | None = None  # browser sessions: sent back in X-CSRF-Token


def create_user(
    session: Session,
    actor: Principal,
    *,
    username: str,
    role: str,
    password: str,
    staff_code: str | None = None,
    branch_code: str | None = None,
) -> User:
    """A new user (administrators only); account managers must be linked to their staff
    record (their portfolio), and a staff-linked user belongs to the staff member's branch."""
    if actor.role is not Role.ADMIN:
        raise Forbidden("only an administrator creates users")
    if not USERNAME.match(username):
        raise RuleBroken(
            "username: 2-64 characters, lower-case letters, digits, '.', '_' or '-'",
            "username",
            "username_format",
        )
    try:
        role_ = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise RuleBroken(f"role '{role}' is not one of: {roles}", "role", "role_unknown") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RuleBroken(
            f"password: at least {MIN_PASSWORD_LENGTH} characters", "password", "password_short"
        )
    if repository.user_by_name(session, username) is not None:
        raise RuleBroken(f"username '{username}' is taken", "username", "username_taken")
    staff_id = branch_id = None
    if staff_code is not None:
        staff = staff_repository.staff_by_code(session, staff_code)
        if staff is None:
            raise RuleBroken(
                f"no staff member with staff id '{staff_code}'", "staff_id", "staff_unknown"
            )
        staff_id, branch_id = staff.id, staff.branch_id
    if branch_code is not None:
        branch = staff_repository.branch_by_code(session, branch_code)
        if branch is None:
            raise RuleBroken(
                f"no branch with branch id '{branch_code}'", "branch", "branch_unknown"
            )
        if branch_id is not None and branch.id != branch_id:
            raise RuleBroken(
                f"staff member '{staff_code}' works at another branch than '{branch_code}'",
                "branch",
                "branch_mismatch",
            )
        branch_id = branch.id
    if role_ is Role.ACCOUNT_MANAGER and staff_id is None:
        raise RuleBroken(
            "an account manager needs --staff-id (their portfolio)", "staff_id", "staff_needed"
        )
    if role_ is Role.BRANCH_MANAGER and branch_id is None:
        raise RuleBroken("a branch manager needs --branch or --staff-id", "branch", "branch_needed")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role_.value,
        branch_id=branch_id,
        staff_id=staff_id,
    )
    repository.add(session, user)
    audit.record(session, actor, "create", "user", user.id, fields=("username", "role"))
    return user


def login(
    session: Session, settings: Settings, username: str, password: str, ip: str | None
) -> User:
    """The user behind a username and password; throttled after repeated failures (per
    username, so an attacker cannot lock a user out from a thousand addresses quicker)."""
    now = utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    failures, first = repository.failures_since(session, username, now - window)
    if failures >= settings.login_max_failures and first is not None:
        # A success after the failures resets the count.
        success = repository.last_success(session, username)
        if success is None or success < first:
            retry = int((first + window - now).total_seconds()) + 1
            raise Throttled(f"too many failed logins for '{username}': try again later", retry)
    user = repository.user_by_name(session, username)
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.active
    repository.add(session, LoginAttempt(username=username[:64], ip=(ip or "")[:64], succeeded=ok))
    if not ok or user is None:
        raise LoginFailed(BAD_LOGIN)
    return user


def issue(session: Session, user: User, kind: str, minutes: int) -> IssuedToken:
    """A bearer token or a browser session (with its CSRF token) for a logged-in user."""
    token = new_token()
    csrf = new_token() if kind == "session" else None
    expires = utcnow() + timedelta(minutes=minutes)
    repository.add(
        session,
        AccessToken(
            token_hash=token_hash(token),
            kind=kind,
            user_id=user.id,
            csrf_hash=token_hash(csrf) if csrf else None,
            expires_at=expires,
        ),
    )
    actor = principal_for(user)
    audit.record(session, actor, "login", "user", user.id, fields=(kind,))
    return IssuedToken(token, expires, csrf)


def create_service_token(
    session: Session, actor: Principal, client_name: str, scopes: list[str], days: int
) -> IssuedToken:
    """A token for a channel system (online and mobile banking, call centre)."""
    unknown = sorted(set(scopes) - SERVICE_SCOPES)
    if unknown or not scopes:
        raise InvalidInput(
            f"scopes {unknown or scopes} not allowed; choose from {sorted(SERVICE_SCOPES)}",
            "scope",
        )
    if not USERNAME.match(client_name):
        raise InvalidInput("client name: lower-case letters, digits, '.', '_' or '-'", "name")
    if not 1 <= days <= 730:
        raise InvalidInput("days: between 1 and 730", "days")
    token = new_token()
    expires = utcnow() + timedelta(days=days)
    record = AccessToken(
        token_hash=token_hash(token),
        kind="service",
        client_name=client_name,
        scopes=" ".join(sorted(set(scopes))),
        expires_at=expires,
    )
    repository.add(session, record)
    audit.record(session, actor, "create", "service_token", record.id, fields=tuple(scopes))
    return IssuedToken(token, expires)


def principal_for(user: User, ip: str | None = None, request_id: str | None = None) -> Principal:
    return Principal(
        actor=user.username,
        role=Role(user.role),
        user_id=user.id,
        branch_id=user.branch_id,
        staff_id=user.staff_id,
        ip=ip,
        request_id=request_id,
        language=user.language,
    )


def authenticate(
    session: Session,
    token: str,
    kinds: tuple[str, ...],
    ip: str | None = None,
    request_id: str | None = None,
) -> tuple[Principal, AccessToken]:
    """The principal behind a token of one of `kinds`; Unauthenticated otherwise."""
    found = repository.token_by_hash(session, token_hash(token))
    if found is None:
        raise Unauthenticated("invalid token")
    record, user = found
    if record.kind not in kinds or record.revoked_at is not None or record.expires_at <= utcnow():
        raise Unauthenticated("the token has expired or was revoked: log in again")
    if record.kind == "service":
        principal = Principal(
            actor=f"service:{record.client_name}",
            role=None,
            scopes=frozenset(record.scopes.split()),
            ip=ip,
            request_id=request_id,
        )
        return principal, record
    if user is None or not user.active:
        raise Unauthenticated("the user is no longer active")
    return principal_for(user, ip, request_id), record


def require_scope(principal: Principal, scope: str) -> None:
    if scope not in principal.scopes:
        raise Forbidden(f"this token lacks the scope '{scope}'")


def require_auditor(principal: Principal) -> None:
    """Only auditors read the audit log (pages ask before they validate their filters)."""
    if principal.role is not Role.AUDITOR:
        raise Forbidden("the audit log is open to auditors only")


def audit_log(
    session: Session,
    principal: Principal,
    *,
    actor: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AuditEvent], int]:
    """The audit log, for auditors only; their reading of it is itself audited."""
    require_auditor(principal)
    events, total = repository.audit_events(
        session,
        actor=actor,
        record_type=record_type,
        record_id=record_id,
        action=action,
        since=since,
        until=until,
        offset=offset,
        limit=limit,
    )
    audit.record(session, principal, "list", "audit_event", record_ids=[e.id for e in events])
    return events, total


def revoke_by_hash(session: Session, principal: Principal, digest: str) -> None:
    """Revoke the caller's own token or session (log out)."""
    found = repository.token_by_hash(session, digest)
    if found is None:
        raise Unauthenticated("invalid token")
    record, _user = found
    record.revoked_at = utcnow()
    session.flush()
    audit.record(session, principal, "logout", "access_token", record.id)
