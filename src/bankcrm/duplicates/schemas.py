"""What the duplicates API returns and accepts."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bankcrm.kit.schemas import UtcDateTime
from bankcrm.security.roles import View

Version = Field(ge=1, le=2**31 - 1)
CandidateStatus = Literal["open", "dismissed", "merged"]
MergeStatus = Literal["proposed", "approved", "rejected", "reversed"]
RecordType = Literal["customer", "prospect"]


class CandidateQuery(BaseModel):
    """Filters of the candidate list; all optional."""

    model_config = ConfigDict(extra="forbid")

    status: CandidateStatus | None = None
    min_score: float | None = Field(None, ge=-100, le=100)


class MergeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: MergeStatus | None = None


class RecordRef(BaseModel):
    type: RecordType
    id: int
    number: str  # customer_no or prospect_no
    name: str | None
    branch_id: int


class RecordSide(RecordRef):
    """One record of a pair, side by side with the other; masked for masked roles."""

    kind: str
    national_id: str | None
    birth_date: date | None
    email: str | None
    phone: str | None
    address: str | None
    postal_code: str | None
    city: str | None
    status: str
    view: View


class MatchedField(BaseModel):
    field: str
    level: Literal["exact", "similar"]


class CandidateOut(BaseModel):
    id: int
    score: float
    status: CandidateStatus
    matched: list[MatchedField]
    left: RecordRef
    right: RecordRef
    detected_at: UtcDateTime
    dismissed_reason: str | None
    version: int


class MergeOut(BaseModel):
    id: int
    candidate_id: int | None
    status: MergeStatus
    survivor: RecordRef
    merged: RecordRef
    reason: str
    proposed_by: str
    proposed_at: UtcDateTime
    decided_by: str | None
    decided_at: UtcDateTime | None
    decision_note: str | None
    reversed_by: str | None
    reversed_at: UtcDateTime | None
    reverse_reason: str | None
    version: int


class CandidatePair(BaseModel):
    candidate: CandidateOut
    left: RecordSide
    right: RecordSide
    merges: list[MergeOut]  # proposals and merges of this pair, newest first


class Dismiss(BaseModel):
    """Not the same person (or not worth a merge): the pair leaves the open list and a
    re-run of detection keeps it dismissed."""

    model_config = ConfigDict(extra="forbid")

    version: int = Version
    reason: str = Field(min_length=1, max_length=500)


class ProposeMerge(BaseModel):
    """The maker's proposal; `survivor` is the side that stays the main record (a
    customer, never a prospect)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Version  # of the candidate
    survivor: Literal["left", "right"] = "left"
    reason: str = Field(min_length=1, max_length=2000)


class Decide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Version
    note: str | None = Field(None, min_length=1, max_length=500)


class Reverse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Version
    reason: str = Field(min_length=1, max_length=500)


class DetectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_type: RecordType
    record_id: int = Field(ge=1, le=2**31 - 1)


class DetectResult(BaseModel):
    records_compared: int
    pairs_compared: int
    candidates: list[CandidateOut]  # the record's pairs over the threshold, in your scope
