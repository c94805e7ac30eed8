"""What the prospect API accepts and returns."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from bankcrm.kit.schemas import DateTimeIn, UtcDateTime
from bankcrm.security.roles import View

Kind = Literal["individual", "corporate"]
Source = Literal["referral", "campaign", "walk_in", "event", "web_form", "partner"]
Status = Literal["new", "contacted", "qualified", "converted", "disqualified"]
# What a user may set; "converted" comes from a conversion only.
SettableStatus = Literal["new", "contacted", "qualified", "disqualified"]
Channel = Literal["visit", "phone", "branch", "online", "mobile", "email", "messaging"]
SortKey = Literal[
    "name", "-name", "prospect_no", "-prospect_no", "created_at", "-created_at",
    "next_step_on", "-next_step_on",
]  # fmt: skip
ID = Field(ge=1, le=2**31 - 1)
Phone = Field(None, min_length=3, max_length=40, pattern=r"^\+?[0-9 ()-]+$")
NationalId = Field(None, min_length=4, max_length=64, pattern=r"^[A-Za-z0-9/ .-]+$")


class Named(BaseModel):
    id: int
    name: str


class ProspectQuery(BaseModel):
    """Filters of the prospect list; all optional, combined with AND."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=100, description="prospect number or name prefix")
    status: Status | None = None
    source: Source | None = None
    owner_id: int | None = Field(None, ge=1, le=2**31 - 1)
    branch_id: int | None = Field(None, ge=1, le=2**31 - 1)
    sort: SortKey = "-created_at"


class _Details(BaseModel):
    """The fields a user may write on a prospect (all optional on a PATCH)."""

    model_config = ConfigDict(extra="forbid")

    national_id: str | None = NationalId
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    company_name: str | None = Field(None, min_length=1, max_length=200)
    birth_date: date | None = Field(None, ge=date(1900, 1, 1), le=date(2100, 1, 1))
    email: EmailStr | None = None
    phone: str | None = Phone
    address: str | None = Field(None, min_length=1, max_length=200)
    postal_code: str | None = Field(None, min_length=1, max_length=20)
    city: str | None = Field(None, min_length=1, max_length=100)
    source_detail: str | None = Field(None, min_length=1, max_length=200)
    needs: str | None = Field(None, min_length=1, max_length=4000)
    next_step: str | None = Field(None, min_length=1, max_length=500)
    next_step_on: date | None = Field(None, ge=date(1900, 1, 1), le=date(2100, 1, 1))
    marketing_consent: bool | None = None


class ProspectIn(_Details):
    """A new prospect: a person needs a last name, a company its name (the service says
    which is missing). Branch and owner default to the caller's own."""

    kind: Kind
    source: Source
    campaign_id: int | None = Field(None, ge=1, le=2**31 - 1)
    branch_id: int | None = Field(None, ge=1, le=2**31 - 1)
    owner_id: int | None = Field(None, ge=1, le=2**31 - 1)


class ProspectUpdate(_Details):
    """Changed fields only; `version` is the one last read (a stale one gets 409)."""

    version: int = ID


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = ID
    status: SettableStatus
    reason: str | None = Field(None, min_length=3, max_length=500, description="disqualified")


class ContactIn(BaseModel):
    """A contact with the prospect; the first one moves a new prospect to contacted."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    summary: str = Field(min_length=1, max_length=500)
    note: str | None = Field(None, max_length=2000)
    occurred_at: DateTimeIn | None = Field(None, description="when it happened; default: now")


class OwnerChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = ID
    owner_id: int = ID


class ReviewDecision(BaseModel):
    """For a prospect flagged for review: `same` converts it to the flagged customer,
    `not_same` clears the flag (the import will not flag that customer again)."""

    model_config = ConfigDict(extra="forbid")

    version: int = ID
    decision: Literal["same", "not_same"]


class ProspectSummary(BaseModel):
    id: int
    prospect_no: str
    kind: str
    name: str
    status: str
    source: str
    branch: Named
    owner: Named | None
    next_step: str | None
    next_step_on: date | None
    review: bool  # flagged for a person to decide whether it is a customer
    view: View


class ActivityOut(BaseModel):
    id: int
    occurred_at: UtcDateTime
    kind: str  # contact | status | conversion | review
    channel: str | None
    summary: str
    note: str | None  # in the full view only
    staff: str | None
    created_by: str


class ReviewOut(BaseModel):
    customer_id: int
    customer_no: str | None  # None when the customer is outside the caller's scope
    customer_name: str | None
    reason: str | None


class ProspectOut(BaseModel):
    id: int
    prospect_no: str
    kind: str
    national_id: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    birth_date: date | None
    email: str | None
    phone: str | None
    address: str | None
    postal_code: str | None
    city: str | None
    source: str
    source_detail: str | None
    campaign_id: int | None
    branch: Named
    owner: Named | None
    status: str
    disqualified_reason: str | None
    needs: str | None
    next_step: str | None
    next_step_on: date | None
    marketing_consent: bool
    converted_customer_id: int | None
    converted_at: UtcDateTime | None
    converted_by: str | None
    review: ReviewOut | None
    created_by: str
    created_at: UtcDateTime
    version: int
    view: View
    activities: list[ActivityOut]


class Count(BaseModel):
    status: str
    source: str
    prospects: int


class ProspectFunnel(BaseModel):
    """Aggregates only: prospects by status and source, and conversions."""

    total: int
    converted: int
    counts: list[Count]
