"""/api/v1: a customer's contact log, channel events, tasks and the worklist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from bankcrm.interactions import service
from bankcrm.interactions.schemas import (
    EventIn,
    EventOut,
    InteractionIn,
    InteractionOut,
    LoggedInteraction,
    TaskIn,
    TaskOut,
    TaskUpdate,
    WorklistItem,
)
from bankcrm.kit.pagination import Page, PageParams
from bankcrm.web.deps import PrincipalDep, RecordId, SessionDep

router = APIRouter(prefix="/api/v1", tags=["interactions"])


@router.get("/customers/{customer_id}/interactions", response_model=Page[InteractionOut])
def list_interactions(
    customer_id: RecordId,
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[PageParams, Depends()],
) -> Page[InteractionOut]:
    """The customer's contacts on every channel, newest first (notes in the full view)."""
    return service.list_interactions(session, principal, customer_id, page.offset, page.limit)


@router.post(
    "/customers/{customer_id}/interactions",
    response_model=LoggedInteraction,
    status_code=status.HTTP_201_CREATED,
)
def log_interaction(
    customer_id: RecordId, contact: InteractionIn, session: SessionDep, principal: PrincipalDep
) -> LoggedInteraction:
    """Log a contact; a `next_step` opens a follow-up task (due `next_step_due` or in a
    week)."""
    return service.log_interaction(session, principal, customer_id, contact)


@router.post(
    "/events",
    response_model=EventOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": EventOut, "description": "a repeat: the first result"}},
)
def record_event(
    event: EventIn, response: Response, session: SessionDep, principal: PrincipalDep
) -> EventOut:
    """A channel system's event (service token with scope `events:write`), stored as an
    interaction once: 201 the first time, 200 with the same body for a repeat."""
    result, created = service.record_event(session, principal, event)
    if not created:
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/worklist", response_model=Page[WorklistItem])
def worklist(
    session: SessionDep, principal: PrincipalDep, page: Annotated[PageParams, Depends()]
) -> Page[WorklistItem]:
    """The caller's open tasks, the most value at risk first, then the earliest due date."""
    return service.worklist(session, principal, page.offset, page.limit)


@router.post("/tasks", response_model=TaskOut, status_code=status.HTTP_201_CREATED)
def create_task(body: TaskIn, session: SessionDep, principal: PrincipalDep) -> TaskOut:
    """Open a task by hand for a customer in the caller's scope."""
    return service.create_task(session, principal, body)


@router.patch("/tasks/{task_id}", response_model=TaskOut)
def update_task(
    task_id: RecordId, change: TaskUpdate, session: SessionDep, principal: PrincipalDep
) -> TaskOut:
    """Close a task (done or cancelled, with an outcome) or move its due date; send the
    `version` you read: a stale one gets 409."""
    return service.update_task(session, principal, task_id, change)
