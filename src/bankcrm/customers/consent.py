"""Consent per purpose (marketing, profiling, sharing) with its history: who changed it,
when, how it was given, from what to what. Reads and changes are audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bankcrm.customers import privacy_repository as repository
from bankcrm.customers.models import Customer
from bankcrm.customers.privacy_models import ConsentChange
from bankcrm.customers.privacy_schemas import PURPOSES, ConsentChangeOut, ConsentIn, ConsentOut
from bankcrm.customers.service import visible_customer
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import InvalidInput
from bankcrm.security import audit, scope
from bankcrm.security.principal import Principal

FIELDS: dict[str, str] = {purpose: f"{purpose}_consent" for purpose in PURPOSES}


def _out(session: Session, customer: Customer) -> ConsentOut:
    return ConsentOut(
        customer_id=customer.id,
        marketing=customer.marketing_consent,
        profiling=customer.profiling_consent,
        sharing=customer.sharing_consent,
        history=[
            ConsentChangeOut.model_validate(change, from_attributes=True)
            for change in repository.consent_history(session, customer.id)
        ],
    )


def get_consent(session: Session, principal: Principal, customer_id: int) -> ConsentOut:
    customer, _view = visible_customer(session, principal, customer_id)
    audit.record(session, principal, "read", "consent", customer_id, fields=list(FIELDS.values()))
    return _out(session, customer)


def set_flags(
    session: Session,
    customer: Customer,
    wanted: dict[str, bool],
    source: str,
    actor: str,
    note: str | None,
) -> list[str]:
    """Set each purpose to its wanted value and record every actual change; the purposes
    that changed. The customer's version moves on when anything changed."""
    changed = []
    now = utcnow()
    for purpose, value in wanted.items():
        field = FIELDS[purpose]
        before = bool(getattr(customer, field))
        if before == value:
            continue
        setattr(customer, field, value)
        repository.add(
            session,
            ConsentChange(
                customer_id=customer.id,
                purpose=purpose,
                from_value=before,
                to_value=value,
                source=source,
                changed_at=now,
                actor=actor,
                note=note,
            ),
        )
        changed.append(purpose)
    if changed:
        customer.version += 1
        session.flush()
    return changed


def update_consent(
    session: Session, principal: Principal, customer_id: int, choice: ConsentIn
) -> ConsentOut:
    """Record the customer's choice; unchanged purposes leave no history entry."""
    scope.require_customer_writes(principal)
    customer, _view = visible_customer(session, principal, customer_id)
    wanted: dict[str, bool] = {p: v for p in PURPOSES if (v := getattr(choice, p)) is not None}
    if not wanted:
        raise InvalidInput("send at least one of marketing, profiling, sharing", "marketing")
    changed = set_flags(session, customer, wanted, choice.source, principal.actor, choice.note)
    audit.record(
        session,
        principal,
        "update",
        "consent",
        customer_id,
        fields=[FIELDS[p] for p in changed],
        reason=f"source: {choice.source}",
    )
    return _out(session, customer)
