"""Opportunities shaped for one caller: the party's name only for a full view."""

from __future__ import annotations

from decimal import Decimal

from bankcrm.customers.models import Customer
from bankcrm.opportunities.models import Opportunity, OpportunityStageChange, OpportunityTask
from bankcrm.opportunities.schemas import (
    Named,
    OpportunitySummary,
    Party,
    ProductRef,
    StageChangeOut,
    TaskOut,
)
from bankcrm.products.models import Product
from bankcrm.prospects.models import Prospect
from bankcrm.security.roles import View

CENTS = Decimal("0.01")
# What the audit log says a read of an opportunity showed.
PERSONAL_FIELDS = ("party_reference", "party_name", "amount", "description", "history", "tasks")
LIST_FIELDS = ("opportunity_no", "party_reference", "party_name", "amount")


def _person(first: str | None, last: str | None, company: str | None) -> str:
    return company or " ".join(p for p in (first, last) if p)


def party(customer: Customer | None, prospect: Prospect | None, view: View) -> Party:
    full = view is View.FULL
    if customer is not None:
        name = _person(customer.first_name, customer.last_name, customer.company_name)
        return Party(
            kind="customer",
            id=customer.id,
            reference=customer.customer_no,
            name=name if full else None,
        )
    assert prospect is not None  # the CHECK constraint: one of the two
    name = _person(prospect.first_name, prospect.last_name, prospect.company_name)
    return Party(
        kind="prospect", id=prospect.id, reference=prospect.prospect_no, name=name if full else None
    )


def weighted(amount: Decimal, probability: Decimal | float) -> Decimal:
    return (Decimal(amount) * Decimal(str(probability))).quantize(CENTS)


def summary(
    opportunity: Opportunity,
    customer: Customer | None,
    prospect: Prospect | None,
    product: Product,
    view: View,
    staff: dict[int, str],
    branches: dict[int, str],
) -> OpportunitySummary:
    return OpportunitySummary(
        id=opportunity.id,
        opportunity_no=opportunity.opportunity_no,
        party=party(customer, prospect, view),
        product=ProductRef(
            id=product.id, code=product.product_code, name=product.name, category=product.category
        ),
        amount=opportunity.amount,
        currency=opportunity.currency,
        stage=opportunity.stage,
        probability=float(opportunity.probability),
        weighted_amount=weighted(opportunity.amount, opportunity.probability),
        expected_close_on=opportunity.expected_close_on,
        owner=Named(id=opportunity.owner_id, name=staff.get(opportunity.owner_id, "")),
        branch=Named(id=opportunity.branch_id, name=branches.get(opportunity.branch_id, "")),
        version=opportunity.version,
        view=view,
    )


def change(record: OpportunityStageChange) -> StageChangeOut:
    return StageChangeOut(
        from_stage=record.from_stage,
        to_stage=record.to_stage,
        changed_at=record.changed_at,
        changed_by=record.changed_by,
        note=record.note,
        probability=float(record.probability),
    )


def task(record: OpportunityTask, staff: dict[int, str]) -> TaskOut:
    assignee = record.assignee_id
    return TaskOut(
        id=record.id,
        department=record.department,
        title=record.title,
        assignee=Named(id=assignee, name=staff.get(assignee, "")) if assignee else None,
        due_on=record.due_on,
        status=record.status,
        done_at=record.done_at,
        done_by=record.done_by,
        note=record.note,
        created_by=record.created_by,
    )
