"""The opportunity pages: list, new, the record with its forms (move, tasks, terms) and the
pipeline; who may use each, errors next to the field, stale versions and the CSRF check."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bankcrm.opportunities.models import Opportunity
from bankcrm.products.models import Product
from tests import records
from tests.integration.web.conftest import Bank
from tests.integration.web.test_pages import log_in

SOON = (date.today() + timedelta(days=40)).isoformat()
# role -> status of the list, the pipeline and anna's opportunity's page.
PAGES = {
    "account_manager": (200, 200, 200),
    "account_manager_2": (200, 200, 404),
    "branch_manager": (200, 200, 200),
    "service_agent": (403, 403, 403),
    "product_manager": (403, 200, 403),
    "executive": (403, 200, 403),
    "analyst": (403, 200, 403),
    "auditor": (403, 403, 403),
    "admin": (403, 403, 403),
}


@pytest.fixture
def loan(session: Session) -> Product:
    product = records.product(session, "consumer_loan", name="Car loan")
    session.commit()
    return product


def _mine(session: Session, bank: Bank, loan: Product, **more: object) -> Opportunity:
    made = records.opportunity(session, loan, bank.anna, customer=bank.anna_customer, **more)
    session.commit()
    return made  # type: ignore[no-any-return]


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("role", sorted(PAGES))
def test_who_sees_which_page(
    client: TestClient, bank: Bank, session: Session, loan: Product, role: str
) -> None:
    made = _mine(session, bank, loan)
    log_in(client, bank.users[role].username)
    paths = ("/opportunities", "/opportunities/pipeline", f"/opportunities/{made.id}")
    for path, expected in zip(paths, PAGES[role], strict=True):
        assert client.get(path).status_code == expected, path
    home = client.get("/").text
    assert ('data-area="opportunities"' in home) == (PAGES[role][0] == 200)
    assert ('data-area="pipeline"' in home) == (PAGES[role][1] == 200)


def test_create_from_the_form_with_errors_next_to_the_field(
    client: TestClient, bank: Bank, session: Session, loan: Product
) -> None:
    token = log_in(client, bank.users["account_manager"].username)
    form = client.get(f"/opportunities/new?customer_id={bank.anna_customer.id}").text
    assert f'value="{bank.anna_customer.customer_no}"' in form
    assert "Car loan (CZK)" in form
    bad = {
        "csrf_token": token,
        "customer_no": bank.boris_customer.customer_no,  # not anna's
        "product_id": str(loan.id),
        "amount": "-5",
        "expected_close_on": SOON,
    }
    answer = client.post("/opportunities/new", data=bad)
    assert answer.status_code == 200
    assert "No customer with this number is in your scope." in unescape(answer.text)
    bad["customer_no"] = bank.anna_customer.customer_no
    answer = client.post("/opportunities/new", data=bad)
    assert "Enter an amount above zero, with at most two decimals." in answer.text
    good = {**bad, "amount": "350000"}
    made = client.post("/opportunities/new", data=good, follow_redirects=False)
    assert made.status_code == 303 and "notice=created" in made.headers["location"]
    page = client.get(made.headers["location"]).text
    assert "The opportunity is opened." in page and "Identified" in page
    forged = client.post("/opportunities/new", data={**good, "csrf_token": "forged"})
    assert forged.status_code == 403


def test_move_through_the_stages_on_the_page(
    client: TestClient, bank: Bank, session: Session, loan: Product
) -> None:
    made = _mine(session, bank, loan)
    token = log_in(client, bank.users["account_manager"].username)
    url = f"/opportunities/{made.id}"
    for stage in ("needs_analysis", "proposal", "credit_review"):
        version = _version(client.get(url).text)
        answer = client.post(
            f"{url}/stage", data={"csrf_token": token, "version": version, "stage": stage}
        )
        assert answer.status_code == 200 and "The opportunity has moved." in answer.text
    page = client.get(url).text
    assert 'data-task-department="credit" data-task-status="open"' in page
    assert f"Credit review of {made.opportunity_no}" in page
    # Back without a note: refused next to the field, nothing written.
    version = _version(page)
    back = client.post(
        f"{url}/stage", data={"csrf_token": token, "version": version, "stage": "identified"}
    )
    assert "Say why in a note" in back.text and 'id="move-note-error"' in back.text
    stale = client.post(
        f"{url}/stage", data={"csrf_token": token, "version": "1", "stage": "approved"}
    )
    assert "Someone changed this opportunity meanwhile." in stale.text
    done = re.search(r'action="(/opportunities/\d+/tasks/\d+/complete)"', page)
    assert done is not None
    closed = client.post(done.group(1), data={"csrf_token": token, "status": "done"})
    assert "The task is closed." in closed.text
    task = client.post(
        f"{url}/tasks", data={"csrf_token": token, "department": "legal", "title": ""}
    )
    assert "This field is required." in task.text
    terms = client.post(
        url, data={"csrf_token": token, "version": _version(closed.text), "amount": "1e999"}
    )
    assert "Enter an amount above zero" in terms.text
    assert client.get("/opportunities/abc").status_code == 404


def test_list_filters_and_pipeline_page(
    client: TestClient, bank: Bank, session: Session, loan: Product
) -> None:
    _mine(session, bank, loan, stage="proposal", probability=0.4)
    records.opportunity(session, loan, bank.boris, customer=bank.boris_customer)
    session.commit()
    log_in(client, bank.users["branch_manager"].username)
    listing = client.get("/opportunities").text
    assert "2 opportunities" in listing
    assert "1 opportunities" in client.get("/opportunities?stage=proposal").text or (
        "1 opportunity" in client.get("/opportunities?stage=proposal").text
    )
    refused = client.get("/opportunities?stage=signed").text
    assert "is not valid and was ignored" in refused
    pipeline = client.get("/opportunities/pipeline?by=product").text
    assert 'id="pipeline-data"' in pipeline and "Car loan" in pipeline
    bad = client.get("/opportunities/pipeline?since=2026-13-01").text
    assert "Enter a date." in bad
