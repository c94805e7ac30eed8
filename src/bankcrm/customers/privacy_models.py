"""Consent history and erasure requests: the evidence of what a customer agreed to and
of what the bank erased (or had to keep) at their request. Ids and facts, no identity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, utcnow


class ConsentChange(Base):
    """One purpose's consent moving from one value to another: who, when, how given."""

    __tablename__ = "consent_changes"
    __table_args__ = (Index("ix_consent_changes_customer_at", "customer_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    purpose: Mapped[str] = mapped_column(String(16))  # marketing | profiling | sharing
    from_value: Mapped[bool]
    to_value: Mapped[bool]
    source: Mapped[str] = mapped_column(String(16))  # branch | phone | online | ... | erasure
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(500))


class ErasureRequest(Base):
    """A right-to-erasure request and its outcome: the JSON report of what was erased and
    what was kept, why and until when."""

    __tablename__ = "erasure_requests"
    __table_args__ = (Index("ix_erasure_requests_customer_at", "customer_id", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16))  # completed | partial
    report: Mapped[str] = mapped_column(Text)  # JSON
