"""Demo logins of `bankcrm run` on both databases: one per role, at the largest portfolio."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.security import repository, service
from bankcrm.security.demo import LOGINS_FILE, ensure_demo_logins
from bankcrm.security.roles import Role
from tests import records


def test_demo_logins_sign_in_at_the_largest_portfolio(session: Session, tmp_path: Path) -> None:
    north, south = records.branch(session), records.branch(session)
    small, large = records.staff(session, north), records.staff(session, south)
    records.customer(session, north, small)
    for _ in range(3):
        records.customer(session, south, large)
    records.customer(session, south, small, status="closed")  # closed: not counted

    logins = ensure_demo_logins(session, tmp_path)
    session.flush()

    assert [login.role for login in logins] == list(Role)
    manager = repository.user_by_name(session, "demo-account-manager")
    assert manager is not None and manager.staff_id == large.id
    for role in (Role.BRANCH_MANAGER, Role.SERVICE_AGENT):
        user = repository.user_by_name(session, "demo-" + role.value.replace("_", "-"))
        assert user is not None and user.branch_id == south.id
    settings = Settings(database_url="sqlite://", lake_dir=tmp_path / "lake")
    for login in logins:
        assert login.password is not None
        assert service.login(session, settings, login.username, login.password, None)

    again = ensure_demo_logins(session, tmp_path)  # nothing new: the same passwords
    assert again == logins
    assert json.loads((tmp_path / LOGINS_FILE).read_text()) == {
        login.username: login.password for login in logins
    }


def test_a_bank_without_managers_gets_the_other_roles(session: Session, tmp_path: Path) -> None:
    logins = ensure_demo_logins(session, tmp_path)
    assert {login.role for login in logins} == set(Role) - {
        Role.ACCOUNT_MANAGER,
        Role.BRANCH_MANAGER,
    }
