"""The prospect API: every role against every prospect route (the scope matrix), masking,
the status rules, contacts, owners, review decisions, optimistic locking and the audit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.prospects.models import Prospect
from bankcrm.security.models import AuditEvent
from tests import records
from tests.integration.web.conftest import Bank, Login


@dataclass
class Prospects:
    anna: Prospect  # north, owned by anna
    unowned: Prospect  # north, nobody's yet
    boris: Prospect  # north, owned by boris
    south: Prospect  # south, owned by carla


@pytest.fixture
def prospects(session: Session, bank: Bank) -> Prospects:
    found = Prospects(
        anna=records.prospect(session, bank.north, bank.anna),
        unowned=records.prospect(session, bank.north),
        boris=records.prospect(session, bank.north, bank.boris),
        south=records.prospect(session, bank.south, bank.carla),
    )
    session.commit()
    return found


# role -> how each of (anna's, the unowned north, boris's, the south prospect) shows:
# F full, M masked, - not at all (404), 403 the role opens no prospect.
READ = {
    "account_manager": ("F", "F", "-", "-"),  # own + unowned of her branch
    "account_manager_2": ("-", "-", "-", "F"),
    "branch_manager": ("F", "F", "F", "-"),
    "service_agent": ("M", "M", "M", "M"),
    "product_manager": ("403",) * 4,
    "executive": ("403",) * 4,
    "analyst": ("403",) * 4,
    "auditor": ("403",) * 4,
    "admin": ("403",) * 4,
}


@pytest.mark.parametrize("role", sorted(READ))
def test_read_scope_and_masking_matrix(
    client: TestClient, bank: Bank, prospects: Prospects, login: Login, role: str
) -> None:
    headers = login(bank.users[role])
    every = (prospects.anna, prospects.unowned, prospects.boris, prospects.south)
    for prospect, expected in zip(every, READ[role], strict=True):
        response = client.get(f"/api/v1/prospects/{prospect.id}", headers=headers)
        if expected == "-":
            assert response.status_code == 404, (role, prospect.prospect_no)
            assert prospect.last_name not in response.text
        elif expected == "403":
            assert response.status_code == 403, (role, prospect.prospect_no)
        else:
            assert response.status_code == 200, (role, response.text)
            body = response.json()
            assert body["activities"] == []
            if expected == "F":
                assert body["national_id"] == prospect.national_id
                assert body["email"] == prospect.email and body["needs"] == prospect.needs
                assert body["view"] == "full"
            else:
                assert body["national_id"] == "*" * 7 + (prospect.national_id or "")[-4:]
                assert body["email"].startswith("e***@") and body["phone"].endswith("456")
                assert body["birth_date"] is None and body["address"] is None
                assert body["needs"] is None and body["view"] == "masked"


# role -> expected status of each route on anna's prospect (flagged for review), the list
# and the funnel. Writes by roles that may not write are 403; out of scope 404.
ROUTES = ("list", "funnel", "create", "patch", "status", "contact", "owner", "review")
OK = {"list": 200, "funnel": 200, "create": 201, "patch": 200, "status": 200}
OK |= {"contact": 201, "owner": 200, "review": 200}
HIDDEN = {**OK, "patch": 404, "status": 404, "contact": 404, "owner": 404, "review": 404}
AGGREGATES_ONLY = {route: 403 for route in ROUTES} | {"funnel": 200}
MATRIX: dict[str, dict[str, int]] = {
    "account_manager": OK,
    "account_manager_2": HIDDEN,
    "branch_manager": OK,
    "service_agent": OK,
    "product_manager": {**AGGREGATES_ONLY, "list": 200},
    "executive": AGGREGATES_ONLY,
    "analyst": AGGREGATES_ONLY,
    "auditor": {route: 403 for route in ROUTES},
    "admin": {route: 403 for route in ROUTES},
}


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_every_route_for_every_role(
    client: TestClient,
    bank: Bank,
    prospects: Prospects,
    login: Login,
    session: Session,
    role: str,
) -> None:
    target = prospects.anna
    target.review_customer_id = bank.anna_customer.id
    session.commit()
    headers = login(bank.users[role])
    base = f"/api/v1/prospects/{target.id}"
    calls = {
        "list": lambda: client.get("/api/v1/prospects", headers=headers),
        "funnel": lambda: client.get("/api/v1/prospects/funnel", headers=headers),
        "create": lambda: client.post(
            "/api/v1/prospects",
            json={"kind": "individual", "source": "walk_in", "last_name": "Nova"},
            headers=headers,
        ),
        "patch": lambda: client.patch(
            base, json={"version": 1, "needs": "a savings plan"}, headers=headers
        ),
        "status": lambda: client.post(
            f"{base}/status", json={"version": 2, "status": "qualified"}, headers=headers
        ),
        "contact": lambda: client.post(
            f"{base}/contacts", json={"channel": "phone", "summary": "call"}, headers=headers
        ),
        "review": lambda: client.post(
            f"{base}/review", json={"version": 3, "decision": "not_same"}, headers=headers
        ),
        "owner": lambda: client.post(
            f"{base}/owner", json={"version": 4, "owner_id": bank.boris.id}, headers=headers
        ),
    }
    done: list[object] = []
    for route in ("list", "funnel", "create", "patch", "status", "contact", "review", "owner"):
        response = calls[route]()
        assert response.status_code == MATRIX[role][route], (
            role,
            route,
            response.text,
            [r.status_code for r in done],
        )
        done.append(response)


LIST = {
    "account_manager": {"anna", "unowned"},
    "account_manager_2": {"south"},
    "branch_manager": {"anna", "unowned", "boris"},
    "service_agent": {"anna", "unowned", "boris", "south"},
    "product_manager": {"anna", "unowned", "boris", "south"},
}


@pytest.mark.parametrize("role", sorted(LIST))
def test_list_shows_the_callers_scope_and_is_audited(
    client: TestClient, bank: Bank, prospects: Prospects, login: Login, session: Session, role: str
) -> None:
    body = client.get("/api/v1/prospects", headers=login(bank.users[role])).json()
    ids = {getattr(prospects, name).id for name in LIST[role]}
    assert {item["id"] for item in body["items"]} == ids and body["total"] == len(ids)
    masked = role in ("service_agent", "product_manager")
    assert {item["view"] for item in body["items"]} == {"masked" if masked else "full"}
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.actor == bank.users[role].username, AuditEvent.action == "list")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.record_type == "prospect"


def test_list_filters_sort_and_paging(
    client: TestClient, bank: Bank, prospects: Prospects, login: Login, session: Session
) -> None:
    prospects.boris.status = "qualified"
    prospects.boris.source = "event"
    session.commit()
    headers = login(bank.users["branch_manager"])

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/prospects?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids("status=qualified") == [prospects.boris.id]
    assert ids("source=event") == [prospects.boris.id]
    assert ids(f"owner_id={bank.anna.id}") == [prospects.anna.id]
    assert ids(f"branch_id={bank.south.id}") == []
    assert ids(f"q={prospects.unowned.prospect_no}") == [prospects.unowned.id]
    by_name = ids("sort=name")
    assert sorted(by_name) == sorted([prospects.anna.id, prospects.unowned.id, prospects.boris.id])
    assert len(ids("sort=name&limit=1&offset=1")) == 1
    bad = client.get("/api/v1/prospects?status=won", headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "query.status"


def test_create_numbers_places_and_audits(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    headers = login(bank.users["account_manager"])
    response = client.post(
        "/api/v1/prospects",
        json={
            "kind": "corporate",
            "source": "partner",
            "source_detail": "Chamber of commerce",
            "company_name": "Pivovar Nova s.r.o.",
            "national_id": "27074358",
            "email": "info@pivovar.example",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["prospect_no"] == f"PRS-{body['id']:08d}"
    assert body["branch"]["id"] == bank.north.id and body["owner"]["id"] == bank.anna.id
    assert body["status"] == "new" and body["activities"][0]["kind"] == "status"
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.record_type == "prospect", AuditEvent.record_id == str(body["id"])
        )
    ).all()
    assert "create" in actions and "read" in actions


PERSON = {"kind": "individual", "source": "event", "last_name": "X"}


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({**PERSON, "last_name": None}, "last_name", 422),
        ({**PERSON, "kind": "corporate"}, "company_name", 422),
        ({**PERSON, "source": "tv"}, "body.source", 422),
        ({**PERSON, "email": "x"}, "body.email", 422),
        ({**PERSON, "campaign_id": 9}, "campaign_id", 422),
    ],
)  # fmt: skip
def test_create_refuses_bad_input_naming_the_field(
    client: TestClient,
    bank: Bank,
    login: Login,
    payload: dict[str, object],
    field: str,
    status: int,
) -> None:
    response = client.post(
        "/api/v1/prospects", json=payload, headers=login(bank.users["account_manager"])
    )
    assert response.status_code == status and response.json()["field"] == field


def test_a_manager_adds_prospects_to_their_own_branch_and_staff_only(
    client: TestClient, bank: Bank, login: Login
) -> None:
    headers = login(bank.users["branch_manager"])
    new = {"kind": "individual", "source": "event", "last_name": "Mala"}
    other_branch = client.post(
        "/api/v1/prospects", json={**new, "branch_id": bank.south.id}, headers=headers
    )
    assert other_branch.status_code == 422 and other_branch.json()["field"] == "branch_id"
    other_staff = client.post(
        "/api/v1/prospects", json={**new, "owner_id": bank.carla.id}, headers=headers
    )
    assert other_staff.status_code == 422 and other_staff.json()["field"] == "owner_id"
    unowned = client.post("/api/v1/prospects", json=new, headers=headers)
    assert unowned.status_code == 201 and unowned.json()["owner"] is None


def test_stale_update_is_409_and_changes_nothing(
    client: TestClient, bank: Bank, prospects: Prospects, login: Login, session: Session
) -> None:
    headers = login(bank.users["account_manager"])
    url = f"/api/v1/prospects/{prospects.anna.id}"
    first = client.patch(url, json={"version": 1, "phone": "+420 600 111 222"}, headers=headers)
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(url, json={"version": 1, "phone": "+420 600 999 999"}, headers=headers)
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    session.expire_all()
    assert session.get(Prospect, prospects.anna.id).phone == "+420 600 111 222"  # type: ignore[union-attr]
    cleared = client.patch(url, json={"version": 2, "last_name": None}, headers=headers)
    assert cleared.status_code == 422 and cleared.json()["field"] == "last_name"


def test_status_rules(client: TestClient, bank: Bank, prospects: Prospects, login: Login) -> None:
    headers = login(bank.users["account_manager"])
    url = f"/api/v1/prospects/{prospects.anna.id}/status"
    no_reason = client.post(url, json={"version": 1, "status": "disqualified"}, headers=headers)
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    converted = client.post(url, json={"version": 1, "status": "converted"}, headers=headers)
    assert converted.status_code == 422 and converted.json()["field"] == "body.status"
    same = client.post(url, json={"version": 1, "status": "new"}, headers=headers)
    assert same.status_code == 422 and same.json()["field"] == "status"
    out = client.post(
        url,
        json={"version": 1, "status": "disqualified", "reason": "moved abroad"},
        headers=headers,
    )
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["status"] == "disqualified" and body["disqualified_reason"] == "moved abroad"
    assert body["activities"][0]["summary"] == "new → disqualified"
    back = client.post(url, json={"version": 2, "status": "qualified"}, headers=headers)
    assert back.json()["disqualified_reason"] is None and back.json()["version"] == 3


def test_a_contact_is_logged_and_moves_a_new_prospect_on(
    client: TestClient, bank: Bank, prospects: Prospects, login: Login
) -> None:
    headers = login(bank.users["account_manager"])
    url = f"/api/v1/prospects/{prospects.unowned.id}/contacts"
    response = client.post(
        url,
        json={"channel": "visit", "summary": "came to the branch", "note": "two children"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "contacted"
    kinds = [a["kind"] for a in body["activities"]]
    assert sorted(kinds) == ["contact", "status"]
    contact = next(a for a in body["activities"] if a["kind"] == "contact")
    assert contact["note"] == "two children" and contact["channel"] == "visit"
    future = client.post(
        url,
        json={"channel": "phone", "summary": "x", "occurred_at": "2999-01-01T00:00:00Z"},
        headers=headers,
    )
    assert future.status_code == 422 and future.json()["field"] == "occurred_at"
    masked = client.get(
        f"/api/v1/prospects/{prospects.unowned.id}", headers=login(bank.users["service_agent"])
    ).json()
    assert all(a["note"] is None for a in masked["activities"])


def test_owner_changes_within_the_branch_only(
    client: TestClient, bank: Bank, prospects: Prospects, login: Login
) -> None:
    headers = login(bank.users["branch_manager"])
    url = f"/api/v1/prospects/{prospects.unowned.id}/owner"
    south = client.post(url, json={"version": 1, "owner_id": bank.carla.id}, headers=headers)
    assert south.status_code == 422 and south.json()["field"] == "owner_id"
    ok = client.post(url, json={"version": 1, "owner_id": bank.boris.id}, headers=headers)
    assert ok.status_code == 200 and ok.json()["owner"]["id"] == bank.boris.id
    # anna no longer sees it: it is boris's now
    anna = login(bank.users["account_manager"])
    assert client.get(f"/api/v1/prospects/{prospects.unowned.id}", headers=anna).status_code == 404


def test_review_same_converts_and_not_same_clears(
    client: TestClient, bank: Bank, prospects: Prospects, login: Login, session: Session
) -> None:
    prospects.anna.review_customer_id = bank.anna_customer.id
    prospects.anna.review_reason = "same name"
    prospects.unowned.review_customer_id = bank.south_customer.id
    session.commit()
    headers = login(bank.users["account_manager"])
    shown = client.get(f"/api/v1/prospects/{prospects.anna.id}", headers=headers).json()
    assert shown["review"]["customer_no"] == bank.anna_customer.customer_no
    hidden = client.get(f"/api/v1/prospects/{prospects.unowned.id}", headers=headers).json()
    assert hidden["review"]["customer_no"] is None  # that customer is not in anna's scope
    same = client.post(
        f"/api/v1/prospects/{prospects.anna.id}/review",
        json={"version": 1, "decision": "same"},
        headers=headers,
    ).json()
    assert same["status"] == "converted" and same["converted_customer_id"] == bank.anna_customer.id
    assert same["converted_by"] == bank.users["account_manager"].username
    assert same["review"] is None and same["activities"][0]["kind"] == "conversion"
    locked = client.patch(
        f"/api/v1/prospects/{prospects.anna.id}", json={"version": 2, "needs": "x"}, headers=headers
    )
    assert locked.status_code == 409 and locked.json()["field"] == "status"
    not_same = client.post(
        f"/api/v1/prospects/{prospects.unowned.id}/review",
        json={"version": 1, "decision": "not_same"},
        headers=headers,
    ).json()
    assert not_same["review"] is None and not_same["status"] == "new"
    session.expire_all()
    assert (
        session.get(Prospect, prospects.unowned.id).not_same_customer_id == bank.south_customer.id
    )  # type: ignore[union-attr]
    again = client.post(
        f"/api/v1/prospects/{prospects.unowned.id}/review",
        json={"version": 2, "decision": "same"},
        headers=headers,
    )
    assert again.status_code == 409 and again.json()["field"] == "decision"


def test_funnel_counts_without_people(
    client: TestClient, bank: Bank, prospects: Prospects, login: Login
) -> None:
    body = client.get("/api/v1/prospects/funnel", headers=login(bank.users["executive"])).json()
    assert body["total"] == 4 and body["converted"] == 0
    assert body["counts"] == [{"status": "new", "source": "walk_in", "prospects": 4}]
    branch = client.get(
        "/api/v1/prospects/funnel", headers=login(bank.users["branch_manager"])
    ).json()
    assert branch["total"] == 3
