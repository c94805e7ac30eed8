"""What the service desk API accepts and returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bankcrm.kit.schemas import UtcDateTime
from bankcrm.security.roles import View

CaseKind = Literal["complaint", "request", "feedback", "praise"]
CaseStatus = Literal["open", "in_progress", "resolved", "closed"]
CasePriority = Literal["low", "normal", "high", "urgent"]
CaseChannel = Literal["visit", "phone", "branch", "online", "mobile", "email", "messaging"]


class CaseIn(BaseModel):
    """A new case for a customer."""

    model_config = ConfigDict(extra="forbid")

    kind: CaseKind
    topic: str = Field(min_length=1, max_length=100)
    channel: CaseChannel
    priority: CasePriority = "normal"
    description: str | None = Field(None, max_length=4000)


class CaseChange(BaseModel):
    """Assign, move on or resolve a case; `version` is the one last read."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)
    assignee_id: int | None = Field(None, ge=1, le=2**31 - 1)
    status: Literal["in_progress", "resolved", "closed"] | None = None
    resolution: str | None = Field(None, min_length=1, max_length=4000)
    priority: CasePriority | None = None


class CaseQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: CaseStatus | None = None
    kind: CaseKind | None = None
    priority: CasePriority | None = None
    breached: bool | None = None
    unresolved: bool | None = None  # true: open or in progress; false: resolved or closed
    customer_id: int | None = Field(None, ge=1, le=2**31 - 1)


class CaseCustomer(BaseModel):
    id: int
    reference: str  # the customer number
    name: str | None  # only for callers who see the customer in full


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csat: int = Field(ge=1, le=5, description="satisfaction with the handling, 1 to 5")
    nps: int = Field(ge=0, le=10, description="how likely to recommend the bank, 0 to 10")
    comment: str | None = Field(None, max_length=2000)


class SurveyOut(BaseModel):
    csat: int
    nps: int
    comment: str | None
    recorded_at: UtcDateTime
    recorded_by: str


class Escalation(BaseModel):
    at: UtcDateTime
    by: str
    branch_id: int | None
    to_user_id: int | None
    to_username: str | None


class CaseSummary(BaseModel):
    id: int
    case_no: str
    customer: CaseCustomer
    kind: str
    topic: str
    channel: str
    priority: str
    status: str
    opened_at: UtcDateTime
    due_at: UtcDateTime | None
    resolved_at: UtcDateTime | None
    breached: bool
    assignee_id: int | None
    version: int
    view: View


class CaseOut(CaseSummary):
    description: str | None
    resolution: str | None
    opened_by: str | None
    tier_at_opening: str | None
    sla_hours: int | None
    closed_at: UtcDateTime | None
    escalation: Escalation | None
    survey: SurveyOut | None
    satisfaction: int | None


class MonthCount(BaseModel):
    month: str  # YYYY-MM
    kind: str
    topic: str
    cases: int


class CaseAnalytics(BaseModel):
    """Aggregates only: no customer, no case text."""

    cases: int
    by_month: list[MonthCount]
    by_kind: dict[str, int]
    by_topic: dict[str, int]
    mean_csat: float | None
    csat_responses: int
    nps: float | None  # promoters % - detractors %, -100..100
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    sla_cases: int  # cases with a due time whose outcome is known
    sla_kept: int
    sla_kept_percent: float | None


class EscalationReport(BaseModel):
    escalated: int
    case_ids: list[int]
    due_times_set: int = 0  # imported cases given their SLA due time first
