"""Complaints, requests, feedback and praise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, ImportedMixin


class Case(ImportedMixin, Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_customer_opened", "customer_id", "opened_at"),
        Index("ix_cases_status_opened", "status", "opened_at"),
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
