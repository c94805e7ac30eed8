"""The management dashboard's answer: aggregates of one scoring date (and one earlier date
for tier migration). Nothing here names or identifies a customer: counts, sums, means and
the bank-wide results `bankcrm score` stored."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Scope(BaseModel):
    """Whose customers the per-customer aggregates cover: the bank, or one branch."""

    bank_wide: bool
    branch_id: int | None = None
    branch_name: str | None = None


class Count(BaseModel):
    code: str  # a tier or band code
    customers: int


class Migration(BaseModel):
    """Customers per (tier at `compare_to`, tier at `as_of`); `new`: scored at `as_of`
    only, `gone`: scored at `compare_to` only, per tier."""

    from_date: date
    to_date: date
    tiers: list[str]
    matrix: list[list[int]]  # rows: from tier, columns: to tier, in `tiers` order
    new: list[int]
    gone: list[int]


class Bin(BaseModel):
    low: float | None  # None: open below
    high: float | None  # None: open above
    customers: int


class BranchRow(BaseModel):
    """One branch's aggregates at `as_of` (its current customers)."""

    branch_id: int
    branch: str
    customers: int
    contribution: float
    gold_share: float  # 0..1
    mean_churn_probability: float
    value_at_risk: float
    clv: float
    complaints: int  # opened in the twelve months up to `as_of`


class Lorenz(BaseModel):
    """Concentration of contribution, bank-wide (stored by `bankcrm score`)."""

    customers: int
    share_for_80: float  # share of customers (top first) producing 80% of positive contribution
    top_20_share: float  # share of positive contribution of the top 20% of customers
    unprofitable_share: float
    curve: list[tuple[float, float]]  # (share of customers, cumulative share of contribution)


class TopicMonth(BaseModel):
    month: str  # YYYY-MM
    topic: str
    complaints: int


class ProductDemand(BaseModel):
    """Expected take-up next quarter against what was opened before, per product."""

    product_id: int
    product: str
    customers: int  # scored for it (not holding it)
    expected: float
    opened_last_quarter: int
    opened_year_ago: int


class Segment(BaseModel):
    segment_id: int
    name: str
    description: str
    customers: int
    share: float
    mean_contribution: float | None = None


class Rule(BaseModel):
    antecedent: list[str]
    consequent: str
    support: float
    confidence: float
    lift: float
    sentence: str


class Dashboard(BaseModel):
    """Everything the dashboard page shows, for `as_of` against `compare_to`."""

    runs: list[date] = Field(description="Scoring dates, latest first")
    as_of: date | None = Field(description="None: no scoring run yet (run `bankcrm score`)")
    compare_to: date | None
    scope: Scope
    customers: int
    contribution: float
    value_at_risk: float
    clv: float
    mean_churn_probability: float | None
    tiers: list[Count]
    bands: list[Count]
    migration: Migration | None
    clv_bins: list[Bin]
    branches: list[BranchRow]
    lorenz: Lorenz | None
    complaint_months: list[str]
    complaints: list[TopicMonth]
    demand: list[ProductDemand]
    segments: list[Segment]
    rules: list[Rule]
