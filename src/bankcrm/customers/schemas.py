"""What the customer API returns and accepts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from bankcrm.interactions.schemas import TaskOut
from bankcrm.kit.schemas import UtcDateTime
from bankcrm.security.roles import View

SORTABLE = (
    "name",
    "customer_no",
    "onboarded_on",
    "contribution",
    "clv",
    "churn_probability",
    "value_at_risk",
)
SortKey = Literal[
    "name",
    "-name",
    "customer_no",
    "-customer_no",
    "onboarded_on",
    "-onboarded_on",
    "contribution",
    "-contribution",
    "clv",
    "-clv",
    "churn_probability",
    "-churn_probability",
    "value_at_risk",
    "-value_at_risk",
]


class CustomerQuery(BaseModel):
    """Filters of the customer list; all optional, combined with AND."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=100, description="customer number or name prefix")
    kind: Literal["individual", "corporate"] | None = None
    status: Literal["active", "dormant", "closed", "deceased"] | None = None
    tier: Literal["gold", "growth", "general", "unprofitable"] | None = None
    band: Literal["top", "important", "core", "mass"] | None = None
    segment: str | None = Field(None, max_length=80)
    branch_id: int | None = Field(None, ge=1, le=2**31 - 1)
    manager_id: int | None = Field(None, ge=1, le=2**31 - 1)
    min_churn_probability: float | None = Field(None, ge=0, le=1)
    sort: SortKey = "name"


class Named(BaseModel):
    id: int
    name: str


class CustomerSummary(BaseModel):
    id: int
    reference: str  # the customer number, or a pseudonym for pseudonymised views
    kind: str
    name: str | None
    status: str
    branch: Named | None
    manager: Named | None
    tier: str | None
    band: str | None
    segment: str | None
    contribution: float | None
    clv: float | None
    churn_probability: float | None
    value_at_risk: float | None
    view: View


class Profile(BaseModel):
    id: int
    customer_no: str
    kind: str
    first_name: str | None
    last_name: str | None
    company_name: str | None
    national_id: str | None
    birth_date: date | None
    sex: str | None
    email: str | None
    phone: str | None
    address: str | None
    postal_code: str | None
    city: str | None
    region: str | None
    country: str | None
    occupation: str | None
    industry: str | None
    annual_income: Decimal | None
    risk_rating: str | None
    kyc_status: str
    kyc_review_due: date | None
    onboarded_on: date
    status: str
    branch: Named | None
    manager: Named | None
    version: int
    view: View


class HoldingOut(BaseModel):
    account_no: str
    product_code: str
    product_name: str
    category: str
    opened_on: date
    closed_on: date | None
    currency: str
    balance: Decimal
    credit_limit: Decimal | None
    interest_rate: Decimal | None
    status: str
    loan_status: str | None
    source_record: str | None = None  # a linked record's number when it holds this


class TransactionOut(BaseModel):
    account_no: str
    booked_on: date
    direction: str
    amount: Decimal
    balance_after: Decimal | None
    channel: str
    category: str


class RelationshipOut(BaseModel):
    kind: str
    direction: Literal["from", "to"]  # from: this customer is <kind> of the other
    other_id: int | None  # None when the other customer is outside the caller's scope
    other_name: str | None
    share_percent: Decimal | None
    since: date | None
    loans_outstanding: Decimal


class Exposure(BaseModel):
    """Loans outstanding of the customer and of the connected group (household, spouse,
    guarantees, parent and subsidiary companies, shareholders)."""

    own: Decimal
    connected: Decimal
    combined: Decimal
    customers: int


class ScoreOut(BaseModel):
    as_of: date
    contribution: float
    net_interest: float
    fee_income: float
    cost_to_serve: float
    expected_loss: float
    tier: str
    band: str
    tier_reason: str
    p_alive: float
    clv: float
    clv_low: float
    clv_high: float
    churn_probability: float
    churn_reasons: list[str]
    value_at_risk: float
    segment: str | None


class TierChangeOut(BaseModel):
    as_of: date
    from_tier: str | None
    to_tier: str
    reason: str


class OfferOut(BaseModel):
    as_of: date
    product_code: str
    product_name: str
    rank: int
    propensity: float
    expected_value: float
    explanation: str


class CaseOut(BaseModel):
    id: int
    case_no: str
    kind: str
    topic: str
    channel: str
    priority: str
    status: str
    opened_at: UtcDateTime
    resolved_at: UtcDateTime | None


class TimelineEntry(BaseModel):
    at: UtcDateTime
    source: Literal["interaction", "case", "prospect"]  # prospect: before they were a customer
    channel: str
    topic: str
    outcome: str  # the contact's outcome, the case's status, or the prospect activity's kind
    staff: str | None
    note: str | None
    prospect_no: str | None = None  # the prospect this customer was, for prospect entries
    source_record: str | None = None  # a linked record's number when the entry is its


class LinkedRecord(BaseModel):
    """A record linked to this customer by an approved merge (duplicates/): `merged` ones
    show their holdings and timeline here; `survivor` is the customer this one was merged
    into (whose page shows the combined view)."""

    merge_id: int
    role: Literal["merged", "survivor"]
    type: Literal["customer", "prospect"]
    id: int
    number: str
    name: str | None
    email: str | None
    phone: str | None
    address: str | None
    linked_at: UtcDateTime | None


class Consent(BaseModel):
    marketing: bool
    profiling: bool
    sharing: bool


class Customer360(BaseModel):
    profile: Profile
    consent: Consent
    holdings: list[HoldingOut]
    recent_transactions: list[TransactionOut]
    relationships: list[RelationshipOut]
    exposure: Exposure
    score: ScoreOut | None
    tier_history: list[TierChangeOut]
    offers: list[OfferOut]
    open_cases: list[CaseOut]
    open_tasks: list[TaskOut]
    timeline: list[TimelineEntry]
    linked_records: list[LinkedRecord] = []


class CustomerUpdate(BaseModel):
    """Contact details a manager or agent may correct; `version` is the one last read."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)
    email: EmailStr | None = None
    phone: str | None = Field(None, min_length=3, max_length=40, pattern=r"^\+?[0-9 ()-]+$")
    address: str | None = Field(None, min_length=1, max_length=200)
    postal_code: str | None = Field(None, min_length=1, max_length=20)
    city: str | None = Field(None, min_length=1, max_length=100)
    occupation: str | None = Field(None, min_length=1, max_length=100)
