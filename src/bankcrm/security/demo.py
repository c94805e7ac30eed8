"""Demo logins for `bankcrm run`: one user per role on the demo bank, so a new user can sign
in to the workbench as each role at once.

Passwords are random, made on the first run and kept only in a file readable by its owner
(`var/demo-logins.json`, never in the repository); the database keeps their argon2 hashes as
for any user. The account manager signs in as the manager with the largest portfolio, the
branch manager and service agent at that manager's branch, so every page has data.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from bankcrm.customers import portfolio_repository
from bankcrm.security import repository, service
from bankcrm.security.principal import system_principal
from bankcrm.security.roles import Role

LOGINS_FILE = "demo-logins.json"
BRANCH_ROLES = (Role.BRANCH_MANAGER, Role.SERVICE_AGENT)


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    username: str
    password: str | None  # None: the user exists but its password file was removed


def username_for(role: Role) -> str:
    return "demo-" + role.value.replace("_", "-")


def _stored(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    passwords: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return passwords


def _save(path: Path, passwords: dict[str, str]) -> None:
    """Write the passwords readable by the owner only (0600 from the start, no window)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(passwords, f, indent=2, sort_keys=True)


def ensure_demo_logins(session: Session, folder: Path) -> list[DemoLogin]:
    """One user per role (created when missing) and their passwords. Does not commit."""
    path = folder / LOGINS_FILE
    passwords = _stored(path)
    largest = portfolio_repository.largest_portfolio(session)
    staff_code, branch_code = largest if largest is not None else (None, None)
    actor = system_principal("bankcrm run: demo logins")
    logins: list[DemoLogin] = []
    for role in Role:
        name = username_for(role)
        if repository.user_by_name(session, name) is not None:
            logins.append(DemoLogin(role, name, passwords.get(name)))
            continue
        if role in (Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER) and largest is None:
            continue  # a bank without managers has no portfolio to show
        password = secrets.token_urlsafe(12)
        service.create_user(
            session,
            actor,
            username=name,
            role=role.value,
            password=password,
            staff_code=staff_code if role is Role.ACCOUNT_MANAGER else None,
            branch_code=branch_code if role in BRANCH_ROLES else None,
        )
        passwords[name] = password
        logins.append(DemoLogin(role, name, password))
    _save(path, passwords)
    return logins
