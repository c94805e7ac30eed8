"""/api/v1/duplicates: scope of every role on every route, maker-checker merges,
reversal, the combined 360, masking, stale versions and the audit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.security.models import AuditEvent
from tests import records
from tests.integration.web.conftest import Bank, Login
from tests.integration.web.duplicate_pairs import Pairs, pairs_fixture  # noqa: F401 (fixture)

URL = "/api/v1/duplicates"


def _candidate(client: TestClient, headers: dict[str, str], cid: int) -> dict[str, Any]:
    response = client.get(f"{URL}/{cid}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# Who may do what: list / read a pair / write (dismiss, propose) / list merges.
MATRIX = {
    "account_manager": (200, 200, True),
    "account_manager_2": (200, 404, False),  # south: the north pair is out of scope
    "branch_manager": (200, 200, True),
    "service_agent": (200, 200, True),
    "product_manager": (403, 403, False),
    "executive": (403, 403, False),
    "analyst": (403, 403, False),
    "auditor": (403, 403, False),
    "admin": (403, 403, False),
}


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_scope_of_every_role_on_every_route(
    client: TestClient, bank: Bank, pairs: Pairs, login: Login, role: str
) -> None:
    listed, read, writes = MATRIX[role]
    headers = login(bank.users[role])
    response = client.get(URL, headers=headers)
    assert response.status_code == listed
    if listed == 200:
        ids = {c["id"] for c in response.json()["items"]}
        assert (pairs.customers in ids) == (read == 200)
    assert client.get(f"{URL}/{pairs.customers}", headers=headers).status_code == read
    assert client.get(f"{URL}/merges", headers=headers).status_code == listed
    detect_one = {"record_type": "customer", "record_id": bank.anna_customer.id}
    expected_detect = 200 if writes else (404 if listed == 200 else 403)
    assert client.post(f"{URL}/detect", json=detect_one, headers=headers).status_code == (
        expected_detect
    )
    dismissed = client.post(
        f"{URL}/{pairs.with_prospect}/dismiss",
        json={"version": 1, "reason": "two people"},
        headers=headers,
    )
    assert dismissed.status_code == (200 if writes else read)
    missing = client.post(f"{URL}/merges/999999/approve", json={"version": 1}, headers=headers)
    assert missing.status_code == (404 if listed == 200 else 403)


def test_a_pair_side_by_side_with_matched_fields_masked_for_agents(
    client: TestClient, bank: Bank, pairs: Pairs, login: Login, session: Session
) -> None:
    pair = _candidate(client, login(bank.users["account_manager"]), pairs.customers)
    matched = {m["field"]: m["level"] for m in pair["candidate"]["matched"]}
    assert matched["national_id"] == "exact" and matched["name"] == "exact"
    assert matched["phone"] == "exact" and matched["email"] == "exact"
    assert pair["left"]["national_id"] == bank.anna_customer.national_id
    masked = _candidate(client, login(bank.users["service_agent"]), pairs.customers)
    assert masked["left"]["view"] == "masked"
    assert masked["left"]["national_id"].startswith("****")
    assert masked["left"]["birth_date"] is None and masked["left"]["address"] is None
    reads = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "read", AuditEvent.record_type == "duplicate_candidate"
        )
    ).all()
    assert len(reads) == 2


def test_maker_checker_approval_makes_one_combined_360_and_reversal_ends_it(
    client: TestClient, bank: Bank, pairs: Pairs, login: Login, session: Session
) -> None:
    anna, checker = login(bank.users["account_manager"]), login(bank.users["branch_manager"])
    proposal = {"version": 1, "survivor": "left", "reason": "same birth number, two numbers"}
    proposed = client.post(f"{URL}/{pairs.customers}/merge", json=proposal, headers=anna)
    assert proposed.status_code == 201, proposed.text
    merge = proposed.json()
    assert merge["status"] == "proposed" and merge["survivor"]["id"] == bank.anna_customer.id
    again = client.post(f"{URL}/{pairs.customers}/merge", json=proposal, headers=anna)
    assert again.status_code == 409  # already proposed
    # The maker may not check; an agent is no checker either.
    approve = {"version": merge["version"], "note": "checked the ids"}
    assert (
        client.post(f"{URL}/merges/{merge['id']}/approve", json=approve, headers=anna).status_code
        == 403
    )
    agent = login(bank.users["service_agent"])
    assert (
        client.post(f"{URL}/merges/{merge['id']}/approve", json=approve, headers=agent).status_code
        == 403
    )
    approved = client.post(f"{URL}/merges/{merge['id']}/approve", json=approve, headers=checker)
    assert approved.status_code == 200, approved.text
    assert approved.json()["decided_by"] == bank.users["branch_manager"].username
    assert _candidate(client, anna, pairs.customers)["candidate"]["status"] == "merged"

    view = client.get(f"/api/v1/customers/{bank.anna_customer.id}", headers=anna).json()
    (linked,) = view["linked_records"]
    assert linked["role"] == "merged" and linked["number"] == pairs.twin.customer_no
    assert linked["phone"] == pairs.twin.phone
    sources = {h["source_record"] for h in view["holdings"]}
    assert sources == {None, pairs.twin.customer_no}
    topics = {e["topic"]: e["source_record"] for e in view["timeline"]}
    assert topics["second number opened"] == pairs.twin.customer_no
    # The merged record stays, and its own page points at the survivor.
    other = client.get(f"/api/v1/customers/{pairs.twin.id}", headers=anna).json()
    assert [r["role"] for r in other["linked_records"]] == ["survivor"]

    stale = {"version": merge["version"], "reason": "wrong person"}
    assert (
        client.post(f"{URL}/merges/{merge['id']}/reverse", json=stale, headers=checker).status_code
        == 409
    )
    current = client.get(f"{URL}/merges/{merge['id']}", headers=checker).json()["version"]
    reverse = {"version": current, "reason": "two people after all"}
    reversed_ = client.post(f"{URL}/merges/{merge['id']}/reverse", json=reverse, headers=checker)
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["status"] == "reversed"
    view = client.get(f"/api/v1/customers/{bank.anna_customer.id}", headers=anna).json()
    assert view["linked_records"] == []
    assert session.get(Customer, pairs.twin.id) is not None  # nothing deleted
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.record_type == "record_merge")
    ).all()
    assert {"propose", "approve", "reverse"} <= set(actions)


def test_the_proposer_never_decides_and_a_rejection_needs_a_note(
    client: TestClient, bank: Bank, pairs: Pairs, login: Login, session: Session
) -> None:
    checker = login(bank.users["branch_manager"])
    proposal = {"version": 1, "reason": "same person"}
    merge = client.post(f"{URL}/{pairs.customers}/merge", json=proposal, headers=checker).json()
    decide = {"version": merge["version"], "note": "fine"}
    own = client.post(f"{URL}/merges/{merge['id']}/approve", json=decide, headers=checker)
    assert own.status_code == 403 and "maker-checker" in own.json()["detail"]
    second = records.user(session, "branch_manager", branch=bank.north)
    session.commit()
    other = login(second)
    no_note = client.post(f"{URL}/merges/{merge['id']}/reject", json={"version": 1}, headers=other)
    assert no_note.status_code == 422 and no_note.json()["field"] == "note"
    rejected = client.post(f"{URL}/merges/{merge['id']}/reject", json=decide, headers=other)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert _candidate(client, other, pairs.customers)["candidate"]["status"] == "open"


def test_a_prospect_is_merged_into_the_customer_never_the_other_way(
    client: TestClient, bank: Bank, pairs: Pairs, login: Login, session: Session
) -> None:
    anna, checker = login(bank.users["account_manager"]), login(bank.users["branch_manager"])
    wrong = {"version": 1, "survivor": "right", "reason": "walk-in was a customer"}
    refused = client.post(f"{URL}/{pairs.with_prospect}/merge", json=wrong, headers=anna)
    assert refused.status_code == 422 and refused.json()["field"] == "survivor"
    right = {**wrong, "survivor": "left"}
    merge = client.post(f"{URL}/{pairs.with_prospect}/merge", json=right, headers=anna).json()
    ok = client.post(f"{URL}/merges/{merge['id']}/approve", json={"version": 1}, headers=checker)
    assert ok.status_code == 200, ok.text
    view = client.get(f"/api/v1/customers/{bank.anna_customer.id}", headers=anna).json()
    assert [r["type"] for r in view["linked_records"]] == ["prospect"]
    activity = [e for e in view["timeline"] if e["source"] == "prospect"]
    assert activity[0]["source_record"] == pairs.prospect.prospect_no


def test_stale_and_decided_pairs_are_conflicts_and_bad_input_names_the_field(
    client: TestClient, bank: Bank, pairs: Pairs, login: Login
) -> None:
    anna = login(bank.users["account_manager"])
    body = {"version": 1, "reason": "two people"}
    assert (
        client.post(f"{URL}/{pairs.customers}/dismiss", json=body, headers=anna).status_code == 200
    )
    again = client.post(f"{URL}/{pairs.customers}/dismiss", json=body, headers=anna)
    assert again.status_code == 409
    blank = client.post(
        f"{URL}/{pairs.with_prospect}/dismiss", json={"version": 1, "reason": ""}, headers=anna
    )
    assert blank.status_code == 422 and blank.json()["field"] == "body.reason"
    assert client.get(URL, params={"status": "nonsense"}, headers=anna).status_code == 422
    listed = client.get(URL, params={"status": "dismissed"}, headers=anna).json()
    assert [c["id"] for c in listed["items"]] == [pairs.customers]


def test_detection_respects_a_not_same_decision_on_the_prospect_review(
    session: Session, bank: Bank, pairs: Pairs
) -> None:
    """A person already decided on the prospect's import review that it is not this
    customer: detection sets the open pair aside with that reason and never raises it
    again; the customer's other pair stays open."""
    from bankcrm.duplicates import detect
    from bankcrm.duplicates.models import DuplicateCandidate

    pairs.prospect.not_same_customer_id = bank.anna_customer.id
    session.flush()
    report = detect.detect_all(session)
    session.flush()
    with_prospect = session.get(DuplicateCandidate, pairs.with_prospect)
    assert with_prospect is not None
    session.refresh(with_prospect)
    assert with_prospect.status == "dismissed"
    assert with_prospect.dismissed_reason == detect.NOT_SAME
    assert report.kept >= 1
    customers = session.get(DuplicateCandidate, pairs.customers)
    assert customers is not None and customers.status == "open"

    session.delete(with_prospect)
    session.flush()
    detect.detect_all(session)
    session.flush()
    again = session.scalars(
        select(DuplicateCandidate).where(
            DuplicateCandidate.prospect_id == pairs.prospect.id,
            DuplicateCandidate.customer_id == bank.anna_customer.id,
        )
    ).all()
    assert again == []
