"""Referrals through the API: the routing rules (each branch of the rule), every role on
every referral route, masking of the person referred, decisions with optimistic locking,
the audit, and the hook the opportunities feature calls when an opportunity is won."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bankcrm.referrals import service
from bankcrm.referrals.models import Referral
from bankcrm.security.models import AuditEvent
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from tests import records
from tests.integration.web.conftest import Bank, Login

NEED = "wants to buy a flat next spring"
REFERRERS = ("account_manager", "account_manager_2", "branch_manager", "service_agent")
OTHERS = ("product_manager", "executive", "analyst", "auditor", "admin")


def _refer(
    client: TestClient, headers: dict[str, str], line: str = "mortgages", **person: int
) -> dict[str, object]:
    response = client.post(
        "/api/v1/referrals", json={**person, "line": line, "need": NEED}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == action, AuditEvent.record_type == "referral"
            )
        )
    )


# --- routing rules ------------------------------------------------------------------------


def test_own_manager_first(client: TestClient, bank: Bank, login: Login) -> None:
    body = _refer(client, login(bank.users["service_agent"]), customer_id=bank.anna_customer.id)
    assert (body["assigned_to"], body["routed_by"]) == (bank.anna.id, "own_manager")
    assert body["status"] == "open" and str(body["referral_no"]).startswith("REF-")
    assert body["referral_no"] == f"REF-{body['id']:08d}"


def test_line_and_branch_route_when_no_manager(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    walk_in = records.customer(session, bank.north)
    records.referral_route(session, "mortgages", bank.north, bank.boris)
    records.referral_route(session, "mortgages", None, bank.carla)  # bank-wide: not used
    records.referral_route(session, "insurance", bank.north, bank.anna)  # another line
    session.commit()
    body = _refer(client, login(bank.users["service_agent"]), customer_id=walk_in.id)
    assert (body["assigned_to"], body["routed_by"]) == (bank.boris.id, "line_branch")


def test_inactive_manager_and_route_fall_through_to_the_bank_wide_route(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    gone = records.staff(session, bank.north, active=False)
    customer = records.customer(session, bank.north, gone)
    records.referral_route(session, "mortgages", bank.north, bank.boris, active=False)
    left = records.staff(session, bank.north, active=False)
    records.referral_route(session, "mortgages", bank.north, left)  # active route, staff gone
    records.referral_route(session, "mortgages", bank.south, bank.anna)  # another branch
    records.referral_route(session, "mortgages", None, bank.carla)
    session.commit()
    body = _refer(client, login(bank.users["service_agent"]), customer_id=customer.id)
    assert (body["assigned_to"], body["routed_by"]) == (bank.carla.id, "line_bank")


def test_unrouted_waits_on_the_branch_managers_list(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    walk_in = records.customer(session, bank.north)
    records.referral_route(session, "insurance", None, bank.carla)  # another line
    session.commit()
    body = _refer(client, login(bank.users["service_agent"]), customer_id=walk_in.id)
    assert (body["assigned_to"], body["routed_by"]) == (None, "unrouted")
    manager = login(bank.users["branch_manager"])
    listed = client.get("/api/v1/referrals?box=branch&status=open", headers=manager).json()
    assert [r["id"] for r in listed["items"]] == [body["id"]]
    assert listed["items"][0]["routed_by"] == "unrouted"
    # The branch manager sends it on; it is open for the new assignee.
    sent = client.post(
        f"/api/v1/referrals/{body['id']}/assign",
        json={"version": body["version"], "staff_id": bank.boris.id},
        headers=manager,
    ).json()
    assert (sent["assigned_to"], sent["routed_by"], sent["status"]) == (
        bank.boris.id,
        "assigned",
        "open",
    )


def test_prospects_go_to_their_owner_else_by_line_and_branch(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    owned = records.referral_prospect(session, bank.south, bank.carla)
    unowned = records.referral_prospect(session, bank.south)
    records.referral_route(session, "wealth_management", bank.south, bank.anna)
    session.commit()
    headers = login(bank.users["service_agent"])
    first = _refer(client, headers, "wealth_management", prospect_id=owned.id)
    second = _refer(client, headers, "wealth_management", prospect_id=unowned.id)
    assert (first["assigned_to"], first["routed_by"]) == (bank.carla.id, "own_manager")
    assert (second["assigned_to"], second["routed_by"]) == (bank.anna.id, "line_branch")
    assert second["person"]["kind"] == "prospect"  # type: ignore[index]
    # A prospect's personal data is masked for a service agent, as a customer's.
    assert second["view"] == "masked" and second["person"]["name"] is None  # type: ignore[index]
    assert second["person"]["email"].startswith("e***@")  # type: ignore[index]
    # Carla, the owner (south), sees the prospect in full; anna, the routed specialist too.
    owner = client.get(
        f"/api/v1/referrals/{first['id']}", headers=login(bank.users["account_manager_2"])
    ).json()
    assert owner["view"] == "full" and owner["person"]["name"].startswith("Eva ")


# --- input and the CHECK constraint -------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"line": "mortgages", "need": NEED}, "body"),
        ({"customer_id": 1, "prospect_id": 1, "line": "mortgages", "need": NEED}, "body"),
        ({"customer_id": 1, "line": "yachts", "need": NEED}, "body.line"),
        ({"customer_id": 1, "line": "mortgages", "need": "x" * 501}, "body.need"),
        ({"customer_id": 1, "line": "mortgages"}, "body.need"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, bank: Bank, login: Login, payload: dict[str, object], field: str
) -> None:
    response = client.post(
        "/api/v1/referrals", json=payload, headers=login(bank.users["service_agent"])
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_missing_person_is_404_and_ended_customer_409(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    closed = records.customer(session, bank.north, bank.anna, status="closed")
    session.commit()
    headers = login(bank.users["service_agent"])
    for person in ({"customer_id": 999999}, {"prospect_id": 999999}):
        response = client.post(
            "/api/v1/referrals", json={**person, "line": "insurance", "need": NEED}, headers=headers
        )
        assert response.status_code == 404, response.text
    response = client.post(
        "/api/v1/referrals",
        json={"customer_id": closed.id, "line": "insurance", "need": NEED},
        headers=headers,
    )
    assert response.status_code == 409 and response.json()["field"] == "customer_id"


def test_the_database_refuses_both_or_neither_person(session: Session, bank: Bank) -> None:
    prospect = records.referral_prospect(session, bank.north)
    for extra in ({"prospect_id": prospect.id}, {"customer_id": None}):
        with pytest.raises(IntegrityError), session.begin_nested():
            records.referral(session, bank.anna_customer, bank.users["service_agent"], **extra)


# --- scope matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("role", REFERRERS + OTHERS)
def test_who_may_refer_and_list(client: TestClient, bank: Bank, login: Login, role: str) -> None:
    headers = login(bank.users[role])
    response = client.post(
        "/api/v1/referrals",
        json={"customer_id": bank.south_customer.id, "line": "insurance", "need": NEED},
        headers=headers,
    )
    assert response.status_code == (201 if role in REFERRERS else 403), response.text
    for box in ("made", "assigned", "branch"):
        listed = client.get(f"/api/v1/referrals?box={box}", headers=headers)
        if role not in REFERRERS or (box == "branch" and role != "branch_manager"):
            assert listed.status_code == 403
        else:
            assert listed.status_code == 200
    if role in REFERRERS:
        made = client.get("/api/v1/referrals?box=made", headers=headers).json()
        assert [r["id"] for r in made["items"]] == [response.json()["id"]]


# role -> (read, accept, assign) of a referral of anna's customer made by the service agent
MATRIX = {
    "account_manager": (200, 200, 403),  # anna: the assignee
    "account_manager_2": (404, 404, 404),  # carla: not involved
    "branch_manager": (200, 200, 200),  # north: the referral's branch
    "service_agent": (200, 403, 403),  # the referrer: sees the outcome, does not decide
    "product_manager": (403, 403, 403),
    "executive": (403, 403, 403),
    "analyst": (403, 403, 403),
    "auditor": (403, 403, 403),
    "admin": (403, 403, 403),
}


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_referral_routes_by_role(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    referral = records.referral(session, bank.anna_customer, bank.users["service_agent"])
    session.commit()
    headers = login(bank.users[role])
    url = f"/api/v1/referrals/{referral.id}"
    read, decide, assign = MATRIX[role]
    assert client.get(url, headers=headers).status_code == read
    assign_to = {"version": 1, "staff_id": bank.boris.id}
    assert client.post(f"{url}/assign", json=assign_to, headers=headers).status_code == assign
    version = 2 if assign == 200 else 1
    for action, extra in (("decline", {"reason": "no income"}), ("convert", {})):
        answer = client.post(f"{url}/{action}", json={"version": version, **extra}, headers=headers)
        assert answer.status_code == decide, (action, answer.text)
        if decide == 200:
            break  # decided: the other action would be 409
    response = client.post(f"{url}/accept", json={"version": 1}, headers=headers)
    assert response.status_code in ((409,) if decide == 200 else (decide,))


def test_assignee_accepts_then_converts_and_the_referrer_sees_the_outcome(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    agent, anna = login(bank.users["service_agent"]), login(bank.users["account_manager"])
    body = _refer(client, agent, customer_id=bank.anna_customer.id)
    url = f"/api/v1/referrals/{body['id']}"
    todo = client.get("/api/v1/referrals?box=assigned&status=open", headers=anna).json()
    assert [r["id"] for r in todo["items"]] == [body["id"]]
    accepted = client.post(f"{url}/accept", json={"version": 1}, headers=anna).json()
    assert accepted["status"] == "accepted" and accepted["accepted_at"]
    mortgage = records.product(session, "mortgage")
    opened = records.opportunity(session, mortgage, bank.anna, customer=bank.anna_customer)
    elsewhere = records.opportunity(session, mortgage, bank.boris, customer=bank.boris_customer)
    session.commit()
    ask = {"version": 2, "outcome_note": "mortgage application signed"}
    wrong = client.post(
        f"{url}/convert", json={**ask, "opportunity_id": elsewhere.id}, headers=anna
    )
    assert (wrong.status_code, wrong.json()["field"]) == (422, "opportunity_id")
    done = client.post(f"{url}/convert", json={**ask, "opportunity_id": opened.id}, headers=anna)
    assert (done.json()["status"], done.json()["opportunity_id"]) == ("converted", opened.id)
    seen = client.get(url, headers=agent).json()
    assert (seen["status"], seen["outcome_note"]) == ("converted", "mortgage application signed")
    assert seen["decided_by"] == bank.users["account_manager"].username
    assert not seen["can_handle"]
    assert len(_events(session, "update")) == 2 and len(_events(session, "create")) == 1


def test_stale_version_is_409_and_changes_nothing(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    referral = records.referral(session, bank.anna_customer, bank.users["service_agent"])
    session.commit()
    anna = login(bank.users["account_manager"])
    url = f"/api/v1/referrals/{referral.id}"
    assert client.post(f"{url}/accept", json={"version": 1}, headers=anna).status_code == 200
    stale = client.post(f"{url}/decline", json={"version": 1, "reason": "no"}, headers=anna)
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    assert client.get(url, headers=anna).json()["status"] == "accepted"
    declined = client.post(f"{url}/decline", json={"version": 2, "reason": "no"}, headers=anna)
    assert declined.json()["declined_reason"] == "no"
    again = client.post(f"{url}/convert", json={"version": 3}, headers=anna)
    assert again.status_code == 409 and again.json()["field"] == "status"


def test_the_person_shows_as_the_callers_role_may_see_them(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    # Carla (south) refers anna's customer: out of her scope, so the reference only.
    carla = login(bank.users["account_manager_2"])
    body = _refer(client, carla, "insurance", customer_id=bank.anna_customer.id)
    person = body["person"]
    assert body["view"] is None
    assert person == {  # type: ignore[comparison-overlap]
        "kind": "customer",
        "id": bank.anna_customer.id,
        "reference": bank.anna_customer.customer_no,
        "name": None,
        "phone": None,
        "email": None,
    }
    # The service agent: masked; anna (the assignee and the manager): in full.
    agent = _refer(client, login(bank.users["service_agent"]), customer_id=bank.anna_customer.id)
    assert agent["view"] == "masked"
    assert agent["person"]["name"] is None  # type: ignore[index]
    assert agent["person"]["phone"] == "*********3456"  # type: ignore[index]
    full = client.get(
        f"/api/v1/referrals/{agent['id']}", headers=login(bank.users["account_manager"])
    ).json()
    assert full["view"] == "full" and full["person"]["name"].startswith("Petr ")
    assert full["person"]["email"] == bank.anna_customer.email
    # A line specialist outside the customer's portfolio sees the person as their role may.
    walk_in = records.customer(session, bank.south)
    records.referral_route(session, "mortgages", bank.south, bank.anna)
    session.commit()
    routed = _refer(client, carla, customer_id=walk_in.id)
    as_assignee = client.get(
        f"/api/v1/referrals/{routed['id']}", headers=login(bank.users["account_manager"])
    ).json()
    assert as_assignee["view"] == "full" and as_assignee["can_handle"]
    reads = _events(session, "read")
    assert reads and all(e.fields for e in reads)


def test_decline_needs_a_reason(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    referral = records.referral(session, bank.anna_customer, bank.users["service_agent"])
    session.commit()
    anna = login(bank.users["account_manager"])
    url = f"/api/v1/referrals/{referral.id}/decline"
    for reason in ("", "   "):
        response = client.post(url, json={"version": 1, "reason": reason}, headers=anna)
        assert response.status_code == 422 and "reason" in response.json()["field"]


def test_mark_converted_is_the_opportunities_hook(session: Session, bank: Bank) -> None:
    agent = bank.users["service_agent"]
    referral = records.referral(session, bank.anna_customer, agent)
    declined = records.referral(session, bank.anna_customer, agent, status="declined")
    mortgage = records.product(session, "mortgage")
    won, again, other = (
        records.opportunity(session, mortgage, bank.anna, customer=bank.anna_customer)
        for _ in range(3)
    )
    winner = Principal(actor="anna", role=Role.ACCOUNT_MANAGER, staff_id=bank.anna.id)
    assert service.mark_converted(session, winner, referral.id, won.id)
    assert not service.mark_converted(session, winner, referral.id, again.id)  # converted
    assert not service.mark_converted(session, winner, declined.id, other.id)
    stored = session.get(Referral, referral.id)
    assert stored is not None and (stored.status, stored.opportunity_id) == ("converted", won.id)
    assert stored.decided_by == "anna" and stored.version == 2
