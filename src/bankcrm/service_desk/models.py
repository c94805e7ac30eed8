"""Complaints, requests, feedback and praise; their SLA, escalation and surveys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, ImportedMixin, TimestampMixin, utcnow


class Case(ImportedMixin, Base):
    """A case from core banking (imported) or opened in the CRM (case_no `CRM-...`).

    The SLA fields are set when the CRM opens a case: the customer's tier at that moment,
    its hours and the due time. `breached` is set by the escalation job once an unresolved
    case is past due, with whom it went to and when."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_customer_opened", "customer_id", "opened_at"),
        Index("ix_cases_status_opened", "status", "opened_at"),
        Index("ix_cases_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    topic: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    description: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None]
    opened_by: Mapped[str | None] = mapped_column(String(80))
    tier_at_opening: Mapped[str | None] = mapped_column(String(16))
    sla_hours: Mapped[int | None]
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    breached: Mapped[bool] = mapped_column(default=False, server_default=false())
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_by: Mapped[str | None] = mapped_column(String(80))
    escalated_branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


class CaseSurvey(TimestampMixin, Base):
    """The satisfaction survey taken when a case closes: at most one per case."""

    __tablename__ = "case_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    csat: Mapped[int]  # 1..5
    nps: Mapped[int]  # 0..10: how likely to recommend the bank
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(80))
