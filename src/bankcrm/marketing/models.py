"""Campaigns and their target lists: who is targeted, who was left out and why, and what
each targeted customer answered."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, TimestampMixin


class Campaign(TimestampMixin, Base):
    """A product offered on a channel between two dates to the customers of a segment.

    `branch_id` is set when a branch manager runs the campaign for their branch (its target
    list holds only that branch's customers); None for a bank-wide campaign."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    segment: Mapped[str] = mapped_column(Text)  # JSON: the segment definition
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    targeted_at: Mapped[datetime | None] = mapped_column(DateTime)  # last target-list build
    exclusions: Mapped[str | None] = mapped_column(Text)  # JSON: {reason: count}


class CampaignMember(TimestampMixin, Base):
    """One customer the segment matched. `status` is `excluded` (with `exclusion_reason`:
    no_consent or closed_or_deceased) or the outcome so far: targeted, contacted, accepted,
    declined. Accepted and declined are the labels the propensity models can learn from
    (`marketing.repository.campaign_responses`)."""

    __tablename__ = "campaign_members"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id"),
        Index("ix_campaign_members_customer_status", "customer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(16))
    exclusion_reason: Mapped[str | None] = mapped_column(String(32))
    contacted_at: Mapped[datetime | None] = mapped_column(DateTime)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
