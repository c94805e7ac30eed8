"""Referrals of a customer or prospect to a specialist line, and the routing table that
sends each to the right manager (referrals/routing.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, TimestampMixin

LINES = ("wealth_management", "mortgages", "corporate_lending", "insurance", "trade_finance")
STATUSES = ("open", "accepted", "converted", "declined")
OPEN_STATUSES = ("open", "accepted")  # still waiting for an outcome
ROUTED_BY = ("own_manager", "line_branch", "line_bank", "unrouted", "assigned")


class Referral(TimestampMixin, Base):
    """One referral: who referred whom (a customer or a prospect, never both) to which line
    for what need, whom the routing rules sent it to and why, and what came of it."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(
            "(customer_id IS NULL) <> (prospect_id IS NULL)", name="customer_xor_prospect"
        ),
        Index("ix_referrals_referred_by_created", "referred_by", "created_at"),
        Index("ix_referrals_referrer_staff_created", "referrer_staff_id", "created_at"),
        Index("ix_referrals_assigned_status", "assigned_to", "status"),
        Index("ix_referrals_branch_status", "branch_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_no: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id"), index=True)
    line: Mapped[str] = mapped_column(String(24))
    need: Mapped[str] = mapped_column(String(500))
    referred_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    referrer_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    routed_by: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    declined_reason: Mapped[str | None] = mapped_column(String(500))
    outcome_note: Mapped[str | None] = mapped_column(String(500))
    # The opportunity the referral became (opportunities are another feature's table).
    # The opportunity the referral turned into (opportunities and referrals point at each
    # other, so this key is added after both tables exist: use_alter).
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", use_alter=True), index=True
    )
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class ReferralRoute(TimestampMixin, Base):
    """Who takes a line's referrals in a branch (`branch_id` None: the bank-wide fallback).
    At most one active route per line and branch (the service keeps it so)."""

    __tablename__ = "referral_routes"
    __table_args__ = (Index("ix_referral_routes_branch_line", "branch_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line: Mapped[str] = mapped_column(String(24))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
