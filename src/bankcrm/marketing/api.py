"""/api/v1/segments and /api/v1/campaigns: segment previews, campaigns, target lists,
member outcomes and results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from bankcrm.kit.pagination import Page, PageParams
from bankcrm.marketing import service
from bankcrm.marketing.schemas import (
    CampaignIn,
    CampaignOut,
    MemberOut,
    OutcomeIn,
    Results,
    SegmentDefinition,
    SegmentPreview,
    TargetList,
)
from bankcrm.web.deps import PrincipalDep, RecordId, SessionDep

router = APIRouter(prefix="/api/v1", tags=["marketing"])


@router.post("/segments/preview", response_model=SegmentPreview)
def preview_segment(
    segment: SegmentDefinition, session: SessionDep, principal: PrincipalDep
) -> SegmentPreview:
    """How many customers in your scope the segment matches, and how many may be contacted."""
    return service.preview(session, principal, segment)


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(data: CampaignIn, session: SessionDep, principal: PrincipalDep) -> CampaignOut:
    """A product on a channel between two dates for a segment (branch managers: for their
    branch; product managers: bank-wide)."""
    return service.create_campaign(session, principal, data)


@router.get("/campaigns", response_model=Page[CampaignOut])
def list_campaigns(
    session: SessionDep, principal: PrincipalDep, page: Annotated[PageParams, Depends()]
) -> Page[CampaignOut]:
    return service.list_campaigns(session, principal, page.offset, page.limit)


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(
    campaign_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> CampaignOut:
    return service.get_campaign(session, principal, campaign_id)


@router.post("/campaigns/{campaign_id}/target-list", response_model=TargetList)
def build_target_list(
    campaign_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> TargetList:
    """Match the segment now: members with marketing consent only; who was left out and why."""
    return service.build_target_list(session, principal, campaign_id)


@router.get("/campaigns/{campaign_id}/target-list", response_model=TargetList)
def get_target_list(
    campaign_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> TargetList:
    return service.get_target_list(session, principal, campaign_id)


@router.patch("/campaigns/{campaign_id}/members/{member_id}", response_model=MemberOut)
def record_outcome(
    campaign_id: RecordId,
    member_id: RecordId,
    change: OutcomeIn,
    session: SessionDep,
    principal: PrincipalDep,
) -> MemberOut:
    """Record that a member was contacted, accepted or declined, and when."""
    return service.record_outcome(session, principal, campaign_id, member_id, change)


@router.get("/campaigns/{campaign_id}/results", response_model=Results)
def campaign_results(
    campaign_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> Results:
    """Targeted, contacted, accepted, declined; response, acceptance and conversion rates."""
    return service.results(session, principal, campaign_id)
