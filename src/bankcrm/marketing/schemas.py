"""What the segment and campaign API accepts and returns."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bankcrm.kit.schemas import DateTimeIn, UtcDateTime
from bankcrm.security.roles import View

Tier = Literal["gold", "growth", "general", "unprofitable"]
Band = Literal["top", "important", "core", "mass"]
Kind = Literal["individual", "corporate"]
Status = Literal["active", "dormant", "closed", "deceased"]
Category = Literal[
    "current_account",
    "savings_account",
    "term_deposit",
    "consumer_loan",
    "mortgage",
    "business_loan",
    "credit_card",
    "debit_card",
    "wealth_management",
    "insurance",
    "payroll",
    "cash_management",
    "trade_finance",
]
Channel = Literal["phone", "email", "mail", "branch", "visit", "online", "mobile", "messaging"]
ExclusionReason = Literal["no_consent", "closed_or_deceased", "out_of_scope"]
Outcome = Literal["contacted", "accepted", "declined"]
MemberStatus = Literal["targeted", "contacted", "accepted", "declined", "excluded"]

BIG = 1e15  # larger than any money amount the bank holds
TEXT = r"^[^\x00-\x1f]*$"  # no control characters (PostgreSQL refuses NUL in text)
DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Region = Annotated[str, Field(min_length=1, max_length=100, pattern=TEXT)]


class Range(BaseModel):
    """Inclusive bounds; either may be left out. A minimum above the maximum matches
    nobody (a schema cannot compare the two, so it is not an error)."""

    model_config = ConfigDict(extra="forbid")

    min: float | None = Field(None, ge=-BIG, le=BIG)
    max: float | None = Field(None, ge=-BIG, le=BIG)


class Probability(Range):
    min: float | None = Field(None, ge=0, le=1)
    max: float | None = Field(None, ge=0, le=1)


class AgeRange(BaseModel):
    """Age in whole years today, inclusive; customers without a birth date (companies)
    do not match."""

    model_config = ConfigDict(extra="forbid")

    min: int | None = Field(None, ge=0, le=130)
    max: int | None = Field(None, ge=0, le=130)


class SegmentDefinition(BaseModel):
    """Who a campaign is for. Every criterion is optional; the ones given are combined
    with AND, the values inside one list with OR. Score criteria read each customer's
    latest score; a customer without a score does not match them."""

    model_config = ConfigDict(extra="forbid")

    tiers: list[Tier] | None = Field(None, min_length=1, max_length=4)
    bands: list[Band] | None = Field(None, min_length=1, max_length=4)
    churn_probability: Probability | None = None
    clv: Range | None = None
    value_at_risk: Range | None = None
    contribution: Range | None = None
    kinds: list[Kind] | None = Field(None, min_length=1, max_length=2)
    statuses: list[Status] | None = Field(None, min_length=1, max_length=4)
    branch_ids: list[DbId] | None = Field(None, min_length=1, max_length=500)
    regions: list[Region] | None = Field(None, min_length=1, max_length=100)
    age: AgeRange | None = None
    holds: list[Category] | None = Field(
        None, min_length=1, max_length=13, description="holds an open product of each of these"
    )
    does_not_hold: list[Category] | None = Field(
        None, min_length=1, max_length=13, description="holds no open product of any of these"
    )


class SegmentPreview(BaseModel):
    customers: int  # matching, in the caller's scope
    with_marketing_consent: int
    reachable: int  # with consent and neither closed nor deceased: the target list's size


class SegmentSplit(BaseModel):
    """A preview's matching customers by their latest tier and value band (the segment
    builder page shows it; the API's preview stays three counts). Customers without a
    score are `unscored`."""

    tiers: dict[str, int]
    bands: dict[str, int]
    unscored: int


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=TEXT)
    product_id: DbId
    channel: Channel
    starts_on: date
    ends_on: date
    segment: SegmentDefinition


class Results(BaseModel):
    """Response rate = (accepted + declined) / contacted; acceptance rate = accepted /
    contacted; conversion = accepted / targeted. None while the denominator is 0."""

    targeted: int
    contacted: int
    accepted: int
    declined: int
    response_rate: float | None
    acceptance_rate: float | None
    conversion_rate: float | None


class CampaignOut(BaseModel):
    id: int
    name: str
    product_id: int
    product_code: str
    product_name: str
    channel: str
    starts_on: date
    ends_on: date
    segment: SegmentDefinition
    branch_id: int | None
    created_by: str | None
    created_at: UtcDateTime
    targeted_at: UtcDateTime | None
    results: Results


class Excluded(BaseModel):
    customer_id: int
    reference: str
    reason: ExclusionReason


class MemberOut(BaseModel):
    member_id: int
    customer_id: int
    reference: str  # the customer number
    name: str | None
    email: str | None
    phone: str | None
    branch_id: int
    status: MemberStatus
    contacted_at: UtcDateTime | None
    responded_at: UtcDateTime | None
    view: View


class TargetList(BaseModel):
    """Members have marketing consent; the others the segment matched are counted by
    reason and, when in the caller's scope, named in `excluded`."""

    campaign_id: int
    matched: int
    targeted: int
    excluded_counts: dict[ExclusionReason, int]
    excluded: list[Excluded]  # out-of-scope customers are counted only, never named
    members: list[MemberOut]


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    at: DateTimeIn | None = Field(None, description="when it happened; default: now")


class TargetPage(BaseModel):
    """One page of a target list for the campaign page: the list's counts and the targeted
    members of this page only (so only they are read and audited)."""

    campaign_id: int
    built_at: UtcDateTime
    matched: int
    targeted: int
    excluded_counts: dict[ExclusionReason, int]
    members: list[MemberOut]
    offset: int
    limit: int
