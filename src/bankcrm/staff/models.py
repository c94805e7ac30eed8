"""Branches, the staff who serve customers, and moves of customers between managers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, ImportedMixin, TimestampMixin


class Branch(ImportedMixin, Base):
    __tablename__ = "branches"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100), index=True)
    city: Mapped[str | None] = mapped_column(String(100))
    opened_on: Mapped[date | None]


class Staff(ImportedMixin, Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_code: Mapped[str] = mapped_column(String(32), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    hired_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)


class PortfolioTransfer(TimestampMixin, Base):
    """A proposed move of customers from one manager to another (maker), approved or
    rejected by the branch manager of `branch_id` (checker), never by the proposer."""

    __tablename__ = "portfolio_transfers"
    __table_args__ = (Index("ix_portfolio_transfers_branch_status", "branch_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    from_manager_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    to_manager_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected
    handover_note: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    proposed_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    decision_note: Mapped[str | None] = mapped_column(String(500))


class PortfolioTransferItem(Base):
    """One customer of a transfer, with the handover note about that customer."""

    __tablename__ = "portfolio_transfer_items"
    __table_args__ = (UniqueConstraint("transfer_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("portfolio_transfers.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)


class ChurnWatch(TimestampMixin, Base):
    """A moved customer under watch by the new manager until `until` (a handover is when
    relationships are most often lost)."""

    __tablename__ = "churn_watches"
    __table_args__ = (
        UniqueConstraint("transfer_id", "customer_id"),
        Index("ix_churn_watches_manager_until", "manager_id", "until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("portfolio_transfers.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    starts_on: Mapped[date]
    until: Mapped[date]
