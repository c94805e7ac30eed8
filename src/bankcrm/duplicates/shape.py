"""Records, candidates and merges shaped for one caller (masked as customers are)."""

from __future__ import annotations

from bankcrm.customers.models import Customer
from bankcrm.customers.shape import display_name
from bankcrm.duplicates.detect import matched_list
from bankcrm.duplicates.models import DuplicateCandidate, RecordMerge
from bankcrm.duplicates.schemas import (
    CandidateOut,
    MatchedField,
    MergeOut,
    RecordRef,
    RecordSide,
)
from bankcrm.prospects.models import Prospect
from bankcrm.security.masking import mask_email, mask_tail
from bankcrm.security.roles import View

Record = Customer | Prospect
# What the audit log says a side-by-side read showed.
PERSONAL_FIELDS = (
    "name", "national_id", "birth_date", "email", "phone", "address", "postal_code", "city",
)  # fmt: skip
LIST_FIELDS = ("number", "name")


def name_of(record: Record) -> str:
    if isinstance(record, Customer):
        return display_name(record)
    if record.company_name:
        return record.company_name
    return " ".join(p for p in (record.first_name, record.last_name) if p)


def ref(record: Record) -> RecordRef:
    if isinstance(record, Customer):
        return RecordRef(
            type="customer",
            id=record.id,
            number=record.customer_no,
            name=name_of(record),
            branch_id=record.branch_id,
        )
    return RecordRef(
        type="prospect",
        id=record.id,
        number=record.prospect_no,
        name=name_of(record),
        branch_id=record.branch_id,
    )


def side(record: Record, view: View) -> RecordSide:
    masked = view is not View.FULL
    return RecordSide(
        **ref(record).model_dump(),
        kind=record.kind,
        national_id=mask_tail(record.national_id) if masked else record.national_id,
        birth_date=None if masked else record.birth_date,
        email=mask_email(record.email) if masked else record.email,
        phone=mask_tail(record.phone, 3) if masked else record.phone,
        address=None if masked else record.address,
        postal_code=record.postal_code,
        city=record.city,
        status=record.status,
        view=view,
    )


def candidate(c: DuplicateCandidate, left: Record, right: Record) -> CandidateOut:
    return CandidateOut(
        id=c.id,
        score=c.score,
        status=c.status,
        matched=[MatchedField(field=f, level=lvl) for f, lvl in matched_list(c.matched)],
        left=ref(left),
        right=ref(right),
        detected_at=c.detected_at,
        dismissed_reason=c.dismissed_reason,
        version=c.version,
    )


def merge(m: RecordMerge, survivor: Record, merged: Record, users: dict[int, str]) -> MergeOut:
    def user(uid: int | None) -> str | None:
        return users.get(uid, f"user {uid}") if uid is not None else None

    return MergeOut(
        id=m.id,
        candidate_id=m.candidate_id,
        status=m.status,
        survivor=ref(survivor),
        merged=ref(merged),
        reason=m.reason,
        proposed_by=user(m.proposed_by) or "",
        proposed_at=m.proposed_at,
        decided_by=user(m.decided_by),
        decided_at=m.decided_at,
        decision_note=m.decision_note,
        reversed_by=user(m.reversed_by),
        reversed_at=m.reversed_at,
        reverse_reason=m.reverse_reason,
        version=m.version,
    )
