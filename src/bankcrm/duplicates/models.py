"""Likely duplicates and the merges that link them (nothing is ever deleted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, TimestampMixin

CANDIDATE_STATUSES = ("open", "dismissed", "merged")
MERGE_STATUSES = ("proposed", "approved", "rejected", "reversed")
LIVE_MERGE_STATUSES = ("proposed", "approved")  # a record is in at most one of these


class DuplicateCandidate(TimestampMixin, Base):
    """Two records that look like one person: a customer and another customer or an open
    prospect. `pair_key` ("c:12|c:40", "c:12|p:7") makes detection idempotent: a re-run
    updates the score of an open pair and leaves decided pairs as they are."""

    __tablename__ = "duplicate_candidates"
    __table_args__ = (Index("ix_duplicate_candidates_status_score", "status", "score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_key: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    other_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id"), index=True)
    score: Mapped[float]
    matched: Mapped[str] = mapped_column(String(300))  # "national_id=exact,name=similar"
    status: Mapped[str] = mapped_column(String(16), default="open")
    dismissed_reason: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    detected_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class RecordMerge(TimestampMixin, Base):
    """A merge of `merged` (a customer or a prospect) into the `survivor` customer, proposed
    by one user (maker) and approved or rejected by the branch manager of the survivor's
    branch (checker, never the proposer). Approval links, it never deletes or overwrites:
    both records stay, the survivor's 360 shows them together until the merge is
    reversed."""

    __tablename__ = "record_merges"
    __table_args__ = (Index("ix_record_merges_branch_status", "branch_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("duplicate_candidates.id"), index=True
    )
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))  # the survivor's
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    proposed_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))
    reversed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reverse_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
