"""A bank with likely duplicates, for the duplicate API and page tests: the bank
fixture's Anna customer with a second customer number and as a walk-in prospect."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.duplicates import detect
from bankcrm.duplicates.models import DuplicateCandidate
from bankcrm.prospects.models import Prospect
from tests import records
from tests.integration.web.conftest import Bank


@dataclass
class Pairs:
    twin: Customer  # a second customer number of bank.anna_customer
    prospect: Prospect  # bank.anna_customer again, as a walk-in prospect
    customers: int  # candidate id of anna_customer + twin
    with_prospect: int  # candidate id of anna_customer + prospect


def _unique_contacts(session: Session, bank: Bank) -> None:
    """The bank fixture's customers share a phone; give each its own details."""
    for i, c in enumerate((bank.anna_customer, bank.boris_customer, bank.south_customer)):
        c.phone = f"+420 60{i} 111 22{i}"
        c.national_id = f"7{i}0{i}1{i}/55{i}{i}"
        c.birth_date = c.birth_date.replace(year=1970 + 5 * i)
        c.first_name = ("Karel", "Lukas", "Zdenek")[i]
        c.postal_code = f"5{i}000"


@pytest.fixture(name="pairs")
def pairs_fixture(session: Session, bank: Bank) -> Pairs:
    _unique_contacts(session, bank)
    a = bank.anna_customer
    twin = records.customer(
        session,
        bank.north,
        bank.anna,
        first_name=a.last_name,  # names swapped
        last_name=a.first_name,
        national_id=(a.national_id or "").replace("/", ""),
        birth_date=a.birth_date,
        phone="00420" + (a.phone or "").replace("+420", "").replace(" ", ""),
        email=(a.email or "").upper(),
        postal_code=a.postal_code,
    )
    records.holding(session, twin, records.product(session, category="savings"))
    records.interaction(session, twin, topic="second number opened")
    prospect = records.duplicate_prospect(
        session,
        bank.north,
        bank.anna,
        first_name=a.first_name,
        last_name=a.last_name,
        birth_date=a.birth_date,
        email=a.email,
        phone=a.phone,
    )
    records.prospect_activity(session, prospect, summary="Walked in about a mortgage")
    session.flush()
    detect.detect_all(session)
    session.commit()
    ids = {
        (c.other_customer_id, c.prospect_id): c.id
        for c in session.scalars(
            select(DuplicateCandidate).where(DuplicateCandidate.customer_id == a.id)
        )
    }
    return Pairs(twin, prospect, ids[(twin.id, None)], ids[(None, prospect.id)])
