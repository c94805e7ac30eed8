"""User administration: the list of users, a user's role and branch, deactivating and
reactivating, and each user's page language. Administrators only (the language: the user
themself); every change is audited; the bank is never left without an active admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bankcrm.kit.errors import Forbidden, InvalidInput, NotFound
from bankcrm.security import audit, repository
from bankcrm.security.models import User
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.staff import repository as staff_repository

# The page languages a user may choose (the web layer's catalogues: en, zh_Hans).
LANGUAGES = ("en", "zh_Hans")


class RuleBroken(InvalidInput):
    """An InvalidInput that also names the rule it breaks, so a page can say it in the
    reader's language; the API sees the same message and field as before."""

    def __init__(self, message: str, field: str, rule: str) -> None:
        super().__init__(message, field)
        self.rule = rule


@dataclass(frozen=True)
class UserLine:
    """One user as the administration page lists it (never the password hash)."""

    id: int
    username: str
    role: str
    branch_code: str | None
    branch_name: str | None
    staff_code: str | None
    active: bool
    last_login: datetime | None


def require_admin(principal: Principal) -> None:
    """User administration is open to administrators only."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("user administration is open to administrators only")


def list_users(
    session: Session, principal: Principal, offset: int, limit: int
) -> tuple[list[UserLine], int]:
    """Users by username, with branch, staff code and last successful log-in."""
    require_admin(principal)
    rows, total = repository.users(session, offset, limit)
    lines = [
        UserLine(u.id, u.username, u.role, code, name, staff, u.active, last)
        for u, code, name, staff, last in rows
    ]
    return lines, total


def get_user(session: Session, principal: Principal, user_id: int) -> UserLine:
    require_admin(principal)
    row = repository.user_line(session, user_id)
    if row is None:
        raise NotFound(f"user {user_id} not found")
    u, code, name, staff, last = row
    return UserLine(u.id, u.username, u.role, code, name, staff, u.active, last)


def branch_choices(session: Session, principal: Principal) -> list[tuple[str, str]]:
    """Every branch (code, name): the branches a user may be placed in."""
    require_admin(principal)
    return repository.branches(session)


def _user(session: Session, user_id: int) -> User:
    user = repository.user_by_id(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def _is_last_admin(session: Session, user: User) -> bool:
    return user.role == Role.ADMIN.value and user.active and repository.active_admins(session) <= 1


def change_user(
    session: Session, principal: Principal, user_id: int, *, role: str, branch_code: str | None
) -> User:
    """A new role and branch for a user. A staff-linked user stays in their staff member's
    branch; account managers keep needing a staff record, branch managers a branch."""
    require_admin(principal)
    user = _user(session, user_id)
    try:
        role_ = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise RuleBroken(f"role '{role}' is not one of: {roles}", "role", "role_unknown") from None
    branch_id = None
    if branch_code:
        branch = staff_repository.branch_by_code(session, branch_code)
        if branch is None:
            raise RuleBroken(
                f"no branch with branch id '{branch_code}'", "branch", "branch_unknown"
            )
        branch_id = branch.id
    if user.staff_id is not None:
        staff = staff_repository.staff_member(session, user.staff_id)
        staff_branch = staff.branch_id if staff is not None else None
        if branch_id is not None and branch_id != staff_branch:
            raise RuleBroken(
                "the user's staff member works at another branch", "branch", "branch_mismatch"
            )
        branch_id = staff_branch
    if role_ is Role.ACCOUNT_MANAGER and user.staff_id is None:
        raise RuleBroken("an account manager needs a staff record", "role", "staff_needed")
    if role_ is Role.BRANCH_MANAGER and branch_id is None:
        raise RuleBroken("a branch manager needs a branch", "branch", "branch_needed")
    if role_ is not Role.ADMIN and user.role == Role.ADMIN.value:
        if user.id == principal.user_id:
            raise RuleBroken("an administrator cannot remove their own role", "role", "self_role")
        if _is_last_admin(session, user):
            raise RuleBroken("the last active administrator keeps the role", "role", "last_admin")
    before = {"role": user.role, "branch": user.branch_id}
    after = {"role": role_.value, "branch": branch_id}
    changed = [name for name in before if before[name] != after[name]]
    if changed:
        user.role, user.branch_id = role_.value, branch_id
        session.flush()
        audit.record(session, principal, "update", "user", user.id, fields=changed)
    return user


def set_active(session: Session, principal: Principal, user_id: int, active: bool) -> User:
    """Deactivate (their sessions and tokens stop working at once) or reactivate a user."""
    require_admin(principal)
    user = _user(session, user_id)
    if user.active == active:
        return user
    if not active:
        if user.id == principal.user_id:
            raise RuleBroken(
                "an administrator cannot deactivate themself", "active", "self_deactivate"
            )
        if _is_last_admin(session, user):
            raise RuleBroken(
                "the last active administrator cannot be deactivated", "active", "last_admin"
            )
    user.active = active
    session.flush()
    audit.record(
        session, principal, "reactivate" if active else "deactivate", "user", user.id,
        fields=("active",),
    )  # fmt: skip
    return user


def set_language(session: Session, principal: Principal, language: str) -> None:
    """The signed-in user's own page language, kept for their next log-in anywhere
    (audited as a change of their settings)."""
    if principal.user_id is None:
        raise Forbidden("only a user has a page language")
    if language not in LANGUAGES:
        raise RuleBroken(f"language: one of {', '.join(LANGUAGES)}", "language", "language")
    user = _user(session, principal.user_id)
    if user.language != language:
        user.language = language
        session.flush()
        audit.record(session, principal, "update", "user_settings", user.id, fields=("language",))
