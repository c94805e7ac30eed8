"""Prospects and what was done with them before they became customers.

A prospect's personal data is personal data: the same scope, masking and audit rules as a
customer's apply (prospects/service.py).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, TimestampMixin, utcnow

PROSPECT_KINDS = ("individual", "corporate")
PROSPECT_SOURCES = ("referral", "campaign", "walk_in", "event", "web_form", "partner")
PROSPECT_STATUSES = ("new", "contacted", "qualified", "converted", "disqualified")
OPEN_STATUSES = ("new", "contacted", "qualified")


class Prospect(TimestampMixin, Base):
    """Someone the bank wants as a customer. `national_id` holds a person's national id or
    a company's registration number, as on the customer record, so that the extract's
    customer with the same id converts the prospect."""

    __tablename__ = "prospects"
    __table_args__ = (
        Index("ix_prospects_branch_status", "branch_id", "status"),
        Index("ix_prospects_owner_status", "owner_id", "status"),
        Index("ix_prospects_last_name", "last_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prospect_no: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    national_id: Mapped[str | None] = mapped_column(String(64), index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company_name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[date | None]
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16))
    source_detail: Mapped[str | None] = mapped_column(String(200))  # which event, partner...
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    disqualified_reason: Mapped[str | None] = mapped_column(String(500))
    needs: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(String(500))
    next_step_on: Mapped[date | None]
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    # Conversion: set when the extract brings the same person or company as a customer.
    converted_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id"), index=True
    )
    converted_at: Mapped[datetime | None] = mapped_column(DateTime)
    converted_by: Mapped[str | None] = mapped_column(String(80))  # "import" or a username
    # A customer that looks like this prospect but has no matching id: a person decides.
    review_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    review_reason: Mapped[str | None] = mapped_column(String(200))
    # A customer a person decided is not this prospect: the import does not flag it again.
    not_same_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class ProspectActivity(Base):
    """A contact with a prospect or a change of its status. Once the prospect converts,
    these show on the customer's timeline with the customer's own interactions."""

    __tablename__ = "prospect_activities"
    __table_args__ = (Index("ix_prospect_activities_prospect_time", "prospect_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # contact | status | note | conversion
    channel: Mapped[str | None] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    summary: Mapped[str] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
