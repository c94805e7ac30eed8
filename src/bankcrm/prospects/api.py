"""/api/v1/prospects: people and companies that are not yet customers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from bankcrm.kit.pagination import Page, PageParams
from bankcrm.prospects import service, workflow
from bankcrm.prospects.schemas import (
    ContactIn,
    OwnerChange,
    ProspectFunnel,
    ProspectIn,
    ProspectOut,
    ProspectQuery,
    ProspectSummary,
    ProspectUpdate,
    ReviewDecision,
    StatusChange,
)
from bankcrm.web.deps import PrincipalDep, RecordId, SessionDep

router = APIRouter(prefix="/api/v1/prospects", tags=["prospects"])


@router.post("", response_model=ProspectOut, status_code=status.HTTP_201_CREATED)
def create_prospect(new: ProspectIn, session: SessionDep, principal: PrincipalDep) -> ProspectOut:
    """Add a prospect (PRS-...); branch and owner default to the caller's own."""
    return service.create_prospect(session, principal, new)


@router.get("", response_model=Page[ProspectSummary])
def list_prospects(
    session: SessionDep,
    principal: PrincipalDep,
    query: Annotated[ProspectQuery, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[ProspectSummary]:
    """Prospects in the caller's scope, filtered by status, source, owner and branch."""
    return service.list_prospects(session, principal, query, page.offset, page.limit)


@router.get("/funnel", response_model=ProspectFunnel)
def prospect_funnel(session: SessionDep, principal: PrincipalDep) -> ProspectFunnel:
    """Prospects by status and source: counts only (executives and analysts too)."""
    return service.funnel(session, principal)


@router.get("/{prospect_id}", response_model=ProspectOut)
def get_prospect(
    prospect_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> ProspectOut:
    """The prospect and its activities, masked by role."""
    return service.get_prospect(session, principal, prospect_id)


@router.patch("/{prospect_id}", response_model=ProspectOut)
def update_prospect(
    prospect_id: RecordId, change: ProspectUpdate, session: SessionDep, principal: PrincipalDep
) -> ProspectOut:
    """Edit details; send the `version` you read: a stale one gets 409."""
    return service.update_prospect(session, principal, prospect_id, change)


@router.post("/{prospect_id}/status", response_model=ProspectOut)
def change_status(
    prospect_id: RecordId, change: StatusChange, session: SessionDep, principal: PrincipalDep
) -> ProspectOut:
    """Move the prospect on (disqualified needs a `reason`; converted only by conversion)."""
    return workflow.change_status(session, principal, prospect_id, change)


@router.post(
    "/{prospect_id}/contacts", response_model=ProspectOut, status_code=status.HTTP_201_CREATED
)
def log_contact(
    prospect_id: RecordId, contact: ContactIn, session: SessionDep, principal: PrincipalDep
) -> ProspectOut:
    """Log a contact; a new prospect becomes contacted."""
    return workflow.log_contact(session, principal, prospect_id, contact)


@router.post("/{prospect_id}/owner", response_model=ProspectOut)
def assign_owner(
    prospect_id: RecordId, change: OwnerChange, session: SessionDep, principal: PrincipalDep
) -> ProspectOut:
    """Give the prospect to a staff member of its branch."""
    return workflow.assign_owner(session, principal, prospect_id, change)


@router.post("/{prospect_id}/review", response_model=ProspectOut)
def decide_review(
    prospect_id: RecordId, decision: ReviewDecision, session: SessionDep, principal: PrincipalDep
) -> ProspectOut:
    """Decide on a prospect flagged by the import: `same` customer (converts) or `not_same`."""
    return workflow.decide_review(session, principal, prospect_id, decision)
