"""What the security API accepts and returns."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime


class SessionOut(BaseModel):
    csrf_token: str
    expires_at: datetime


class Me(BaseModel):
    actor: str
    role: str
    branch_id: int | None
    staff_id: int | None
    scopes: list[str]


class BreakGlassIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=10, max_length=500)
    minutes: int = Field(30, ge=1, le=24 * 60)


class BreakGlassOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    username: str
    reason: str
    granted_at: datetime
    expires_at: datetime
    reviewed_at: datetime | None


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str | None = Field(None, max_length=80)
    record_type: str | None = Field(None, max_length=40)
    record_id: str | None = Field(None, max_length=64)
    action: str | None = Field(None, max_length=32)
    since: datetime | None = None
    until: datetime | None = None


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    record_type: str
    record_id: str | None
    record_ids: list[int | str] | None
    fields: list[str]
    ip: str | None
    reason: str | None
    request_id: str | None

    @field_validator("record_ids", "fields", mode="before")
    @classmethod
    def _json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value
