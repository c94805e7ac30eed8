"""Channel events: service tokens with `events:write` only, stored once per event id (a
repeat gets the first result), unknown customers refused, and two copies at once."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bankcrm.interactions import service as interactions_service
from bankcrm.interactions.models import ChannelEvent, Interaction
from bankcrm.interactions.schemas import EventIn
from bankcrm.kit import migrate
from bankcrm.kit.db import make_engine
from bankcrm.kit.errors import Conflict
from bankcrm.security import service
from bankcrm.security.models import AuditEvent
from bankcrm.security.principal import Principal, system_principal
from tests import records
from tests.conftest import database_url_for, drop_postgres_database
from tests.integration.web.conftest import Bank, Login


def _token(session: Session, name: str = "mobile-banking") -> dict[str, str]:
    issued = service.create_service_token(
        session, system_principal("test"), name, ["events:write"], 30
    )
    session.commit()
    return {"Authorization": f"Bearer {issued.token}"}


def _event(customer_no: str, event_id: str = "mb-2026-000123") -> dict[str, str]:
    return {
        "event_id": event_id,
        "customer_no": customer_no,
        "channel": "mobile",
        "occurred_at": "2026-10-01T09:15:00Z",
        "topic": "card blocked",
        "outcome": "completed",
        "note": "blocked in the app after a lost wallet",
    }


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_event_is_stored_once_and_a_repeat_returns_the_first_result(
    client: TestClient, bank: Bank, session: Session
) -> None:
    headers = _token(session)
    event = _event(bank.anna_customer.customer_no)
    first = client.post("/api/v1/events", json=event, headers=headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["interaction_no"] == f"EVT-{body['interaction_id']:08d}"
    assert body["event_id"] == event["event_id"]
    repeat = client.post("/api/v1/events", json=event, headers=headers)
    assert repeat.status_code == 200, repeat.text
    assert repeat.json() == body
    assert _count(session, ChannelEvent) == 1
    stored = session.scalars(select(Interaction)).all()
    assert len(stored) == 1
    assert stored[0].customer_id == bank.anna_customer.id
    assert (stored[0].channel, stored[0].topic, stored[0].direction) == (
        "mobile",
        "card blocked",
        "inbound",
    )
    assert stored[0].occurred_at.isoformat() == "2026-10-01T09:15:00"
    audit = session.scalars(
        select(AuditEvent).where(AuditEvent.actor == "service:mobile-banking")
    ).all()
    assert [(a.action, a.record_type, a.record_id) for a in audit] == [
        ("create", "interaction", str(body["interaction_id"]))
    ]
    # The customer's manager sees it in the contact log, marked as a channel event.
    listed = client.get(
        f"/api/v1/customers/{bank.anna_customer.id}/interactions",
        headers={"Authorization": "Bearer " + _user_token(session, bank)},
    ).json()
    assert [(i["source"], i["interaction_no"]) for i in listed["items"]] == [
        ("channel", body["interaction_no"])
    ]


def _user_token(session: Session, bank: Bank) -> str:
    issued = service.issue(session, bank.users["account_manager"], "bearer", 60)
    session.commit()
    return issued.token


def test_the_same_event_id_from_another_channel_system_is_another_event(
    client: TestClient, bank: Bank, session: Session
) -> None:
    event = _event(bank.anna_customer.customer_no)
    first = client.post("/api/v1/events", json=event, headers=_token(session, "mobile-banking"))
    other = client.post("/api/v1/events", json=event, headers=_token(session, "call-centre"))
    assert first.status_code == other.status_code == 201
    assert first.json()["interaction_id"] != other.json()["interaction_id"]


def test_an_event_id_reused_for_other_content_is_409_and_changes_nothing(
    client: TestClient, bank: Bank, session: Session
) -> None:
    headers = _token(session)
    event = _event(bank.anna_customer.customer_no)
    assert client.post("/api/v1/events", json=event, headers=headers).status_code == 201
    changed = client.post("/api/v1/events", json={**event, "topic": "loan"}, headers=headers)
    assert changed.status_code == 409, changed.text
    assert changed.json()["field"] == "event_id"
    assert _count(session, Interaction) == 1
    assert session.scalar(select(Interaction.topic)) == "card blocked"


def test_an_event_later_than_the_clock_is_409_and_stores_nothing(
    client: TestClient, bank: Bank, session: Session
) -> None:
    event = {**_event(bank.anna_customer.customer_no), "occurred_at": "2099-01-01T00:00:00Z"}
    response = client.post("/api/v1/events", json=event, headers=_token(session))
    assert response.status_code == 409 and response.json()["field"] == "occurred_at"
    assert _count(session, Interaction) == _count(session, ChannelEvent) == 0


def test_an_unknown_customer_is_422_naming_customer_no(
    client: TestClient, bank: Bank, session: Session
) -> None:
    response = client.post("/api/v1/events", json=_event("C-NOBODY"), headers=_token(session))
    assert response.status_code == 422
    assert response.json()["field"] == "customer_no"
    assert _count(session, Interaction) == _count(session, ChannelEvent) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "fax"}, "body.channel"),
        ({"event_id": ""}, "body.event_id"),
        ({"event_id": "x" * 101}, "body.event_id"),
        ({"occurred_at": "yesterday"}, "body.occurred_at"),
        ({"extra": 1}, "body.extra"),
    ],
)
def test_bad_events_are_refused_naming_the_field(
    client: TestClient,
    bank: Bank,
    session: Session,
    change: dict[str, object],
    field: str,
) -> None:
    event = {**_event(bank.anna_customer.customer_no), **change}
    response = client.post("/api/v1/events", json=event, headers=_token(session))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert _count(session, Interaction) == 0


@pytest.mark.parametrize("role", ["account_manager", "branch_manager", "service_agent", "admin"])
def test_users_may_not_send_channel_events(
    client: TestClient, bank: Bank, login: Login, session: Session, role: str
) -> None:
    event = _event(bank.anna_customer.customer_no)
    response = client.post("/api/v1/events", json=event, headers=login(bank.users[role]))
    assert response.status_code == 403
    assert client.post("/api/v1/events", json=event).status_code == 401
    assert _count(session, Interaction) == 0


def test_a_service_token_reads_no_contacts(
    client: TestClient, bank: Bank, session: Session
) -> None:
    headers = _token(session)
    url = f"/api/v1/customers/{bank.anna_customer.id}/interactions"
    assert client.get(url, headers=headers).status_code == 403
    assert client.get("/api/v1/worklist", headers=headers).status_code == 403


def test_a_repeat_in_the_same_transaction_goes_through_the_unique_constraint(
    bank: Bank, session: Session
) -> None:
    """The service inserts first: the second copy hits the unique (source, event_id)
    constraint, its savepoint is rolled back, and the transaction carries on."""
    channel = Principal(actor="service:atm", role=None, scopes=frozenset({"events:write"}))
    event = EventIn.model_validate(_event(bank.anna_customer.customer_no))
    first, created = interactions_service.record_event(session, channel, event)
    again, created_again = interactions_service.record_event(session, channel, event)
    assert (created, created_again) == (True, False)
    assert again == first
    assert _count(session, Interaction) == _count(session, ChannelEvent) == 1
    with pytest.raises(Conflict):
        interactions_service.record_event(
            session, channel, event.model_copy(update={"outcome": "no_answer"})
        )
    session.flush()  # the session is still usable
    assert _count(session, Interaction) == 1


@pytest.fixture
def postgres_engine(tmp_path: Path) -> Iterator[Engine]:
    """A PostgreSQL database of this test's own: the race needs two transactions that
    commit, which the rolled-back test transaction cannot give."""
    url = database_url_for("postgresql", tmp_path, f"bankcrm_race_{os.getpid()}")
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
    drop_postgres_database(url)


def test_two_copies_at_once_make_one_interaction_on_postgresql(postgres_engine: Engine) -> None:
    """The first copy has inserted but not committed; the second blocks on the unique
    index, fails when the first commits, and answers with the first one's result."""
    with Session(postgres_engine) as setup:
        branch = records.branch(setup)
        customer = records.customer(setup, branch)
        setup.commit()
        customer_no = customer.customer_no
    channel = Principal(actor="service:mobile", role=None, scopes=frozenset({"events:write"}))
    event = EventIn.model_validate(_event(customer_no))
    results: dict[str, object] = {}

    def second_copy() -> None:
        with Session(postgres_engine) as other:
            try:
                results["second"] = interactions_service.record_event(other, channel, event)
                other.commit()
            except Exception as exc:  # reported below, not swallowed
                results["error"] = exc

    with Session(postgres_engine) as first:
        out, created = interactions_service.record_event(first, channel, event)
        thread = threading.Thread(target=second_copy)
        thread.start()
        time.sleep(0.5)  # the second copy is now waiting on the unique index
        assert thread.is_alive()
        first.commit()
    thread.join(timeout=30)
    assert "error" not in results, results.get("error")
    assert created is True
    assert results["second"] == (out, False)
    with Session(postgres_engine) as check:
        assert _count(check, ChannelEvent) == _count(check, Interaction) == 1
