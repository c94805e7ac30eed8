"""The contact log, channel events and tasks for one caller: in scope, audited, never
committed here. Routes call these; they never know about HTTP."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bankcrm.customers import repository as customers_repository
from bankcrm.customers.shape import display_name
from bankcrm.interactions import repository
from bankcrm.interactions.models import GENERATED_KINDS, ChannelEvent, Interaction, Task
from bankcrm.interactions.schemas import (
    EventIn,
    EventOut,
    InteractionIn,
    InteractionOut,
    LoggedInteraction,
    TaskClose,
    TaskIn,
    TaskOut,
    TaskUpdate,
    WorklistItem,
)
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.kit.numbering import EVENT_INTERACTION_PREFIX, MANUAL_INTERACTION_PREFIX
from bankcrm.kit.pagination import Page
from bankcrm.security import audit, break_glass, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import CustomerScope, View
from bankcrm.security.service import require_scope

FOLLOW_UP_DAYS = 7  # a next step without a date is due in a week
EVENT_SCOPE = "events:write"
SHOWN_FIELDS = ("occurred_at", "channel", "direction", "topic", "outcome", "staff")


def _customer_view(session: Session, principal: Principal, customer_id: int) -> View:
    """How the customer shows to the caller (as the customer 360 decides it); NotFound out
    of scope, so that a caller cannot learn that the customer exists."""
    scope.require_customer_detail(principal)
    placement = customers_repository.placement(session, customer_id)
    if placement is None:
        raise NotFound(f"customer {customer_id} not found")
    granted = break_glass.is_granted(session, principal, customer_id)
    view = scope.view_of(principal, placement[0], placement[1], granted)
    if view is None:
        raise NotFound(f"customer {customer_id} not found")
    return view


def _source(interaction_no: str) -> Literal["crm", "channel", "import"]:
    if interaction_no.startswith(MANUAL_INTERACTION_PREFIX):
        return "crm"
    if interaction_no.startswith(EVENT_INTERACTION_PREFIX):
        return "channel"
    return "import"


def _interaction_out(interaction: Interaction, staff: str | None, view: View) -> InteractionOut:
    return InteractionOut(
        id=interaction.id,
        interaction_no=interaction.interaction_no,
        source=_source(interaction.interaction_no),
        occurred_at=interaction.occurred_at,
        channel=interaction.channel,
        direction=interaction.direction,
        topic=interaction.topic,
        outcome=interaction.outcome,
        note=interaction.note if view is View.FULL else None,
        staff=staff,
    )


def task_out(task: Task) -> TaskOut:
    return TaskOut.model_validate(task, from_attributes=True)


def _utc(moment: datetime) -> datetime:
    """A naive UTC time, as the database keeps them."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _add_interaction(session: Session, prefix: str, values: dict[str, object]) -> Interaction:
    """A new interaction numbered `<prefix><id>`: a number of its own, which an imported
    contact id (the source system's) does not take."""
    interaction = Interaction(interaction_no=f"{prefix}{uuid.uuid4().hex}", **values)
    repository.add(session, interaction)
    interaction.interaction_no = f"{prefix}{interaction.id:08d}"
    session.flush()
    return interaction


# The contact log


def list_interactions(
    session: Session, principal: Principal, customer_id: int, offset: int, limit: int
) -> Page[InteractionOut]:
    """A customer's contacts on every channel, newest first."""
    view = _customer_view(session, principal, customer_id)
    rows, total = repository.interactions(session, customer_id, offset, limit)
    fields = [*SHOWN_FIELDS, "note"] if view is View.FULL else list(SHOWN_FIELDS)
    audit.record(
        session,
        principal,
        "list",
        "interaction",
        customer_id,
        fields=fields,
        record_ids=[i.id for i, _ in rows],
        reason=f"contacts of customer {customer_id}",
    )
    items = [_interaction_out(i, staff, view) for i, staff in rows]
    return Page(items=items, total=total, offset=offset, limit=limit)


