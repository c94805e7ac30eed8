"""What the interactions, channel events and tasks API accepts and returns."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bankcrm.kit.schemas import DateTimeIn, UtcDateTime

Channel = Literal["visit", "phone", "branch", "online", "mobile", "email", "messaging"]
Direction = Literal["inbound", "outbound"]
Outcome = Literal[
    "completed", "no_answer", "follow_up", "product_sold", "offer_declined", "complaint_raised"
]
TaskKind = Literal["retention_call", "offer", "review", "kyc_refresh", "follow_up", "manual"]


class InteractionIn(BaseModel):
    """A contact a user logs; a `next_step` or a `next_step_due` opens a follow-up task
    (due `next_step_due`, or in a week)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    direction: Direction
    topic: str = Field(min_length=1, max_length=100)
    outcome: Outcome
    note: str | None = Field(None, max_length=2000)
    occurred_at: DateTimeIn | None = Field(
        None, description="when the contact took place (UTC); default: now"
    )
    next_step: str | None = Field(None, min_length=1, max_length=500)
    next_step_due: date | None = None


class InteractionOut(BaseModel):
    id: int
    interaction_no: str
    source: Literal["crm", "channel", "import"]  # logged here, sent by a channel, imported
    occurred_at: UtcDateTime
    channel: str
    direction: str
    topic: str
    outcome: str
    note: str | None  # shown in the full view only
    staff: str | None


class TaskOut(BaseModel):
    id: int
    customer_id: int
    assignee_id: int | None
    kind: str
    reason: str
    value_at_risk: float | None
    due_on: date
    status: str
    outcome: str | None
    created_by: str
    created_at: UtcDateTime
    source_as_of: date | None
    interaction_id: int | None
    closed_at: UtcDateTime | None
    closed_by: str | None
    version: int


class LoggedInteraction(BaseModel):
    interaction: InteractionOut
    follow_up: TaskOut | None


class WorklistItem(BaseModel):
    task: TaskOut
    customer_no: str
    customer_name: str
    assignee: str | None


class EventIn(BaseModel):
    """An event of a channel system (online or mobile banking, call centre)."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$", description="the channel's id"
    )
    customer_no: str = Field(min_length=1, max_length=32)
    channel: Channel
    occurred_at: DateTimeIn
    topic: str = Field(min_length=1, max_length=100, description="what happened, e.g. 'card'")
    direction: Direction = "inbound"
    outcome: Outcome
    note: str | None = Field(None, max_length=2000)


class EventOut(BaseModel):
    event_id: str
    customer_no: str
    interaction_id: int
    interaction_no: str
    received_at: UtcDateTime


class TaskIn(BaseModel):
    """A task a user opens by hand; the assignee defaults to the customer's manager."""

    model_config = ConfigDict(extra="forbid")

    customer_id: int = Field(ge=1, le=2**31 - 1)
    kind: TaskKind = "manual"
    reason: str = Field(min_length=1, max_length=500)
    due_on: date
    assignee_id: int | None = Field(None, ge=1, le=2**31 - 1)


class TaskClose(BaseModel):
    """Close a task: done or cancelled, with what came of it (and, optionally, the date it
    was due); `version` is the one last read."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)
    status: Literal["done", "cancelled"]
    outcome: str = Field(min_length=1, max_length=500)
    due_on: date | None = None


class TaskMove(BaseModel):
    """Move an open task's due date; `version` is the one last read."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)
    due_on: date


TaskUpdate = TaskClose | TaskMove
