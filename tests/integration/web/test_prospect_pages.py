"""The prospect pages: the list with its filters and new-prospect form, the record with
its forms (errors next to their fields, nothing written), masking, scope and CSRF, and a
converted prospect's activities on the customer's timeline."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bankcrm.prospects.models import Prospect, ProspectActivity
from tests import records
from tests.integration.web.conftest import Bank
from tests.integration.web.test_pages import log_in


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Prospect)) or 0


def test_list_page_by_role(client: TestClient, bank: Bank, session: Session) -> None:
    mine = records.prospect(session, bank.north, bank.anna, last_name="Mineova")
    records.prospect(session, bank.south, bank.carla, last_name="Southova")
    session.commit()
    log_in(client, bank.users["account_manager"].username)
    page = client.get("/prospects")
    assert page.status_code == 200
    assert "Mineova" in page.text and "Southova" not in page.text
    assert 'data-testid="form-new"' in page.text
    assert f"/prospects/{mine.id}" in page.text
    filtered = client.get("/prospects?status=qualified")
    assert "Mineova" not in filtered.text and 'data-testid="no-prospects"' in filtered.text
    refused = client.get("/prospects?status=won&page=x")
    assert refused.status_code == 200 and 'data-testid="problem"' in refused.text
    client.cookies.clear()
    log_in(client, bank.users["product_manager"].username)
    masked = client.get("/prospects")
    assert "Southova" in masked.text and 'data-testid="form-new"' not in masked.text
    assert f"/prospects/{mine.id}" not in masked.text  # lists only, no record


def test_auditor_gets_no_prospect_pages(client: TestClient, bank: Bank, session: Session) -> None:
    prospect = records.prospect(session, bank.north, bank.anna)
    session.commit()
    log_in(client, bank.users["auditor"].username)
    assert client.get("/prospects").status_code == 403
    assert client.get(f"/prospects/{prospect.id}").status_code == 403


def test_create_from_the_form_with_errors_next_to_fields(
    client: TestClient, bank: Bank, session: Session
) -> None:
    csrf = log_in(client, bank.users["account_manager"].username)
    before = _count(session)
    bad = client.post(
        "/prospects",
        data={"kind": "individual", "source": "", "email": "nope", "csrf_token": csrf},
    )
    assert bad.status_code == 200
    for field in ("source", "email"):  # the name rule is checked once the form is valid
        assert f'id="new-{field}-error"' in bad.text, field
    assert 'value="nope"' in bad.text and _count(session) == before
    noname = client.post(
        "/prospects", data={"kind": "individual", "source": "walk_in", "csrf_token": csrf}
    )
    assert noname.status_code == 200 and 'id="new-last_name-error"' in noname.text
    forged = client.post(
        "/prospects",
        data={"kind": "individual", "source": "walk_in", "last_name": "X", "csrf_token": "x"},
    )
    assert forged.status_code == 403 and _count(session) == before
    made = client.post(
        "/prospects",
        data={
            "kind": "individual",
            "source": "referral",
            "first_name": "Alena",
            "last_name": "Kratka",
            "phone": "+420 731 000 111",
            "needs": "a current account",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "Alena Kratka" in page.text and "a current account" in page.text


def test_record_forms_contact_status_edit_and_stale(
    client: TestClient, bank: Bank, session: Session
) -> None:
    prospect = records.prospect(session, bank.north, bank.anna)
    session.commit()
    csrf = log_in(client, bank.users["account_manager"].username)
    url = f"/prospects/{prospect.id}"
    contact = client.post(
        f"{url}/contacts",
        data={"channel": "phone", "summary": "first call", "note": "", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert contact.status_code == 303 and contact.headers["location"].endswith("?done=contact")
    page = client.get(contact.headers["location"])
    assert "first call" in page.text and "The contact is logged." in page.text
    assert re.search(r'data-testid="status">\s*Contacted', page.text)
    no_reason = client.post(
        f"{url}/status", data={"version": "2", "status": "disqualified", "csrf_token": csrf}
    )
    assert no_reason.status_code == 200 and 'id="status-reason-error"' in no_reason.text
    qualified = client.post(
        f"{url}/status",
        data={"version": "2", "status": "qualified", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert qualified.status_code == 303
    stale = client.post(
        f"{url}/edit", data={"version": "1", "last_name": "Nova", "csrf_token": csrf}
    )
    assert stale.status_code == 200 and "Someone changed this prospect" in stale.text
    edited = client.post(
        f"{url}/edit",
        data={"version": "3", "last_name": "Nova", "needs": "a loan", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    session.expire_all()
    saved = session.get(Prospect, prospect.id)
    assert saved is not None and (saved.last_name, saved.needs, saved.status) == (
        "Nova",
        "a loan",
        "qualified",
    )


def test_masked_and_out_of_scope_record_pages(
    client: TestClient, bank: Bank, session: Session
) -> None:
    prospect = records.prospect(session, bank.north, bank.anna)
    south = records.prospect(session, bank.south, bank.carla)
    session.commit()
    log_in(client, bank.users["service_agent"].username)
    page = client.get(f"/prospects/{prospect.id}")
    assert page.status_code == 200 and 'data-testid="view"' in page.text
    assert prospect.national_id not in page.text and prospect.email not in page.text
    assert 'data-testid="form-edit"' not in page.text and 'data-testid="form-contact"' in page.text
    client.cookies.clear()
    log_in(client, bank.users["account_manager"].username)
    assert client.get(f"/prospects/{south.id}").status_code == 404


def test_review_decision_from_the_page(client: TestClient, bank: Bank, session: Session) -> None:
    prospect = records.prospect(
        session, bank.north, bank.anna, review_customer_id=bank.anna_customer.id
    )
    session.commit()
    csrf = log_in(client, bank.users["account_manager"].username)
    page = client.get(f"/prospects/{prospect.id}")
    assert bank.anna_customer.customer_no in page.text and 'data-testid="form-review"' in page.text
    done = client.post(
        f"/prospects/{prospect.id}/review",
        data={"version": "1", "decision": "same", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert (
        'data-testid="converted"' in after.text and 'data-testid="form-contact"' not in after.text
    )


def test_converted_prospect_history_on_the_customer_timeline(
    client: TestClient, bank: Bank, session: Session, login: object
) -> None:
    prospect = records.prospect(
        session, bank.north, bank.anna, status="converted",
        converted_customer_id=bank.anna_customer.id, converted_by="import",
    )  # fmt: skip
    records.prospect_activity(
        session, prospect, summary="met at the fair", occurred_at=datetime(2025, 5, 1, 9, 0)
    )
    session.add(
        ProspectActivity(
            prospect_id=prospect.id, kind="conversion", summary="became customer",
            created_by="import", occurred_at=datetime(2025, 6, 1),
        )
    )  # fmt: skip
    session.commit()
    log_in(client, bank.users["account_manager"].username)
    page = client.get(f"/customers/{bank.anna_customer.id}")
    assert "met at the fair" in page.text
    assert f"before they were a customer (prospect {prospect.prospect_no})" in page.text
    headers = login(bank.users["account_manager"])  # type: ignore[operator]
    api = client.get(f"/api/v1/customers/{bank.anna_customer.id}", headers=headers).json()
    entries = [e for e in api["timeline"] if e["source"] == "prospect"]
    assert {e["topic"] for e in entries} == {"met at the fair", "became customer"}
    assert all(e["prospect_no"] == prospect.prospect_no for e in entries)
    assert any(e["note"] == "wants a fixed rate" for e in entries)
    agent = client.get(
        f"/api/v1/customers/{bank.anna_customer.id}",
        headers=login(bank.users["service_agent"]),  # type: ignore[operator]
    ).json()
    assert all(e["note"] is None for e in agent["timeline"] if e["source"] == "prospect")


def test_record_page_leads_on_to_a_referral_and_an_opportunity(
    client: TestClient, bank: Bank, session: Session
) -> None:
    prospect = records.prospect(session, bank.north, bank.anna)
    session.commit()
    log_in(client, bank.users["account_manager"].username)
    html = client.get(f"/prospects/{prospect.id}").text
    refer = f'href="/referrals/new?prospect_id={prospect.id}"'
    sell = f'href="/opportunities/new?prospect_no={prospect.prospect_no}"'
    assert refer in html and sell in html
    referral_form = client.get(f"/referrals/new?prospect_id={prospect.id}")
    assert referral_form.status_code == 200 and prospect.prospect_no in referral_form.text
    opportunity_form = client.get(f"/opportunities/new?prospect_no={prospect.prospect_no}")
    assert opportunity_form.status_code == 200
    assert f'value="{prospect.prospect_no}"' in opportunity_form.text
