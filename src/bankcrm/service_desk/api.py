"""/api/v1/cases and /api/v1/customers/{id}/cases: the service desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from bankcrm.kit.pagination import Page, PageParams
from bankcrm.service_desk import service
from bankcrm.service_desk.schemas import (
    CaseAnalytics,
    CaseChange,
    CaseIn,
    CaseOut,
    CaseQuery,
    CaseSummary,
    SurveyIn,
)
from bankcrm.web.deps import PrincipalDep, RecordId, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["service desk"])

Month = Annotated[
    str | None, Query(pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")
]


@router.post(
    "/customers/{customer_id}/cases", response_model=CaseOut, status_code=status.HTTP_201_CREATED
)
def open_case(
    customer_id: RecordId,
    new: CaseIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> CaseOut:
    """Open a complaint, request, feedback or praise case; the SLA due time follows the
    customer's tier (gold 4 h, growth 24 h, general 48 h, unprofitable 72 h by default)."""
    return service.open_case(session, settings, principal, customer_id, new)


@router.get("/cases/analytics", response_model=CaseAnalytics)
def case_analytics(
    session: SessionDep, principal: PrincipalDep, since: Month = None, until: Month = None
) -> CaseAnalytics:
    """Feedback analytics (management roles): cases by month, kind and topic, mean CSAT,
    NPS and SLA kept %, over the months since..until inclusive. Aggregates only."""
    return service.analytics(session, principal, since, until)


@router.get("/cases", response_model=Page[CaseSummary])
def list_cases(
    session: SessionDep,
    principal: PrincipalDep,
    query: Annotated[CaseQuery, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[CaseSummary]:
    """Cases of the customers in the caller's scope, soonest due first."""
    return service.list_cases(session, principal, query, page.offset, page.limit)


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(case_id: RecordId, session: SessionDep, principal: PrincipalDep) -> CaseOut:
    return service.get_case(session, principal, case_id)


@router.patch("/cases/{case_id}", response_model=CaseOut)
def update_case(
    case_id: RecordId, change: CaseChange, session: SessionDep, principal: PrincipalDep
) -> CaseOut:
    """Assign, set in_progress / resolved / closed (with a resolution); send the `version`
    you read: a stale one gets 409 and changes nothing."""
    return service.update_case(session, principal, case_id, change)


@router.post("/cases/{case_id}/survey", response_model=CaseOut, status_code=status.HTTP_201_CREATED)
def record_survey(
    case_id: RecordId, answer: SurveyIn, session: SessionDep, principal: PrincipalDep
) -> CaseOut:
    """The satisfaction survey of a closed case (CSAT 1-5, NPS 0-10), once per case."""
    return service.record_survey(session, principal, case_id, answer)
