"""What the portfolio-transfer and scorecard API accepts and returns."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bankcrm.kit.schemas import UtcDateTime
from bankcrm.security.roles import View

TEXT = r"^[^\x00]*$"  # PostgreSQL refuses NUL in text
DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]
MAX_CUSTOMERS = 5000  # customers in one transfer


class TransferFilter(BaseModel):
    """Narrows the from-manager's customers; every criterion optional, combined with AND."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["individual", "corporate"] | None = None
    status: Literal["active", "dormant", "closed", "deceased"] | None = None
    tier: Literal["gold", "growth", "general", "unprofitable"] | None = None
    band: Literal["top", "important", "core", "mass"] | None = None
    region: str | None = Field(None, max_length=100, pattern=TEXT)


class CustomerNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: DbId
    note: str = Field(min_length=1, max_length=4000, pattern=TEXT)


class TransferIn(BaseModel):
    """The customers who move: `customer_ids` (each must be the from-manager's) narrowed by
    `filter`; without ids, the from-manager's customers that match `filter` (without
    either: the whole portfolio, e.g. when a manager leaves)."""

    model_config = ConfigDict(extra="forbid")

    from_manager_id: DbId
    to_manager_id: DbId
    customer_ids: list[DbId] | None = Field(None, min_length=1, max_length=MAX_CUSTOMERS)
    filter: TransferFilter | None = None
    handover_note: str = Field(min_length=10, max_length=10_000, pattern=TEXT)
    customer_notes: list[CustomerNote] = Field(
        default_factory=list, max_length=MAX_CUSTOMERS, description="per customer (optional)"
    )


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=500, pattern=TEXT)


class TransferCustomer(BaseModel):
    customer_id: int
    reference: str
    name: str | None
    note: str | None


class TransferOut(BaseModel):
    id: int
    branch_id: int
    from_manager_id: int
    to_manager_id: int
    status: Literal["pending", "approved", "rejected"]
    handover_note: str
    proposed_by: str
    proposed_at: UtcDateTime
    decided_by: str | None
    decided_at: UtcDateTime | None
    decision_note: str | None
    customers: list[TransferCustomer]
    watches_created: int


class WatchOut(BaseModel):
    customer_id: int
    reference: str
    name: str | None
    manager_id: int
    transfer_id: int
    starts_on: date
    until: date
    handover_note: str
    customer_note: str | None
    churn_probability: float | None
    view: View


class Measure(BaseModel):
    name: str
    value: float | None  # in the measure's unit; None: no data in the period
    unit: str
    basis: int  # how many customers (or cases) the value is computed from
    attainment: float | None  # 0..1: how the value converts to points
    weight: float
    points: float | None


class Scorecard(BaseModel):
    staff_id: int
    name: str
    customers_at_start: int
    customers_at_end: int
    measures: list[Measure]
    total: float  # out of 100: the points over the weights of measures that had data
    weights_with_data: float


class Scorecards(BaseModel):
    period_from: date
    period_to: date
    weights: dict[str, float]
    scorecards: list[Scorecard]
