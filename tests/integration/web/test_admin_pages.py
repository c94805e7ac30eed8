"""The security pages: the audit log (auditors), the break-glass report (branch managers
and auditors), users and roles (admins) and the language kept per user: who may use each,
bad input next to the field, CSRF refusals, and that every change is audited."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import InvalidInput
from bankcrm.security import users
from bankcrm.security.models import AuditEvent, BreakGlassGrant, User
from bankcrm.security.principal import system_principal
from bankcrm.web import i18n
from tests import records
from tests.integration.web.conftest import Bank
from tests.integration.web.test_pages import form_token, log_in
from tests.records import PASSWORD

NEW_PASSWORD = "a long new password"


def _events(session: Session, **where: str) -> list[AuditEvent]:
    session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(session.scalars(query))


def _error(html: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}-error" role="alert">([^<]*)<', html)
    assert found is not None, f"no error for {field_id}"
    return found.group(1)


@pytest.mark.parametrize("path", ["/audit-events", "/break-glass", "/users", "/users/1"])
def test_strangers_go_to_the_login_form(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"


# --- the audit log ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["account_manager", "branch_manager", "admin", "executive"])
def test_only_auditors_read_the_audit_log(client: TestClient, bank: Bank, role: str) -> None:
    log_in(client, bank.users[role].username)
    page = client.get("/audit-events?actor=x&since=junk")
    assert page.status_code == 403
    assert "Your role may not do this." in page.text
    assert 'data-testid="audit-events"' not in page.text and "audit-filters" not in page.text


def test_auditor_filters_the_log_newest_first_and_is_audited(
    client: TestClient, bank: Bank, session: Session
) -> None:
    auditor = bank.users["auditor"].username
    admin = bank.users["admin"].username
    log_in(client, admin)  # a log-in event of the admin, with its request id and IP
    client.cookies.clear()
    log_in(client, auditor)
    page = client.get("/audit-events", params={"actor": admin})
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="audit-events"' in html
    rows = re.findall(r'<tr data-event-id="(\d+)">', html)
    logins = _events(session, actor=admin, action="login")
    assert rows == [str(e.id) for e in reversed(logins)]  # newest first
    assert rows and admin in html
    # Reading the log was itself audited, with the ids it showed, from where and in which
    # request; the auditor finds that event too.
    reads = _events(session, actor=auditor, action="list", record_type="audit_event")
    assert reads and json.loads(reads[-1].record_ids or "[]") == [int(r) for r in rows]
    own = client.get("/audit-events", params={"actor": auditor, "action": "list"}).text
    assert f'<tr data-event-id="{reads[-1].id}">' in own
    assert reads[-1].request_id and reads[-1].request_id in own
    assert "testclient" in own  # the IP address
    # Filtering by action and record narrows it; a time range after everything is empty.
    narrowed = client.get(
        "/audit-events", params={"action": "login", "record_type": "user",
                                 "record_id": str(bank.users["admin"].id)},
    ).text  # fmt: skip
    assert re.findall(r'<tr data-event-id="(\d+)">', narrowed) == rows
    later = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    empty = client.get("/audit-events", params={"actor": admin, "since": later}).text
    assert 'data-testid="no-events"' in empty
    earlier = (utcnow() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    both = client.get("/audit-events", params={"actor": admin, "since": earlier}).text
    assert re.findall(r'<tr data-event-id="(\d+)">', both) == rows


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"since": "yesterday"}, "audit-since", "Enter a date and time."),
        ({"until": "0001-01-01T00:00"}, "audit-until", "Enter a date and time."),
        (
            {"since": "2026-11-02T10:00", "until": "2026-11-01T10:00"},
            "audit-until",
            "“Until” must be later than “From”.",
        ),
        ({"record_id": "9" * 65}, "audit-record_id", "Too long: at most 64 characters."),
        ({"actor": "a\x00b"}, "audit-actor", "This value is not accepted."),
    ],
)
def test_bad_filters_are_named_next_to_their_field(
    client: TestClient,
    bank: Bank,
    session: Session,
    params: dict[str, str],
    field: str,
    message: str,
) -> None:
    log_in(client, bank.users["auditor"].username)
    before = len(_events(session, action="list", record_type="audit_event"))
    page = client.get("/audit-events", params=params)
    assert page.status_code == 200
    assert _error(page.text, field) == message
    assert 'data-testid="audit-events"' not in page.text
    assert len(_events(session, action="list", record_type="audit_event")) == before


def test_a_junk_page_number_is_an_error_not_a_crash(client: TestClient, bank: Bank) -> None:
    log_in(client, bank.users["auditor"].username)
    for junk in ("abc", "0", "-1", "999999999999"):
        page = client.get("/audit-events", params={"page": junk})
        assert page.status_code == 200
        assert "There is no such page." in page.text


def test_audit_log_pages_through_htmx_and_links(
    client: TestClient, bank: Bank, session: Session
) -> None:
    auditor = bank.users["auditor"]
    for n in range(55):
        session.add(AuditEvent(actor="bulk", role="admin", action="update", record_type="user",
                               record_id=str(n)))  # fmt: skip
    session.commit()
    log_in(client, auditor.username)
    first = client.get("/audit-events?actor=bulk", headers={"HX-Request": "true"}).text
    assert 'id="audit-view"' in first and "Page 1 of 2" in first
    assert 'href="?actor=bulk&amp;page=2"' in first and 'hx-get="?actor=bulk&amp;page=2"' in first
    second = client.get("/audit-events?actor=bulk&page=2").text
    assert len(re.findall(r"<tr data-event-id=", second)) == 5


# --- the break-glass report -------------------------------------------------------------


def _grants(session: Session, bank: Bank) -> dict[str, BreakGlassGrant]:
    now = utcnow()
    agent, other = bank.users["service_agent"], bank.users["account_manager_2"]
    grants = {
        "north": BreakGlassGrant(
            user_id=agent.id, customer_id=bank.boris_customer.id, branch_id=bank.north.id,
            reason="customer on the phone about a lost card", granted_at=now - timedelta(hours=2),
            expires_at=now - timedelta(hours=1, minutes=30),
        ),
        "south": BreakGlassGrant(
            user_id=other.id, customer_id=bank.south_customer.id, branch_id=bank.south.id,
            reason="southern reason for looking", granted_at=now,
            expires_at=now + timedelta(minutes=30),
        ),
        "own": BreakGlassGrant(
            user_id=bank.users["branch_manager"].id, customer_id=bank.anna_customer.id,
            branch_id=bank.north.id, reason="the manager looked at a customer",
            granted_at=now - timedelta(minutes=5), expires_at=now + timedelta(minutes=25),
        ),
    }  # fmt: skip
    session.add_all(grants.values())
    session.commit()
    return grants


def test_branch_manager_sees_the_branch_grants_and_reviews_them(
    client: TestClient, bank: Bank, session: Session
) -> None:
    grants = _grants(session, bank)
    csrf = log_in(client, bank.users["branch_manager"].username)
    html = client.get("/break-glass").text
    assert "customer on the phone about a lost card" in html
    assert "the manager looked at a customer" in html
    assert "southern reason" not in html
    assert bank.users["service_agent"].username in html
    assert f'href="/customers/{bank.boris_customer.id}"' in html
    assert "Expired" in html and "Active until" in html and "Not reviewed" in html
    north, own = grants["north"].id, grants["own"].id
    assert f"/break-glass/{north}/review" in html
    assert f"/break-glass/{own}/review" not in html  # never their own access

    refused = client.post(f"/break-glass/{north}/review", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    session.expire_all()
    assert session.get(BreakGlassGrant, north).reviewed_at is None  # type: ignore[union-attr]

    answer = client.post(
        f"/break-glass/{north}/review", data={"csrf_token": csrf}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200
    assert "Marked as reviewed." in answer.text and 'id="break-glass-view"' in answer.text
    session.expire_all()
    assert session.get(BreakGlassGrant, north).reviewed_at is not None  # type: ignore[union-attr]
    assert _events(session, action="review", record_type="break_glass", record_id=str(north))
    # Another branch's grant, or one that does not exist: 404, nothing written.
    south = grants["south"].id
    assert client.post(f"/break-glass/{south}/review", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/break-glass/999999/review", data={"csrf_token": csrf}).status_code == 404
    plain = client.post(
        f"/break-glass/{own}/review", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert plain.status_code == 403  # their own access is for another manager to review


def test_auditor_sees_every_grant_but_reviews_none(
    client: TestClient, bank: Bank, session: Session
) -> None:
    grants = _grants(session, bank)
    csrf = log_in(client, bank.users["auditor"].username)
    html = client.get("/break-glass").text
    assert "southern reason for looking" in html and "lost card" in html
    assert "/review" not in html and 'href="/customers/' not in html
    north = grants["north"].id
    assert client.post(f"/break-glass/{north}/review", data={"csrf_token": csrf}).status_code == 403
    assert client.get("/break-glass?page=x").status_code == 400


@pytest.mark.parametrize("role", ["account_manager", "service_agent", "admin"])
def test_other_roles_get_no_break_glass_report(
    client: TestClient, bank: Bank, session: Session, role: str
) -> None:
    _grants(session, bank)
    log_in(client, bank.users[role].username)
    page = client.get("/break-glass")
    assert page.status_code == 403
    assert "lost card" not in page.text


# --- users and roles --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["account_manager", "auditor", "branch_manager"])
def test_only_admins_administer_users(
    client: TestClient, bank: Bank, session: Session, role: str
) -> None:
    csrf = log_in(client, bank.users[role].username)
    for path in ("/users", f"/users/{bank.users['admin'].id}"):
        page = client.get(path)
        assert page.status_code == 403
        assert bank.users["admin"].username not in page.text
    data = {"username": "sneaky", "role": "admin", "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD, "csrf_token": csrf}  # fmt: skip
    assert client.post("/users", data=data).status_code == 403
    assert client.post("/users", data={**data, "password2": "x"}).status_code == 403
    target = bank.users["analyst"].id
    assert client.post(f"/users/{target}/active", data={"active": "false", "csrf_token": csrf}
                       ).status_code == 403  # fmt: skip
    session.expire_all()
    assert session.scalars(select(User).where(User.username == "sneaky")).first() is None
    assert session.get(User, target).active  # type: ignore[union-attr]


def test_admin_lists_users_without_passwords(client: TestClient, bank: Bank) -> None:
    log_in(client, bank.users["account_manager"].username)  # a last log-in to show
    client.cookies.clear()
    log_in(client, bank.users["admin"].username)
    html = client.get("/users").text
    for user in bank.users.values():
        assert f'data-username="{user.username}"' in html
    assert "argon2" not in html and PASSWORD not in html
    row = re.search(
        rf'data-username="{bank.users["account_manager"].username}">(.*?)</tr>', html, re.S
    )
    assert row is not None
    assert "Account manager" in row.group(1) and bank.anna.staff_code in row.group(1)
    assert "North" in row.group(1) and "Never" not in row.group(1)
    analyst = re.search(rf'data-username="{bank.users["analyst"].username}">(.*?)</tr>', html, re.S)
    assert analyst is not None and "Never" in analyst.group(1)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password2": "something else entirely"}, "new-password2", "The two passwords differ."),
        ({"password": "short", "password2": "short"}, "new-password",
         "Too short: at least 12 characters."),
        ({"username": "Bad Name!"}, "new-username",
         "Use 2 to 64 characters: lower-case letters, digits, “.”, “_” or “-”."),
        ({"staff_id": ""}, "new-staff_id",
         "An account manager needs a staff ID (their portfolio)."),
        ({"staff_id": "NOPE"}, "new-staff_id", "No staff member has this staff ID."),
        ({"role": "branch_manager", "staff_id": ""}, "new-branch",
         "A branch manager needs a branch or a staff ID."),
        ({"role": "wizard"}, "new-role", "Choose one of the options."),
    ],
)  # fmt: skip
def test_a_refused_user_comes_back_with_the_error_next_to_the_field(
    client: TestClient,
    bank: Bank,
    session: Session,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    csrf = log_in(client, bank.users["admin"].username)
    data = {"username": "new.manager", "role": "account_manager", "branch": "",
            "staff_id": bank.boris.staff_code, "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD, "csrf_token": csrf, **changes}  # fmt: skip
    page = client.post("/users", data=data, headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert _error(page.text, field) == message
    assert NEW_PASSWORD not in page.text and "something else entirely" not in page.text
    session.expire_all()
    assert session.scalars(select(User).where(User.role == "wizard")).first() is None
    assert not _events(session, action="create", record_type="user")


def test_admin_creates_a_user_who_can_log_in(
    client: TestClient, bank: Bank, session: Session
) -> None:
    admin = bank.users["admin"]
    csrf = log_in(client, admin.username)
    data = {"username": "boris.m", "role": "account_manager", "branch": "",
            "staff_id": bank.boris.staff_code, "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD}  # fmt: skip
    assert client.post("/users", data={**data, "csrf_token": "forged"}).status_code == 403
    session.expire_all()
    assert session.scalars(select(User).where(User.username == "boris.m")).first() is None

    answer = client.post("/users", data={**data, "csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    session.expire_all()
    user = session.scalars(select(User).where(User.username == "boris.m")).one()
    assert answer.headers["location"] == f"/users/{user.id}?done=created"
    assert user.staff_id == bank.boris.id and user.branch_id == bank.north.id
    page = client.get(answer.headers["location"]).text
    assert "The user is created." in page and bank.boris.staff_code in page
    created = _events(session, action="create", record_type="user", record_id=str(user.id))
    assert created and created[0].actor == admin.username
    assert all(NEW_PASSWORD not in (e.fields + (e.reason or "")) for e in _events(session))
    # The same username again is taken; with htmx the form is swapped in place.
    again = client.post("/users", data={**data, "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert _error(again.text, "new-username") == "This username is taken."
    htmx = client.post("/users", data={**data, "username": "boris.n", "csrf_token": csrf},
                       headers={"HX-Request": "true"})  # fmt: skip
    assert htmx.headers["HX-Redirect"].endswith("?done=created")
    client.cookies.clear()
    log_in(client, "boris.m", NEW_PASSWORD)


def test_admin_changes_role_and_branch_and_deactivates(
    client: TestClient, bank: Bank, session: Session
) -> None:
    admin = bank.users["admin"]
    analyst = bank.users["analyst"]
    csrf = log_in(client, admin.username)
    page = client.get(f"/users/{analyst.id}").text
    assert analyst.username in page and "Deactivate" in page

    # A branch manager needs a branch: the error is next to it and nothing changes.
    refused = client.post(
        f"/users/{analyst.id}", data={"role": "branch_manager", "csrf_token": csrf}
    )
    assert refused.status_code == 200
    assert _error(refused.text, "user-branch") == "A branch manager needs a branch or a staff ID."
    assert client.post(f"/users/{analyst.id}", data={"role": "branch_manager",
                       "branch": bank.south.branch_code}).status_code == 403  # fmt: skip
    session.expire_all()
    assert session.get(User, analyst.id).role == "analyst"  # type: ignore[union-attr]

    saved = client.post(
        f"/users/{analyst.id}",
        data={"role": "branch_manager", "branch": bank.south.branch_code, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    session.expire_all()
    changed = session.get(User, analyst.id)
    assert changed is not None and changed.role == "branch_manager"
    assert changed.branch_id == bank.south.id
    update = _events(session, action="update", record_type="user", record_id=str(analyst.id))
    assert update and json.loads(update[-1].fields) == ["branch", "role"]
    # A staff-linked user stays in their staff member's branch.
    manager = bank.users["account_manager"]
    moved = client.post(
        f"/users/{manager.id}",
        data={"role": "account_manager", "branch": bank.south.branch_code, "csrf_token": csrf},
    )
    assert _error(moved.text, "user-branch") == "The staff member works at another branch."

    # Deactivated, the user can no longer log in; reactivated, they can again.
    off = client.post(f"/users/{manager.id}/active", data={"active": "false", "csrf_token": csrf})
    assert off.status_code == 200 and 'data-testid="deactivated"' in off.text
    assert _events(session, action="deactivate", record_id=str(manager.id))
    other = TestClient(client.app, base_url="https://testserver")
    token = form_token(other)
    refused_login = other.post("/login", data={"username": manager.username,
                               "password": PASSWORD, "csrf_token": token})  # fmt: skip
    assert "Wrong username or password." in refused_login.text
    on = client.post(f"/users/{manager.id}/active", data={"active": "true", "csrf_token": csrf})
    assert "Reactivate" not in on.text
    assert _events(session, action="reactivate", record_id=str(manager.id))
    assert client.post(f"/users/{manager.id}/active", data={"active": "maybe",
                       "csrf_token": csrf}).status_code == 200  # fmt: skip
    assert client.get("/users/999999").status_code == 404
    assert client.post("/users/999999/active", data={"active": "false", "csrf_token": csrf}
                       ).status_code == 404  # fmt: skip
    assert client.get("/users/abc").status_code < 500


def test_an_admin_cannot_lock_themself_out(
    client: TestClient, bank: Bank, session: Session
) -> None:
    admin = bank.users["admin"]
    csrf = log_in(client, admin.username)
    off = client.post(f"/users/{admin.id}/active", data={"active": "false", "csrf_token": csrf})
    assert _error(off.text, "user-active") == "You cannot deactivate yourself."
    demoted = client.post(f"/users/{admin.id}", data={"role": "auditor", "csrf_token": csrf})
    assert _error(demoted.text, "user-role") == "You cannot take away your own administrator role."
    session.expire_all()
    still = session.get(User, admin.id)
    assert still is not None and still.active and still.role == "admin"


def test_the_last_active_admin_stays(bank: Bank, session: Session) -> None:
    admin = bank.users["admin"]
    actor = system_principal("test")
    with pytest.raises(InvalidInput, match="last active administrator"):
        users.set_active(session, actor, admin.id, False)
    with pytest.raises(InvalidInput, match="last active administrator"):
        users.change_user(session, actor, admin.id, role="auditor", branch_code=None)
    second = records.user(session, "admin")
    users.set_active(session, actor, admin.id, False)  # another admin remains
    with pytest.raises(InvalidInput, match="last active administrator"):
        users.set_active(session, actor, second.id, False)


# --- the language per user --------------------------------------------------------------


def test_a_users_language_follows_them_to_another_browser(
    client: TestClient, bank: Bank, session: Session
) -> None:
    user = bank.users["service_agent"]
    csrf = log_in(client, user.username)
    answer = client.post(
        "/language", data={"language": "zh_Hans", "csrf_token": csrf, "next": "/"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303
    session.expire_all()
    assert session.get(User, user.id).language == "zh_Hans"  # type: ignore[union-attr]
    settings = _events(session, action="update", record_type="user_settings")
    assert settings and json.loads(settings[-1].fields) == ["language"]
    assert settings[-1].actor == user.username

    fresh = TestClient(client.app, base_url="https://testserver")
    assert "Log in to the workbench" in fresh.get("/login").text  # no cookie yet: English
    log_in(fresh, user.username)
    assert fresh.cookies["bankcrm_lang"] == "zh_Hans"
    assert "今日工作清单" in fresh.get("/").text
    # The user's stored language wins over the browser's cookie and Accept-Language.
    fresh.cookies.delete("bankcrm_lang")
    fresh.cookies.set("bankcrm_lang", "en")
    home = fresh.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in home.text and "今日工作清单" in home.text


def test_users_choose_among_the_pages_languages() -> None:
    assert set(users.LANGUAGES) == set(i18n.LANGUAGES)


def test_a_language_switch_before_log_in_stays_in_the_browser(
    client: TestClient, bank: Bank, session: Session
) -> None:
    token = form_token(client)
    client.post("/language", data={"language": "zh_Hans", "csrf_token": token})
    assert client.cookies["bankcrm_lang"] == "zh_Hans"
    session.expire_all()
    assert all(u.language is None for u in session.scalars(select(User)))
    assert not _events(session, record_type="user_settings")
