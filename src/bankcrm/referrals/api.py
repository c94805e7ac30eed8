"""/api/v1/referrals (refer, follow, accept, convert, decline, assign) and
/api/v1/referral-routes (the routing table)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from bankcrm.kit.pagination import Page, PageParams
from bankcrm.referrals import routing, service
from bankcrm.referrals.schemas import (
    Assignment,
    Conversion,
    Decline,
    ReferralIn,
    ReferralOut,
    ReferralQuery,
    ReferralSummary,
    RouteChange,
    RouteIn,
    RouteOut,
    Versioned,
)
from bankcrm.web.deps import PrincipalDep, RecordId, SessionDep

router = APIRouter(prefix="/api/v1", tags=["referrals"])


@router.post("/referrals", response_model=ReferralOut, status_code=status.HTTP_201_CREATED)
def create_referral(new: ReferralIn, session: SessionDep, principal: PrincipalDep) -> ReferralOut:
    """Refer a customer or a prospect to a specialist line with the need in a sentence.
    The routing rules choose the assignee: the own manager, else the line's route in the
    person's branch, else the bank-wide route, else the branch manager's list."""
    return service.create_referral(session, principal, new)


@router.get("/referrals", response_model=Page[ReferralSummary])
def list_referrals(
    session: SessionDep,
    principal: PrincipalDep,
    query: Annotated[ReferralQuery, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[ReferralSummary]:
    """Made by me (with their outcomes), assigned to me, or my branch's (branch managers)."""
    return service.list_referrals(session, principal, query, page.offset, page.limit)


@router.get("/referrals/{referral_id}", response_model=ReferralOut)
def get_referral(
    referral_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> ReferralOut:
    return service.get_referral(session, principal, referral_id)


@router.post("/referrals/{referral_id}/accept", response_model=ReferralOut)
def accept_referral(
    referral_id: RecordId, ask: Versioned, session: SessionDep, principal: PrincipalDep
) -> ReferralOut:
    """The assignee (or the branch manager) takes the referral on; a stale version is 409."""
    return service.accept(session, principal, referral_id, ask)


@router.post("/referrals/{referral_id}/convert", response_model=ReferralOut)
def convert_referral(
    referral_id: RecordId, ask: Conversion, session: SessionDep, principal: PrincipalDep
) -> ReferralOut:
    """The referral became business (optionally naming the opportunity and the outcome)."""
    return service.convert(session, principal, referral_id, ask)


@router.post("/referrals/{referral_id}/decline", response_model=ReferralOut)
def decline_referral(
    referral_id: RecordId, ask: Decline, session: SessionDep, principal: PrincipalDep
) -> ReferralOut:
    """The referral comes to nothing, with the reason the referrer will read."""
    return service.decline(session, principal, referral_id, ask)


@router.post("/referrals/{referral_id}/assign", response_model=ReferralOut)
def assign_referral(
    referral_id: RecordId, ask: Assignment, session: SessionDep, principal: PrincipalDep
) -> ReferralOut:
    """The branch manager sends an open referral (an unrouted one, say) to a staff member."""
    return service.assign(session, principal, referral_id, ask)


@router.get("/referral-routes", response_model=list[RouteOut])
def list_routes(session: SessionDep, principal: PrincipalDep) -> list[RouteOut]:
    """The routing table: a branch manager's branch and the bank-wide routes; all (admin)."""
    return routing.list_routes(session, principal)


@router.post("/referral-routes", response_model=RouteOut, status_code=status.HTTP_201_CREATED)
def create_route(new: RouteIn, session: SessionDep, principal: PrincipalDep) -> RouteOut:
    """A line's referrals in a branch (none: bank-wide) go to this staff member."""
    return routing.create_route(session, principal, new)


@router.patch("/referral-routes/{route_id}", response_model=RouteOut)
def change_route(
    route_id: RecordId, change: RouteChange, session: SessionDep, principal: PrincipalDep
) -> RouteOut:
    """Send the line to someone else or (de)activate the route; a stale version is 409."""
    return routing.change_route(session, principal, route_id, change)