def log_interaction(
    session: Session, principal: Principal, customer_id: int, contact: InteractionIn
) -> LoggedInteraction:
    """Log a contact with the customer; a next step opens a follow-up task for the caller
    (or, for a caller without a staff record, the customer's manager)."""
    scope.require_customer_writes(principal)
    view = _customer_view(session, principal, customer_id)
    now = utcnow()
    occurred = _utc(contact.occurred_at) if contact.occurred_at else now
    if occurred > now + timedelta(minutes=5):
        raise Conflict(
            "occurred_at is later than the server's clock: log a contact once it happened",
            "occurred_at",
        )
    today = now.date()
    interaction = _add_interaction(
        session,
        MANUAL_INTERACTION_PREFIX,
        {
            "customer_id": customer_id,
            "staff_id": principal.staff_id,
            "occurred_at": occurred,
            "channel": contact.channel,
            "direction": contact.direction,
            "topic": contact.topic,
            "outcome": contact.outcome,
            "note": contact.note,
        },
    )
    audit.record(
        session,
        principal,
        "create",
        "interaction",
        interaction.id,
        fields=[k for k in ("channel", "topic", "outcome", "note") if getattr(contact, k)],
    )
    follow_up = None
    if contact.next_step is not None or contact.next_step_due is not None:
        placement = customers_repository.placement(session, customer_id)
        manager = placement[1] if placement else None
        follow_up = Task(
            customer_id=customer_id,
            assignee_id=principal.staff_id or manager,
            kind="follow_up",
            reason=contact.next_step or f"Follow up: {contact.topic}",
            value_at_risk=_value_at_risk(session, customer_id),
            due_on=contact.next_step_due or today + timedelta(days=FOLLOW_UP_DAYS),
            status="open",
            created_by=principal.actor,
            interaction_id=interaction.id,
        )
        repository.add(session, follow_up)
        audit.record(session, principal, "create", "task", follow_up.id, fields=("follow_up",))
    staff = repository.staff_name(session, principal.staff_id)
    return LoggedInteraction(
        interaction=_interaction_out(interaction, staff, view),
        follow_up=task_out(follow_up) if follow_up else None,
    )


def _value_at_risk(session: Session, customer_id: int) -> float | None:
    score = customers_repository.latest_score(session, customer_id)
    return score.value_at_risk if score is not None else None


# Channel events


def _payload_hash(event: EventIn) -> str:
    data = event.model_dump(mode="json")
    data["occurred_at"] = _utc(event.occurred_at).isoformat()
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _event_out(record: ChannelEvent, interaction: Interaction, customer_no: str) -> EventOut:
    return EventOut(
        event_id=record.event_id,
        customer_no=customer_no,
        interaction_id=interaction.id,
        interaction_no=interaction.interaction_no,
        received_at=record.received_at,
    )


def _replay(session: Session, principal: Principal, event: EventIn, digest: str) -> EventOut:
    found = repository.event(session, principal.actor, event.event_id)
    if found is None:
        raise LookupError(event.event_id)
    record, interaction = found
    if record.payload_hash != digest:
        raise Conflict(
            f"event '{event.event_id}' was received before with other content: "
            "an event id names one event",
            "event_id",
        )
    return _event_out(record, interaction, event.customer_no)


def record_event(session: Session, principal: Principal, event: EventIn) -> tuple[EventOut, bool]:
    """Store a channel system's event as an interaction, once: a repeat of an event id
    returns the first result and creates nothing. Returns the result and whether it is new.

    The insert goes first, in a savepoint; the unique (source, event_id) constraint decides
    between two copies sent at once, and the loser reads the winner's result."""
    require_scope(principal, EVENT_SCOPE)
    customer = repository.customer_by_no(session, event.customer_no)
    if customer is None:
        raise InvalidInput(f"no customer with customer_no '{event.customer_no}'", "customer_no")
    digest = _payload_hash(event)
    occurred = _utc(event.occurred_at)
    if occurred > utcnow() + timedelta(minutes=5):
        raise Conflict("occurred_at is later than the server's clock", "occurred_at")
    try:
        with session.begin_nested():
            interaction = _add_interaction(
                session,
                EVENT_INTERACTION_PREFIX,
                {
                    "customer_id": customer.id,
                    "staff_id": None,
                    "occurred_at": occurred,
                    "channel": event.channel,
                    "direction": event.direction,
                    "topic": event.topic,
                    "outcome": event.outcome,
                    "note": event.note,
                },
            )
            record = ChannelEvent(
                source=principal.actor,
                event_id=event.event_id,
                payload_hash=digest,
                interaction_id=interaction.id,
            )
            repository.add(session, record)
    except IntegrityError:
        try:
            return _replay(session, principal, event, digest), False
        except LookupError:
            raise Conflict("the event clashes with another record", "event_id") from None
    audit.record(
        session,
        principal,
        "create",
        "interaction",
        interaction.id,
        fields=("channel", "topic", "outcome", "note")
        if event.note
        else ("channel", "topic", "outcome"),
        reason=f"channel event {event.event_id}",
    )
    return _event_out(record, interaction, customer.customer_no), True


# Tasks


def open_tasks(session: Session, customer_id: int) -> list[TaskOut]:
    """A customer's open tasks, for the customer 360 (which checks scope and audits)."""
    return [task_out(t) for t in repository.open_tasks(session, customer_id)]


