"""Contacts with customers on every channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, ImportedMixin


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
