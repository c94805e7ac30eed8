"""/api/v1/customers/{id}/consent, /export and /erasure: consent and data-subject rights."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bankcrm.customers import consent, privacy
from bankcrm.customers.privacy_schemas import ConsentIn, ConsentOut, ErasureReport
from bankcrm.web.deps import PrincipalDep, RecordId, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/customers", tags=["privacy"])


@router.get("/{customer_id}/consent", response_model=ConsentOut)
def get_consent(customer_id: RecordId, session: SessionDep, principal: PrincipalDep) -> ConsentOut:
    """Consent per purpose (marketing, profiling, sharing) and its history, newest first."""
    return consent.get_consent(session, principal, customer_id)


@router.put("/{customer_id}/consent", response_model=ConsentOut)
def update_consent(
    customer_id: RecordId, choice: ConsentIn, session: SessionDep, principal: PrincipalDep
) -> ConsentOut:
    """Record the customer's choice per purpose and how it was given (`source`)."""
    return consent.update_consent(session, principal, customer_id, choice)


@router.get("/{customer_id}/export")
def export_customer(
    customer_id: RecordId, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Everything held on the person as JSON (branch managers for their branch, account
    managers for their own customers); audited as an export."""
    return privacy.export(session, settings, principal, customer_id)


@router.post("/{customer_id}/erasure", response_model=ErasureReport)
def erase_customer(
    customer_id: RecordId, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> ErasureReport:
    """Right to erasure (branch managers, own branch): erases or pseudonymises what no legal
    hold requires and reports what is kept, why and until when. Repeating is harmless."""
    return privacy.erase(session, settings, principal, customer_id)
