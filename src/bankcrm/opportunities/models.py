"""Opportunities: a product the bank hopes to sell to a customer or a prospect, its stage
history and the tasks of the departments involved (credit, legal, operations...)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, TimestampMixin, utcnow

PROBABILITY = Numeric(5, 4)


class Opportunity(TimestampMixin, Base):
    """A sale in progress for exactly one customer or one prospect. `probability` is the
    stage's at the last change (kept, so the expected value of the past stays right);
    `holding_id` is set when the won product appears in an extract (linking.py)."""

    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint("(customer_id IS NULL) <> (prospect_id IS NULL)", name="one_party"),
        Index("ix_opportunities_owner_stage", "owner_id", "stage"),
        Index("ix_opportunities_branch_stage", "branch_id", "stage"),
        Index("ix_opportunities_product_stage", "product_id", "stage"),
        Index("ix_opportunities_stage_close", "stage", "expected_close_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_no: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))
    stage: Mapped[str] = mapped_column(String(16))
    probability: Mapped[Decimal] = mapped_column(PROBABILITY)
    expected_close_on: Mapped[date]
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    description: Mapped[str | None] = mapped_column(Text)
    lost_reason: Mapped[str | None] = mapped_column(String(32))
    lost_note: Mapped[str | None] = mapped_column(String(500))
    # The referral that brought it (referrals are another feature: the lead adds the FK).
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    holding_id: Mapped[int | None] = mapped_column(ForeignKey("holdings.id"), unique=True)
    linked_at: Mapped[datetime | None] = mapped_column(DateTime)
    won_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class OpportunityStageChange(Base):
    """One move of an opportunity (from_stage None: its creation), with the probability the
    settings gave the new stage at that moment."""

    __tablename__ = "opportunity_stage_changes"
    __table_args__ = (Index("ix_opportunity_stage_changes_opp_at", "opportunity_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)
    probability: Mapped[Decimal] = mapped_column(PROBABILITY)


class OpportunityTask(TimestampMixin, Base):
    """Work a department does for the opportunity, e.g. the credit department's review."""

    __tablename__ = "opportunity_tasks"
    __table_args__ = (
        Index("ix_opportunity_tasks_opp_status", "opportunity_id", "status"),
        Index("ix_opportunity_tasks_department_status", "department", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"))
    department: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="open")
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(80))
