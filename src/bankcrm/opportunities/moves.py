"""Stage moves and department tasks of one opportunity, in scope and audited.

Entering credit review opens the credit department's task (once, while none is open);
won and lost set the dates; reopening a won or lost opportunity is its branch's manager's,
with a note, and never once the won product is linked to a holding."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Conflict, InvalidInput, NotFound
from bankcrm.opportunities import repository, stages
from bankcrm.opportunities.models import OpportunityStageChange, OpportunityTask
from bankcrm.opportunities.schemas import OpportunityOut, StageMove, TaskDone, TaskIn
from bankcrm.opportunities.service import detail, probability, stale, visible
from bankcrm.referrals import service as referrals
from bankcrm.security import audit, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role

CREDIT_TASK = "Credit review of {number}"


def _refusal(
    principal: Principal, current: str, move: StageMove, category: str, branch_id: int
) -> stages.Refusal | None:
    if current in stages.CLOSED_STAGES:
        if principal.role is not Role.BRANCH_MANAGER or principal.branch_id != branch_id:
            return stages.Refusal(
                "stage", f"the opportunity is {current}: only its branch manager reopens it"
            )
        return stages.refuse_reopen(current, move.stage, category, move.note)
    return stages.refuse_move(current, move.stage, category, move.note, move.lost_reason)


def move_stage(
    session: Session,
    settings: Settings,
    principal: Principal,
    opportunity_id: int,
    move: StageMove,
) -> OpportunityOut:
    """Move to another stage by the rules of stages.py; the new stage's probability is
    stored with the change and on the opportunity. A stale `version` changes nothing."""
    scope.require_customer_writes(principal)
    row, view = visible(session, principal, opportunity_id)
    opportunity, _customer, _prospect, product = row
    if opportunity.version != move.version:
        raise stale(opportunity_id, move.version, opportunity.version)
    current = opportunity.stage
    refused = _refusal(principal, current, move, product.category, opportunity.branch_id)
    if refused is not None:
        error = Conflict if refused.field == "stage" else InvalidInput
        raise error(refused.reason, refused.field)
    if current == "won" and opportunity.holding_id is not None:
        raise Conflict("the won product is linked to its holding: it is not reopened", "stage")
    now = utcnow()
    chance = probability(settings, move.stage)
    values: dict[str, Any] = {"stage": move.stage, "probability": chance}
    if move.stage == "won":
        values |= {"won_on": now.date(), "closed_on": now.date()}
    elif move.stage == "lost":
        values |= {"closed_on": now.date(), "lost_reason": move.lost_reason}
        values["lost_note"] = move.lost_note
    elif current in stages.CLOSED_STAGES:  # reopened
        values |= {"won_on": None, "closed_on": None, "lost_reason": None, "lost_note": None}
    if not repository.update_opportunity(session, opportunity_id, move.version, values):
        raise stale(opportunity_id, move.version, opportunity.version + 1)
    repository.add(
        session,
        OpportunityStageChange(
            opportunity_id=opportunity_id,
            from_stage=current,
            to_stage=move.stage,
            changed_at=now,
            changed_by=principal.actor,
            note=move.note,
            probability=chance,
        ),
    )
    fields = ["stage", "probability", *(k for k in ("note", "lost_reason") if getattr(move, k))]
    audit.record(session, principal, "stage", "opportunity", opportunity_id, fields=fields)
    if move.stage == "won" and opportunity.referral_id is not None:
        # The referral that brought the business in counts as converted for its referrer.
        referrals.mark_converted(session, principal, opportunity.referral_id, opportunity_id)
    if move.stage == "credit_review" and not repository.has_open_task(
        session, opportunity_id, "credit"
    ):
        repository.add(
            session,
            OpportunityTask(
                opportunity_id=opportunity_id,
                department="credit",
                title=CREDIT_TASK.format(number=opportunity.opportunity_no),
                due_on=now.date() + timedelta(days=settings.opportunity_credit_review_days),
                status="open",
                created_by=principal.actor,
            ),
        )
        audit.record(
            session, principal, "create_task", "opportunity", opportunity_id, fields=["credit"]
        )
    session.expire(opportunity)
    return detail(session, principal, row, view)


def add_task(
    session: Session, principal: Principal, opportunity_id: int, new: TaskIn
) -> OpportunityOut:
    """A task for a department; the assignee, if any, is an active staff member."""
    scope.require_customer_writes(principal)
    row, view = visible(session, principal, opportunity_id)
    if row[0].stage in stages.CLOSED_STAGES:
        raise Conflict(f"the opportunity is {row[0].stage}: it takes no new tasks", "stage")
    if new.assignee_id is not None:
        member = repository.staff(session, new.assignee_id)
        if member is None or not member.active:
            raise InvalidInput("assignee_id must be an active staff member", "assignee_id")
    repository.add(
        session,
        OpportunityTask(
            opportunity_id=opportunity_id,
            department=new.department,
            title=new.title,
            assignee_id=new.assignee_id,
            due_on=new.due_on,
            status="open",
            created_by=principal.actor,
        ),
    )
    fields = sorted(new.model_dump(exclude_none=True))
    audit.record(session, principal, "create_task", "opportunity", opportunity_id, fields=fields)
    return detail(session, principal, row, view)


def complete_task(
    session: Session, principal: Principal, opportunity_id: int, task_id: int, done: TaskDone
) -> OpportunityOut:
    """Mark an open task done or cancelled (who and when are kept)."""
    scope.require_customer_writes(principal)
    row, view = visible(session, principal, opportunity_id)
    task = repository.task(session, opportunity_id, task_id)
    if task is None:
        raise NotFound(f"task {task_id} of opportunity {opportunity_id} not found")
    values = {"status": done.status, "done_at": utcnow(), "done_by": principal.actor}
    if done.note is not None:
        values["note"] = done.note
    if not repository.close_task(session, task_id, values):
        raise Conflict(f"task {task_id} is already {task.status}", "status")
    session.expire(task)
    audit.record(
        session, principal, "complete_task", "opportunity", opportunity_id, fields=["status"]
    )
    return detail(session, principal, row, view)
