"""Import batches, the rows they quarantined, and the history of changed records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, utcnow


class ImportBatch(Base):
    """One extract loaded as one unit: committed whole or not at all."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(32))
    lake_state: Mapped[str] = mapped_column(String(16), default="none")
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_loaded: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)
    rows_quarantined: Mapped[int] = mapped_column(default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class QuarantinedRow(Base):
    """A row that failed validation, kept with the batch so the bank can correct it."""

    __tablename__ = "quarantined_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    file: Mapped[str] = mapped_column(String(200))
    line: Mapped[int]
    column: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)


class RecordHistory(Base):
    """The previous values of a record an import changed, keyed by its external id."""

    __tablename__ = "record_history"
    __table_args__ = (Index("ix_record_history_entity_key", "entity", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    previous: Mapped[dict[str, Any]] = mapped_column(JSON)
