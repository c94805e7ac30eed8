"""/api/v1/customers: the list, the customer 360 and contact updates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from bankcrm.customers import service
from bankcrm.customers.schemas import (
    Customer360,
    CustomerQuery,
    CustomerSummary,
    CustomerUpdate,
    Profile,
)
from bankcrm.kit.pagination import Page, PageParams
from bankcrm.web.deps import PrincipalDep, RecordId, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


@router.get("", response_model=Page[CustomerSummary])
def list_customers(
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    query: Annotated[CustomerQuery, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[CustomerSummary]:
    """Customers in the caller's scope, with their latest tier and scores."""
    return service.list_customers(session, settings, principal, query, page.offset, page.limit)


@router.get("/{customer_id}", response_model=Customer360)
def get_customer(
    customer_id: RecordId, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> Customer360:
    """The customer 360: profile, holdings, recent transactions, relationships and
    exposure, scores, tier history, offers, open cases, timeline and consent."""
    return service.get_customer(session, settings, principal, customer_id)


@router.patch("/{customer_id}", response_model=Profile)
def update_customer(
    customer_id: RecordId, change: CustomerUpdate, session: SessionDep, principal: PrincipalDep
) -> Profile:
    """Correct contact details; send the `version` you read: a stale one gets 409."""
    return service.update_customer(session, principal, customer_id, change)
