"""The referral pages over HTTP: every role on each page, the form from the customer page
(the person as the role may see them, errors next to the field), the decisions and their
stale-version message, and the routing table page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.referrals.models import Referral, ReferralRoute
from tests import records
from tests.integration.web.conftest import Bank
from tests.integration.web.test_pages import log_in

ROLES = (
    "account_manager",
    "account_manager_2",
    "branch_manager",
    "service_agent",
    "product_manager",
    "executive",
    "analyst",
    "auditor",
    "admin",
)
REFERRERS = ("account_manager", "account_manager_2", "branch_manager", "service_agent")


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(client: TestClient, bank: Bank, session: Session, role: str) -> None:
    referral = records.referral(session, bank.anna_customer, bank.users["service_agent"])
    session.commit()
    log_in(client, bank.users[role].username)
    expected = 200 if role in REFERRERS else 403
    assert client.get("/referrals").status_code == expected
    assert client.get("/referrals?tab=handle").status_code == expected
    assert client.get("/referrals/new").status_code == expected
    record = {"account_manager": 200, "branch_manager": 200, "service_agent": 200}
    shown = client.get(f"/referrals/{referral.id}")
    assert shown.status_code == record.get(role, 404 if role in REFERRERS else 403)
    routes = client.get("/referral-routes")
    assert routes.status_code == (200 if role in ("branch_manager", "admin") else 403)
    assert client.get("/referrals/abc").status_code in (404, 403)
    home = client.get("/").text
    assert ('data-area="referrals"' in home) == (role in REFERRERS)


def test_refer_from_the_customer_page(client: TestClient, bank: Bank, session: Session) -> None:
    csrf = log_in(client, bank.users["service_agent"].username)
    customer_page = client.get(f"/customers/{bank.anna_customer.id}").text
    assert f"/referrals/new?customer_id={bank.anna_customer.id}" in customer_page
    form = client.get(f"/referrals/new?customer_id={bank.anna_customer.id}").text
    assert bank.anna_customer.customer_no in form
    assert bank.anna_customer.last_name not in form  # masked: the reference only
    data = {"customer_id": str(bank.anna_customer.id), "line": "", "need": "", "csrf_token": csrf}
    refused = client.post("/referrals/new", data=data)
    assert refused.status_code == 200
    assert 'id="refer-line-error"' in refused.text and 'id="refer-need-error"' in refused.text
    assert session.scalar(select(Referral.id)) is None
    data.update(line="mortgages", need="wants a mortgage for a flat")
    done = client.post("/referrals/new", data=data, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "The referral is sent." in page.text and "wants a mortgage for a flat" in page.text
    assert 'data-testid="form-convert"' not in page.text  # the referrer does not decide
    listed = client.get("/referrals").text
    assert "wants a mortgage for a flat" in listed


def test_refer_a_walk_in_by_number(client: TestClient, bank: Bank, session: Session) -> None:
    csrf = log_in(client, bank.users["account_manager_2"].username)
    data = {"person": "NO-SUCH", "line": "insurance", "need": "home insurance", "csrf_token": csrf}
    refused = client.post("/referrals/new", data=data)
    assert "No customer or prospect has this number." in refused.text
    data["person"] = bank.anna_customer.customer_no
    done = client.post("/referrals/new", data=data, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "Outside your scope: the reference only." in page
    assert bank.anna_customer.last_name not in page


def test_the_assignee_accepts_and_converts_and_a_stale_form_says_so(
    client: TestClient, bank: Bank, session: Session
) -> None:
    referral = records.referral(session, bank.anna_customer, bank.users["service_agent"])
    session.commit()
    csrf = log_in(client, bank.users["account_manager"].username)
    url = f"/referrals/{referral.id}"
    todo = client.get("/referrals?tab=handle").text
    assert referral.referral_no in todo
    page = client.get(url).text
    assert bank.anna_customer.last_name in page and 'data-testid="form-accept"' in page
    accepted = client.post(f"{url}/accept", data={"version": "1", "csrf_token": csrf})
    assert "You accepted the referral." in accepted.text
    stale = client.post(f"{url}/decline", data={"version": "1", "reason": "x", "csrf_token": csrf})
    assert "Someone changed this meanwhile." in stale.text
    no_reason = client.post(
        f"{url}/decline", data={"version": "2", "reason": " ", "csrf_token": csrf}
    )
    assert 'id="decline-reason-error"' in no_reason.text
    done = client.post(
        f"{url}/convert", data={"version": "2", "outcome_note": "signed", "csrf_token": csrf}
    )
    assert "The referral is converted" in done.text and "signed" in done.text
    assert client.post(f"{url}/nonsense", data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"{url}/accept", data={"version": "3"}).status_code == 403  # no token


def test_the_routing_table_page(client: TestClient, bank: Bank, session: Session) -> None:
    csrf = log_in(client, bank.users["branch_manager"].username)
    empty = client.post(
        "/referral-routes", data={"line": "insurance", "staff_id": "", "csrf_token": csrf}
    )
    assert 'id="route-staff_id-error"' in empty.text
    data = {"line": "insurance", "staff_id": str(bank.anna.id), "csrf_token": csrf}
    added = client.post("/referral-routes", data=data)
    assert "The route is added." in added.text and bank.anna.last_name in added.text
    again = client.post("/referral-routes", data=data)
    assert "This line already has an active route there" in again.text
    route = session.scalars(select(ReferralRoute)).one()
    assert route.branch_id == bank.north.id
    off = client.post(
        f"/referral-routes/{route.id}", data={"version": "1", "active": "0", "csrf_token": csrf}
    )
    assert "The route is changed." in off.text
    assert re.search(r"Switch on", off.text)
