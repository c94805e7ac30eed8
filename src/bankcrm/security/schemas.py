"""What the security API accepts and returns."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bankcrm.kit.schemas import DateTimeIn, UtcDateTime
from bankcrm.security.break_glass import MAX_MINUTES, MIN_REASON


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: UtcDateTime


class SessionOut(BaseModel):
    csrf_token: str
    expires_at: UtcDateTime


class Me(BaseModel):
    actor: str
    role: str
    branch_id: int | None
    staff_id: int | None
    scopes: list[str]


class BreakGlassIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # At least MIN_REASON characters once the surrounding spaces are stripped.
    reason: str = Field(
        min_length=MIN_REASON, max_length=500, pattern=rf"^\s*\S[\s\S]{{{MIN_REASON - 2},}}\S\s*$"
    )
    minutes: int = Field(30, ge=1, le=MAX_MINUTES)


class BreakGlassOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    username: str
    reason: str
    granted_at: UtcDateTime
    expires_at: UtcDateTime
    reviewed_at: UtcDateTime | None


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str | None = Field(None, max_length=80)
    record_type: str | None = Field(None, max_length=40)
    record_id: str | None = Field(None, max_length=64)
    action: str | None = Field(None, max_length=32)
    since: DateTimeIn | None = None
    until: DateTimeIn | None = None


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: UtcDateTime
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