def _check_assignee(
    session: Session, staff_id: int, branch_id: int, manager_id: int | None
) -> None:
    staff = repository.staff_member(session, staff_id)
    if staff is None or not staff.active:
        raise NotFound(f"no active staff member with id {staff_id} (assignee_id)")
    if staff.branch_id != branch_id and staff.id != manager_id:
        raise Forbidden(
            f"staff member {staff_id} (assignee_id) works at another branch than the customer"
        )


def create_task(session: Session, principal: Principal, body: TaskIn) -> TaskOut:
    """A task opened by hand; at most one open task of a generated kind per customer."""
    scope.require_customer_writes(principal)
    _customer_view(session, principal, body.customer_id)
    placement = customers_repository.placement(session, body.customer_id)
    assert placement is not None  # _customer_view found the customer
    branch_id, manager_id = placement
    if body.assignee_id is not None:
        _check_assignee(session, body.assignee_id, branch_id, manager_id)
    if body.kind in GENERATED_KINDS:
        existing = repository.open_task_of_kind(session, body.customer_id, body.kind)
        if existing is not None:
            raise Conflict(
                f"customer {body.customer_id} already has an open {body.kind} task "
                f"(task {existing.id})",
                "kind",
            )
    task = Task(
        customer_id=body.customer_id,
        assignee_id=body.assignee_id or manager_id or principal.staff_id,
        kind=body.kind,
        reason=body.reason,
        value_at_risk=_value_at_risk(session, body.customer_id),
        due_on=body.due_on,
        status="open",
        created_by=principal.actor,
    )
    repository.add(session, task)
    audit.record(session, principal, "create", "task", task.id, fields=("kind", "reason", "due_on"))
    return task_out(task)


def update_task(
    session: Session, principal: Principal, task_id: int, change: TaskUpdate
) -> TaskOut:
    """Close a task (done or cancelled, with its outcome) or move its due date. A stale
    `version` changes nothing and raises Conflict."""
    scope.require_customer_writes(principal)
    task = repository.task(session, task_id)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    try:
        _customer_view(session, principal, task.customer_id)
    except NotFound:
        raise NotFound(f"task {task_id} not found") from None
    if task.version != change.version:
        raise _stale(task, change.version)
    if task.status != "open":
        raise Conflict(f"task {task_id} is already {task.status}", "status")
    values: dict[str, object] = {}
    if change.due_on is not None:
        values["due_on"] = change.due_on
    if isinstance(change, TaskClose):
        values |= {
            "status": change.status,
            "outcome": change.outcome,
            "closed_at": utcnow(),
            "closed_by": principal.actor,
        }
    if not repository.update_task(session, task_id, change.version, values):
        session.expire(task)
        raise _stale(task, change.version)
    audit.record(session, principal, "update", "task", task_id, fields=sorted(values))
    session.expire(task)
    refreshed = repository.task(session, task_id)
    assert refreshed is not None
    return task_out(refreshed)


def _stale(task: Task, version: int) -> Conflict:
    return Conflict(
        f"task {task.id} was changed since version {version} was read "
        f"(now version {task.version}): reload and apply the change again",
        "version",
    )


def worklist(
    session: Session, principal: Principal, offset: int, limit: int, due_by: date | None = None
) -> Page[WorklistItem]:
    """The caller's open tasks: an account manager's own (assigned to their staff record),
    a branch manager's branch, a service agent's own; the most value at risk first, then
    the earliest due date. `due_by`: only tasks due on or before that day (today's and
    overdue ones), the earliest due first."""
    kind = principal.policy.scope
    if not principal.policy.writes_customers:
        raise Forbidden(f"the role '{principal.role_name}' has no worklist")
    where = [customers_repository.scope_clause(scope.customer_filter(principal))]
    if kind is not CustomerScope.BRANCH:
        if principal.staff_id is None:
            return Page(items=[], total=0, offset=offset, limit=limit)
        where.append(Task.assignee_id == principal.staff_id)
    if due_by is not None:
        where.append(Task.due_on <= due_by)
    rows, total = repository.worklist(session, where, offset, limit, by_due_date=due_by is not None)
    items = [
        WorklistItem(
            task=task_out(task),
            customer_no=customer.customer_no,
            customer_name=display_name(customer),
            assignee=assignee,
        )
        for task, customer, assignee in rows
    ]
    audit.record(
        session,
        principal,
        "list",
        "task",
        fields=("customer_no", "name", "reason"),
        record_ids=[item.task.id for item in items],
    )
    return Page(items=items, total=total, offset=offset, limit=limit)
