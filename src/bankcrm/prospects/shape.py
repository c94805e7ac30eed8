"""Prospect records shaped for one caller: in full or masked, as a customer's would be."""

from __future__ import annotations

from bankcrm.customers.models import Customer
from bankcrm.prospects.models import Prospect, ProspectActivity
from bankcrm.prospects.schemas import ActivityOut, Named, ProspectOut, ProspectSummary, ReviewOut
from bankcrm.security.masking import mask_email, mask_tail
from bankcrm.security.roles import View

# The fields of a prospect that identify a person: what the audit log says was read.
PERSONAL_FIELDS = (
    "prospect_no",
    "first_name",
    "last_name",
    "company_name",
    "national_id",
    "birth_date",
    "email",
    "phone",
    "address",
    "postal_code",
    "needs",
    "activities",
)
LIST_FIELDS = ("prospect_no", "name")


def display_name(record: Prospect | Customer) -> str:
    if record.company_name:
        return record.company_name
    return " ".join(p for p in (record.first_name, record.last_name) if p)


def _named(id_: int | None, names: dict[int, str]) -> Named | None:
    return Named(id=id_, name=names.get(id_, "")) if id_ is not None else None


def summary(
    prospect: Prospect, view: View, branches: dict[int, str], staff: dict[int, str]
) -> ProspectSummary:
    return ProspectSummary(
        id=prospect.id,
        prospect_no=prospect.prospect_no,
        kind=prospect.kind,
        name=display_name(prospect),
        status=prospect.status,
        source=prospect.source,
        branch=Named(id=prospect.branch_id, name=branches.get(prospect.branch_id, "")),
        owner=_named(prospect.owner_id, staff),
        next_step=prospect.next_step,
        next_step_on=prospect.next_step_on,
        review=prospect.review_customer_id is not None,
        view=view,
    )


def activity(row: ProspectActivity, staff: str | None, view: View) -> ActivityOut:
    return ActivityOut(
        id=row.id,
        occurred_at=row.occurred_at,
        kind=row.kind,
        channel=row.channel,
        summary=row.summary,
        note=row.note if view is View.FULL else None,
        staff=staff,
        created_by=row.created_by,
    )


def detail(
    prospect: Prospect,
    view: View,
    branches: dict[int, str],
    staff: dict[int, str],
    activities: list[ActivityOut],
    review: ReviewOut | None,
) -> ProspectOut:
    masked = view is not View.FULL
    return ProspectOut(
        **summary(prospect, view, branches, staff).model_dump(
            include={"id", "prospect_no", "kind", "status", "source", "branch", "owner", "view"}
        ),
        national_id=mask_tail(prospect.national_id) if masked else prospect.national_id,
        first_name=prospect.first_name,
        last_name=prospect.last_name,
        company_name=prospect.company_name,
        birth_date=None if masked else prospect.birth_date,
        email=mask_email(prospect.email) if masked else prospect.email,
        phone=mask_tail(prospect.phone, 3) if masked else prospect.phone,
        address=None if masked else prospect.address,
        postal_code=prospect.postal_code,
        city=prospect.city,
        source_detail=prospect.source_detail,
        campaign_id=prospect.campaign_id,
        disqualified_reason=prospect.disqualified_reason,
        needs=None if masked else prospect.needs,
        next_step=prospect.next_step,
        next_step_on=prospect.next_step_on,
        marketing_consent=prospect.marketing_consent,
        converted_customer_id=prospect.converted_customer_id,
        converted_at=prospect.converted_at,
        converted_by=prospect.converted_by,
        review=review,
        created_by=prospect.created_by,
        created_at=prospect.created_at,
        version=prospect.version,
        activities=activities,
    )
