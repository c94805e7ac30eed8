"""The API under test: the app on the test's own database session (rolled back after the
test), a small bank with two branches, and a user of every role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.config import Settings
from bankcrm.customers.models import Customer
from bankcrm.security import service
from bankcrm.security.models import User
from bankcrm.staff.models import Branch, Staff
from bankcrm.web.app import create_app
from tests import records

SCORED_ON = date(2026, 9, 30)


@dataclass
class Bank:
    north: Branch
    south: Branch
    anna: Staff  # account manager, north
    boris: Staff  # account manager, north
    carla: Staff  # account manager, south
    anna_customer: Customer
    boris_customer: Customer
    south_customer: Customer
    users: dict[str, User]  # role (or "account_manager_2") -> user


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url="sqlite://",  # unused: the app gets the test's sessions
        lake_dir=tmp_path / "lake",
        secret_key="test pseudonym key",  # type: ignore[arg-type]
        secret_key_file=tmp_path / "secret.key",
    )


@pytest.fixture
def bank(session: Session) -> Bank:
    north, south = records.branch(session, name="North"), records.branch(session, name="South")
    anna, boris = records.staff(session, north), records.staff(session, north)
    carla = records.staff(session, south)
    anna_customer = records.customer(session, north, anna)
    boris_customer = records.customer(session, north, boris)
    south_customer = records.customer(session, south, carla)
    current = records.product(session)
    for c in (anna_customer, boris_customer, south_customer):
        records.holding(session, c, current)
        records.score(session, c, SCORED_ON)
    users = {
        "account_manager": records.user(session, "account_manager", staff=anna),
        "account_manager_2": records.user(session, "account_manager", staff=carla),
        "branch_manager": records.user(session, "branch_manager", branch=north),
        "service_agent": records.user(session, "service_agent", branch=north),
        "product_manager": records.user(session, "product_manager"),
        "executive": records.user(session, "executive"),
        "analyst": records.user(session, "analyst"),
        "auditor": records.user(session, "auditor"),
        "admin": records.user(session, "admin"),
    }
    session.commit()
    return Bank(
        north, south, anna, boris, carla, anna_customer, boris_customer, south_customer, users
    )


@pytest.fixture
def client(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(settings, sessions)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield c


Login = Callable[[User], dict[str, str]]


@pytest.fixture
def login(session: Session) -> Login:
    """`login(user)` -> headers with a fresh bearer token for that user."""

    def headers(user: User) -> dict[str, str]:
        issued = service.issue(session, user, "bearer", 60)
        session.commit()
        return {"Authorization": f"Bearer {issued.token}"}

    return headers
