"""What the referrals API accepts and returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bankcrm.kit.schemas import UtcDateTime
from bankcrm.security.roles import View

Line = Literal["wealth_management", "mortgages", "corporate_lending", "insurance", "trade_finance"]
ReferralStatus = Literal["open", "accepted", "converted", "declined"]
RoutedBy = Literal["own_manager", "line_branch", "line_bank", "unrouted", "assigned"]
Box = Literal["made", "assigned", "branch"]


class ReferralIn(BaseModel):
    """A referral of one customer or one prospect (exactly one of the two ids)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: int | None = Field(None, ge=1, le=2**31 - 1)
    prospect_id: int | None = Field(None, ge=1, le=2**31 - 1)
    line: Line
    need: str = Field(
        min_length=1, max_length=500, description="the need in a sentence, as the person said it"
    )

    @model_validator(mode="after")
    def _one_person(self) -> ReferralIn:
        if (self.customer_id is None) == (self.prospect_id is None):
            raise ValueError("send exactly one of customer_id and prospect_id")
        if not self.need.strip():
            raise ValueError("need: say what the person needs in a sentence")
        return self


class Versioned(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1, description="the version last read")


class Conversion(Versioned):
    outcome_note: str | None = Field(None, min_length=1, max_length=500)
    opportunity_id: int | None = Field(None, ge=1, le=2**31 - 1)


class Decline(Versioned):
    reason: str = Field(min_length=1, max_length=500)


class Assignment(Versioned):
    staff_id: int = Field(ge=1, le=2**31 - 1)


class ReferralQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    box: Box = Field("made", description="made by me, assigned to me, or my branch's")
    status: ReferralStatus | None = None


class ReferralPerson(BaseModel):
    """The person referred, as the caller may see them: the reference always, the name and
    contact details only in full view, the contact details masked in masked view."""

    kind: Literal["customer", "prospect"]
    id: int
    reference: str
    name: str | None
    phone: str | None
    email: str | None


class ReferralSummary(BaseModel):
    id: int
    referral_no: str
    person: ReferralPerson
    line: str
    need: str
    status: str
    routed_by: str
    branch_id: int
    assigned_to: int | None
    assignee_name: str | None
    referred_by: int
    referrer: str
    created_at: UtcDateTime
    decided_at: UtcDateTime | None
    version: int
    view: View | None  # None: reference only (the person is outside the caller's scope)


class ReferralOut(ReferralSummary):
    referrer_staff_id: int | None
    branch_name: str | None
    outcome_note: str | None
    declined_reason: str | None
    opportunity_id: int | None
    accepted_at: UtcDateTime | None
    decided_by: str | None
    can_handle: bool  # the caller may accept, convert or decline it
    can_assign: bool  # the caller may send it to someone else (the branch manager)


class RouteIn(BaseModel):
    """A routing rule: the line's referrals in `branch_id` (none: bank-wide) go to staff."""

    model_config = ConfigDict(extra="forbid")

    line: Line
    branch_id: int | None = Field(None, ge=1, le=2**31 - 1)
    staff_id: int = Field(ge=1, le=2**31 - 1)


class RouteChange(Versioned):
    staff_id: int | None = Field(None, ge=1, le=2**31 - 1)
    active: bool | None = None


class RouteOut(BaseModel):
    id: int
    line: str
    branch_id: int | None
    branch_name: str | None
    staff_id: int
    staff_name: str
    active: bool
    created_by: str
    version: int
