"""What the opportunities API accepts and returns."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bankcrm.kit.schemas import UtcDateTime
from bankcrm.security.roles import View

Stage = Literal[
    "identified", "needs_analysis", "proposal", "credit_review", "approved", "won", "lost"
]
LostReason = Literal[
    "price", "competitor", "credit_declined", "customer_withdrew", "no_need", "no_response", "other"
]
Department = Literal["credit", "legal", "operations", "compliance", "treasury", "product"]
Outcome = Literal["open", "won", "lost", "closed"]
Dimension = Literal["manager", "branch", "product"]
MOST = Decimal("9999999999999999.99")  # Numeric(18, 2)
FAR_PAST, FAR_FUTURE = date(2000, 1, 1), date(2100, 12, 31)


class OpportunityIn(BaseModel):
    """A new opportunity for one customer or one prospect (exactly one of the two ids)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: int | None = Field(None, ge=1, le=2**31 - 1)
    prospect_id: int | None = Field(None, ge=1, le=2**31 - 1)
    product_id: int = Field(ge=1, le=2**31 - 1)
    amount: Decimal = Field(gt=0, le=MOST, max_digits=18, decimal_places=2)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    expected_close_on: date = Field(ge=FAR_PAST, le=FAR_FUTURE)
    owner_id: int | None = Field(None, ge=1, le=2**31 - 1)
    description: str | None = Field(None, max_length=4000)
    referral_id: int | None = Field(None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _one_party(self) -> OpportunityIn:
        if (self.customer_id is None) == (self.prospect_id is None):
            raise ValueError("give exactly one of customer_id and prospect_id")
        return self


class OpportunityChange(BaseModel):
    """Change the terms; `version` is the one last read (the stage moves by its own route)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)
    amount: Decimal | None = Field(None, gt=0, le=MOST, max_digits=18, decimal_places=2)
    expected_close_on: date | None = Field(None, ge=FAR_PAST, le=FAR_FUTURE)
    description: str | None = Field(None, max_length=4000)
    owner_id: int | None = Field(None, ge=1, le=2**31 - 1)


class StageMove(BaseModel):
    """Move to `stage`; back to an earlier stage needs a `note`, lost needs a `lost_reason`."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)
    stage: Stage
    note: str | None = Field(None, min_length=1, max_length=2000)
    lost_reason: LostReason | None = None
    lost_note: str | None = Field(None, max_length=500)


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: Department
    title: str = Field(min_length=1, max_length=200)
    assignee_id: int | None = Field(None, ge=1, le=2**31 - 1, description="a staff id")
    due_on: date | None = Field(None, ge=FAR_PAST, le=FAR_FUTURE)


class TaskDone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["done", "cancelled"] = "done"
    note: str | None = Field(None, max_length=500)


class OpportunityQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mine: bool | None = None  # true: only those the caller owns
    stage: Stage | None = None
    outcome: Outcome | None = None  # open: not won or lost; closed: won or lost
    product_id: int | None = Field(None, ge=1, le=2**31 - 1)
    customer_id: int | None = Field(None, ge=1, le=2**31 - 1)
    prospect_id: int | None = Field(None, ge=1, le=2**31 - 1)
    owner_id: int | None = Field(None, ge=1, le=2**31 - 1)
    branch_id: int | None = Field(None, ge=1, le=2**31 - 1)


class Party(BaseModel):
    """The customer or prospect, as the caller may see it."""

    kind: Literal["customer", "prospect"]
    id: int
    reference: str  # the customer or prospect number
    name: str | None  # only for callers who see the party in full


class Named(BaseModel):
    id: int
    name: str


class ProductRef(BaseModel):
    id: int
    code: str
    name: str
    category: str


class OpportunitySummary(BaseModel):
    id: int
    opportunity_no: str
    party: Party
    product: ProductRef
    amount: Decimal
    currency: str
    stage: Stage
    probability: float
    weighted_amount: Decimal
    expected_close_on: date
    owner: Named
    branch: Named
    version: int
    view: View


class StageChangeOut(BaseModel):
    from_stage: Stage | None
    to_stage: Stage
    changed_at: UtcDateTime
    changed_by: str
    note: str | None
    probability: float


class TaskOut(BaseModel):
    id: int
    department: Department
    title: str
    assignee: Named | None
    due_on: date | None
    status: Literal["open", "done", "cancelled"]
    done_at: UtcDateTime | None
    done_by: str | None
    note: str | None
    created_by: str


class OpportunityOut(OpportunitySummary):
    description: str | None
    lost_reason: LostReason | None
    lost_note: str | None
    referral_id: int | None
    holding_id: int | None
    won_on: date | None
    closed_on: date | None
    created_by: str
    created_at: UtcDateTime
    lending: bool  # the product needs a credit review
    next_stages: list[Stage]  # where the caller may move it now
    history: list[StageChangeOut]
    tasks: list[TaskOut]


class StageFigure(BaseModel):
    """One stage of one manager, branch or product: how many, how much, how much expected."""

    key: int
    label: str
    stage: Stage
    currency: str
    count: int
    amount: Decimal
    weighted_amount: Decimal


class MonthFigure(BaseModel):
    month: str  # YYYY-MM of the expected close
    currency: str
    count: int
    amount: Decimal
    weighted_amount: Decimal


class WinLoss(BaseModel):
    """Closed opportunities of one product or segment."""

    key: str
    label: str
    won: int
    lost: int
    win_rate: float | None
    won_amount: Decimal
    lost_reasons: dict[str, int]


class Pipeline(BaseModel):
    by: Dimension
    currency: str | None
    currencies: list[str]
    by_stage: list[StageFigure]
    by_month: list[MonthFigure]
    by_product: list[WinLoss]
    by_segment: list[WinLoss]
    lost_reasons: dict[str, int]
