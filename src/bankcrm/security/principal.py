"""Who is calling: the user or channel system behind a request, passed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field

from bankcrm.security.roles import POLICIES, CustomerScope, Role, RolePolicy, View

NO_ACCESS = RolePolicy(CustomerScope.NONE, View.PSEUDONYMISED, False, False, False)


@dataclass(frozen=True)
class Principal:
    actor: str  # the username, or service:<client name> for a channel system
    role: Role | None  # None for a channel system: it has scopes, not a role
    user_id: int | None = None
    branch_id: int | None = None
    staff_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    ip: str | None = None
    request_id: str | None = None
    language: str | None = None  # the user's chosen page language, if any

    @property
    def policy(self) -> RolePolicy:
        return POLICIES[self.role] if self.role is not None else NO_ACCESS

    @property
    def role_name(self) -> str:
        return self.role.value if self.role is not None else "service"


def system_principal(job: str) -> Principal:
    """The actor of a command-line job (import, score, users create), for the audit log."""
    return Principal(actor=f"system:{job}", role=Role.ADMIN)
