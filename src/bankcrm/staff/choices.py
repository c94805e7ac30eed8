"""Who a proposal form may name, for the handover pages: the managers who may give customers
(an account manager: themselves; a branch manager: the branch's active account managers)
and those who may receive them (the branch's active account managers). The rules stay in
`portfolio.propose`, which checks every proposal again; this only fills the form's lists."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.staff import repository


@dataclass(frozen=True)
class Manager:
    id: int
    name: str


@dataclass(frozen=True)
class HandoverChoices:
    givers: list[Manager]
    receivers: list[Manager]
    fixed_giver: Manager | None  # an account manager gives only their own customers

    def giver_ids(self) -> set[int]:
        return {m.id for m in self.givers}

    def receiver_ids(self) -> set[int]:
        return {m.id for m in self.receivers}

    def options(self, who: str) -> list[tuple[int, str]]:
        """(id, name) of the givers or the receivers, for a form's select."""
        return [(m.id, m.name) for m in (self.givers if who == "givers" else self.receivers)]


def _managers(session: Session, branch_id: int) -> list[Manager]:
    return [
        Manager(s.id, f"{s.first_name} {s.last_name}")
        for s in repository.account_managers(session, branch_id)
        if s.active
    ]


def handover_choices(session: Session, principal: Principal) -> HandoverChoices | None:
    """The form's choices, or None for a role that may not propose handovers."""
    if principal.role is Role.ACCOUNT_MANAGER and principal.staff_id is not None:
        own = repository.staff_member(session, principal.staff_id)
        if own is None:
            return None
        me = Manager(own.id, f"{own.first_name} {own.last_name}")
        others = [m for m in _managers(session, own.branch_id) if m.id != own.id]
        return HandoverChoices([me], others, me)
    if principal.role is Role.BRANCH_MANAGER and principal.branch_id is not None:
        managers = _managers(session, principal.branch_id)
        return HandoverChoices(managers, managers, None)
    return None


def staff_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Names of the managers a transfer names (staff, not customers: not audited)."""
    return repository.staff_names(session, ids)
