"""Contacts with customers on every channel, channel events, and tasks for managers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, ImportedMixin, TimestampMixin, utcnow


class Interaction(ImportedMixin, Base):
    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_customer_time", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_no: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    occurred_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


# What a task asks of its assignee. The first four come from `bankcrm tasks generate`
# (at most one open task of each per customer); follow-ups and manual tasks come from users.
TASK_KINDS = ("retention_call", "offer", "review", "kyc_refresh", "follow_up", "manual")
GENERATED_KINDS = ("retention_call", "offer", "review", "kyc_refresh")
TASK_STATUSES = ("open", "done", "cancelled")
_OPEN_GENERATED = "status = 'open' AND kind IN ('retention_call', 'offer', 'review', 'kyc_refresh')"


class Task(TimestampMixin, Base):
    """Something a manager should do for a customer, and why; `version` guards updates."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_customer_status", "customer_id", "status"),
        Index("ix_tasks_assignee_status", "assignee_id", "status"),
        Index("ix_tasks_status_due", "status", "due_on"),
        # No second open task of a generated kind for one customer, even under a race.
        Index(
            "uq_tasks_open_generated",
            "customer_id",
            "kind",
            unique=True,
            sqlite_where=text(_OPEN_GENERATED),
            postgresql_where=text(_OPEN_GENERATED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    value_at_risk: Mapped[float | None] = mapped_column(Float)
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(80))
    source_as_of: Mapped[date | None]  # the score date a generated task came from
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class ChannelEvent(Base):
    """A channel system's event, once: (source, event_id) is unique, so a repeat (or two
    copies at once) maps to the interaction the first one created."""

    __tablename__ = "channel_events"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(80))  # the service client, e.g. service:mobile
    event_id: Mapped[str] = mapped_column(String(100))
    payload_hash: Mapped[str] = mapped_column(String(64))
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
