"""Users, their tokens and sessions, login attempts, break-glass grants and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, TimestampMixin, utcnow


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # The pages' language the user chose (en | zh_Hans); None: the browser's cookie decides.
    language: Mapped[str | None] = mapped_column(String(16))


class AccessToken(Base):
    """A bearer token, a browser session or a channel system's service token. Only the
    SHA-256 of the secret is stored: a copy of the database does not let anyone in."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # bearer | session | service
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    client_name: Mapped[str | None] = mapped_column(String(64))  # service tokens
    scopes: Mapped[str] = mapped_column(String(200), default="")  # space-separated
    csrf_hash: Mapped[str | None] = mapped_column(String(64))  # browser sessions
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    succeeded: Mapped[bool]


class BreakGlassGrant(Base):
    """One user may see one customer unmasked, for a stated reason, until `expires_at`."""

    __tablename__ = "break_glass_grants"
    __table_args__ = (Index("ix_break_glass_user_customer", "user_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)  # reported to
    reason: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditEvent(Base):
    """Append-only (database triggers refuse UPDATE and DELETE): who did what to which
    record, which fields, when, from where and why. Holds identifiers, never the data."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_record", "record_type", "record_id"),
        Index("ix_audit_events_actor_at", "actor", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # username or service:<client>
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))  # read | list | create | update | ...
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(64))
    record_ids: Mapped[str | None] = mapped_column(Text)  # JSON list, for list reads
    fields: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of field names
    ip: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    request_id: Mapped[str | None] = mapped_column(String(64))
