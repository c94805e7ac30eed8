"""Customer records shaped for one caller: in full, masked or pseudonymised."""

from __future__ import annotations

from bankcrm.analytics.models import CustomerScore
from bankcrm.customers.models import Customer
from bankcrm.customers.schemas import CustomerSummary, Named, Profile
from bankcrm.security.masking import mask_email, mask_tail
from bankcrm.security.roles import View
from bankcrm.security.secrets import pseudonym

# The fields of a profile that identify a person: what the audit log says was read.
PERSONAL_FIELDS = (
    "customer_no",
    "first_name",
    "last_name",
    "company_name",
    "national_id",
    "birth_date",
    "email",
    "phone",
    "address",
    "postal_code",
)
LIST_FIELDS = ("customer_no", "name")


def display_name(customer: Customer) -> str:
    if customer.company_name:
        return customer.company_name
    return " ".join(p for p in (customer.first_name, customer.last_name) if p)


def summary(
    customer: Customer,
    score: CustomerScore | None,
    view: View,
    key: str,
    branches: dict[int, str],
    managers: dict[int, str],
) -> CustomerSummary:
    hidden = view is View.PSEUDONYMISED
    manager = customer.manager_id
    return CustomerSummary(
        id=customer.id,
        reference=pseudonym(key, customer.customer_no) if hidden else customer.customer_no,
        kind=customer.kind,
        name=None if hidden else display_name(customer),
        status=customer.status,
        branch=Named(id=customer.branch_id, name=branches.get(customer.branch_id, "")),
        manager=Named(id=manager, name=managers.get(manager, "")) if manager else None,
        tier=score.tier if score else None,
        band=score.band if score else None,
        segment=score.segment if score else None,
        contribution=score.contribution if score else None,
        clv=score.clv if score else None,
        churn_probability=score.churn_probability if score else None,
        value_at_risk=score.value_at_risk if score else None,
        view=view,
    )


def profile(customer: Customer, view: View, branch: Named | None, manager: Named | None) -> Profile:
    masked = view is not View.FULL
    return Profile(
        id=customer.id,
        customer_no=customer.customer_no,
        kind=customer.kind,
        first_name=customer.first_name,
        last_name=customer.last_name,
        company_name=customer.company_name,
        national_id=mask_tail(customer.national_id) if masked else customer.national_id,
        birth_date=None if masked else customer.birth_date,
        sex=customer.sex,
        email=mask_email(customer.email) if masked else customer.email,
        phone=mask_tail(customer.phone, 3) if masked else customer.phone,
        address=None if masked else customer.address,
        postal_code=customer.postal_code,
        city=customer.city,
        region=customer.region,
        country=customer.country,
        occupation=customer.occupation,
        industry=customer.industry,
        annual_income=None if masked else customer.annual_income,
        risk_rating=customer.risk_rating,
        kyc_status=customer.kyc_status,
        kyc_review_due=customer.kyc_review_due,
        onboarded_on=customer.onboarded_on,
        status=customer.status,
        branch=branch,
        manager=manager,
        version=customer.version,
        view=view,
    )


def account_no(value: str, view: View) -> str:
    return value if view is View.FULL else (mask_tail(value) or "")
