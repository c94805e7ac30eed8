"""What the consent, export and erasure API accepts and returns."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bankcrm.kit.schemas import UtcDateTime

Purpose = Literal["marketing", "profiling", "sharing"]
PURPOSES: tuple[Purpose, ...] = ("marketing", "profiling", "sharing")
ConsentSource = Literal["branch", "phone", "online", "mobile", "email", "letter", "import"]


class ConsentChangeOut(BaseModel):
    purpose: str
    from_value: bool
    to_value: bool
    source: str
    changed_at: UtcDateTime
    actor: str
    note: str | None


class ConsentOut(BaseModel):
    customer_id: int
    marketing: bool
    profiling: bool
    sharing: bool
    history: list[ConsentChangeOut]  # newest first


class ConsentIn(BaseModel):
    """The customer's choice per purpose (omitted purposes stay as they are) and how it
    was given."""

    model_config = ConfigDict(extra="forbid")

    marketing: bool | None = None
    profiling: bool | None = None
    sharing: bool | None = None
    source: ConsentSource
    note: str | None = Field(None, max_length=500)


class Erased(BaseModel):
    item: str  # e.g. contact_details, scores
    action: Literal["erased", "pseudonymised", "deleted"]
    detail: str
    records: int  # changed by this request (0 when an earlier request already did it)


class Kept(BaseModel):
    item: str
    hold: str  # aml_record_keeping | open_loan | bookkeeping | consent_evidence | audit_log
    reason: str
    until: date | None  # None: while the hold lasts (an open loan, an active relationship)


class Hold(BaseModel):
    kind: Literal["aml_record_keeping", "open_loan"]
    reason: str
    until: date | None


class ErasureReport(BaseModel):
    request_id: int
    customer_id: int
    requested_at: UtcDateTime
    requested_by: str
    status: Literal["completed", "partial"]  # partial: a legal hold keeps some data
    repeated: bool  # the same outcome as an earlier request: nothing changed now
    holds: list[Hold]
    erased: list[Erased]
    kept: list[Kept]
