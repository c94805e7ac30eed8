"""Contact corrections: optimistic locking, who may write, and clear errors."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from tests.integration.web.conftest import Bank, Login


def test_patch_with_current_version_applies_and_bumps_the_version(
    client: TestClient, bank: Bank, login: Login
) -> None:
    url = f"/api/v1/customers/{bank.anna_customer.id}"
    headers = login(bank.users["account_manager"])
    version = client.get(url, headers=headers).json()["profile"]["version"]
    response = client.patch(
        url, json={"version": version, "email": "new@mail.example", "city": "Brno"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "new@mail.example"
    assert response.json()["version"] == version + 1


def test_stale_version_gets_409_and_overwrites_nothing(
    client: TestClient, bank: Bank, login: Login, session: Session
) -> None:
    url = f"/api/v1/customers/{bank.anna_customer.id}"
    headers = login(bank.users["account_manager"])
    read = client.get(url, headers=headers).json()["profile"]["version"]
    # Someone else (another user, or the nightly import) changes the record meanwhile.
    other = client.patch(url, json={"version": read, "city": "Ostrava"}, headers=headers)
    assert other.status_code == 200
    stale = client.patch(url, json={"version": read, "city": "Plzen"}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["field"] == "version"
    assert client.get(url, headers=headers).json()["profile"]["city"] == "Ostrava"
    # An import that changed the record bumps the version too.
    session.execute(
        update(Customer)
        .where(Customer.id == bank.anna_customer.id)
        .values(version=Customer.version + 1)
    )
    session.commit()
    assert (
        client.patch(url, json={"version": read + 1, "city": "Plzen"}, headers=headers).status_code
        == 409
    )


def test_who_may_correct_contact_details(client: TestClient, bank: Bank, login: Login) -> None:
    url = f"/api/v1/customers/{bank.anna_customer.id}"
    for role, status in (
        ("service_agent", 200),
        ("branch_manager", 200),
        ("account_manager_2", 404),  # not her customer: it does not exist for her
        ("product_manager", 403),
        ("analyst", 403),
        ("auditor", 403),
    ):
        headers = login(bank.users[role])
        response = client.patch(url, json={"version": 1, "occupation": "teacher"}, headers=headers)
        if response.status_code == 409:  # an earlier role's change bumped the version
            version = response.json()["detail"].split("now version ")[1].split(")")[0]
            response = client.patch(
                url, json={"version": int(version), "occupation": "teacher"}, headers=headers
            )
        assert response.status_code == status, (role, response.text)


def test_bad_input_is_a_problem_that_names_the_field(
    client: TestClient, bank: Bank, login: Login
) -> None:
    headers = login(bank.users["account_manager"])
    url = f"/api/v1/customers/{bank.anna_customer.id}"
    cases = [
        ({"version": 1, "email": "not an email"}, "body.email"),
        ({"version": 1, "phone": "call me"}, "body.phone"),
        ({"email": "a@b.example"}, "body.version"),
        ({"version": 1, "national_id": "123"}, "body.national_id"),  # not editable here
    ]
    for body, field in cases:
        response = client.patch(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["field"] == field
        assert response.headers["content-type"] == "application/problem+json"
    empty = client.patch(url, json={"version": 1}, headers=headers)  # a no-op
    assert empty.status_code == 200 and empty.json()["version"] == 1
    for path in ("/api/v1/customers/0", "/api/v1/customers/99999999999", "/api/v1/customers/x"):
        response = client.get(path, headers=headers)
        assert response.status_code == 422 and response.json()["field"] == "path.customer_id"
    assert client.get("/api/v1/customers/2147483647", headers=headers).status_code == 404
    assert client.get("/api/v1/nothing-here", headers=headers).status_code == 404
