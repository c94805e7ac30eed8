"""/api/v1/opportunities: open, list, read, change, move through the stages, department
tasks, and /api/v1/opportunities/pipeline (aggregates)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from bankcrm.kit.pagination import Page, PageParams
from bankcrm.opportunities import moves, pipeline, service
from bankcrm.opportunities.schemas import (
    FAR_FUTURE,
    FAR_PAST,
    Dimension,
    OpportunityChange,
    OpportunityIn,
    OpportunityOut,
    OpportunityQuery,
    OpportunitySummary,
    Pipeline,
    StageMove,
    TaskDone,
    TaskIn,
)
from bankcrm.web.deps import PrincipalDep, RecordId, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/opportunities", tags=["opportunities"])

Day = Annotated[date | None, Query(ge=FAR_PAST, le=FAR_FUTURE)]


@router.post("", response_model=OpportunityOut, status_code=status.HTTP_201_CREATED)
def create_opportunity(
    new: OpportunityIn, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> OpportunityOut:
    """Open an opportunity for a customer or a prospect in your scope, at `identified`.
    Account managers own what they open; branch managers name an owner of the branch."""
    return service.create_opportunity(session, settings, principal, new)


@router.get("", response_model=Page[OpportunitySummary])
def list_opportunities(
    session: SessionDep,
    principal: PrincipalDep,
    query: Annotated[OpportunityQuery, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[OpportunitySummary]:
    """Opportunities in your scope, soonest expected close first."""
    return service.list_opportunities(session, principal, query, page.offset, page.limit)


@router.get("/pipeline", response_model=Pipeline)
def get_pipeline(
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    by: Dimension = "manager",
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    since: Day = None,
    until: Day = None,
) -> Pipeline:
    """Aggregates only: count, amount and weighted amount by stage per manager, branch or
    product; expected volume by month of expected close; win rate and lost reasons by
    product and segment for opportunities closed since..until."""
    return pipeline.pipeline(session, settings, principal, by, currency, since, until)


@router.get("/{opportunity_id}", response_model=OpportunityOut)
def get_opportunity(
    opportunity_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> OpportunityOut:
    """One opportunity with its stage history and department tasks."""
    return service.get_opportunity(session, principal, opportunity_id)


@router.patch("/{opportunity_id}", response_model=OpportunityOut)
def update_opportunity(
    opportunity_id: RecordId,
    change: OpportunityChange,
    session: SessionDep,
    principal: PrincipalDep,
) -> OpportunityOut:
    """Change amount, expected close, description or owner; send the `version` you read:
    a stale one gets 409 and changes nothing."""
    return service.update_opportunity(session, principal, opportunity_id, change)


@router.post("/{opportunity_id}/stage", response_model=OpportunityOut)
def move_stage(
    opportunity_id: RecordId,
    move: StageMove,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> OpportunityOut:
    """Move to another stage (docs/models.md, "Opportunity stages"); a refused move is 409
    (the stage) or 422 (a missing note or lost reason)."""
    return moves.move_stage(session, settings, principal, opportunity_id, move)


@router.post(
    "/{opportunity_id}/tasks", response_model=OpportunityOut, status_code=status.HTTP_201_CREATED
)
def add_task(
    opportunity_id: RecordId, new: TaskIn, session: SessionDep, principal: PrincipalDep
) -> OpportunityOut:
    """A task for a department (credit, legal, operations, compliance, treasury, product)."""
    return moves.add_task(session, principal, opportunity_id, new)


@router.post("/{opportunity_id}/tasks/{task_id}/complete", response_model=OpportunityOut)
def complete_task(
    opportunity_id: RecordId,
    task_id: RecordId,
    done: TaskDone,
    session: SessionDep,
    principal: PrincipalDep,
) -> OpportunityOut:
    """Mark an open task done or cancelled."""
    return moves.complete_task(session, principal, opportunity_id, task_id, done)
