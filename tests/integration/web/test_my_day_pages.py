# ruff: noqa: RUF001 (the Chinese texts use full-width punctuation)
"""The "My day" page (/worklist) and the customer list (/customers): who sees what, masking,
the task actions with their CSRF check, htmx partials and bad query parameters."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bankcrm.analytics.next_best import explanation
from bankcrm.analytics.phrases import describe
from bankcrm.interactions.generator import _offer_reason, _retention_reason, _review_reason
from bankcrm.interactions.models import Task
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank
from tests.integration.web.test_pages import log_in

TODAY = date.today()


def _tasks(session: Session, bank: Bank) -> dict[str, Task]:
    tasks = {
        "anna": records.task(
            session,
            bank.anna_customer,
            kind="retention_call",
            reason="Churn risk 62%: balances fell by half",
            value_at_risk=9000.0,
            due_on=TODAY - timedelta(days=2),
        ),
        "anna_later": records.task(
            session,
            bank.anna_customer,
            reason="Quarterly review",
            value_at_risk=10.0,
            due_on=TODAY + timedelta(days=20),
        ),
        "boris": records.task(session, bank.boris_customer, reason="Boris's own call"),
        "south": records.task(session, bank.south_customer, reason="Southern call"),
    }
    session.commit()
    return tasks


def test_strangers_go_to_the_login_form(client: TestClient) -> None:
    for path in ("/worklist", "/customers"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"


def test_account_manager_sees_own_worklist_with_reasons(
    client: TestClient, bank: Bank, session: Session
) -> None:
    _tasks(session, bank)
    log_in(client, bank.users["account_manager"].username)
    page = client.get("/worklist")
    assert page.status_code == 200
    html = page.text
    assert "Churn risk 62%: balances fell by half" in html
    assert "Quarterly review" in html
    # Ranked by value at risk: the retention call first.
    assert html.index("Churn risk 62%") < html.index("Quarterly review")
    assert "Boris&#39;s own call" not in html and "Southern call" not in html
    assert f'href="/customers/{bank.anna_customer.id}"' in html
    assert f'href="/customers/{bank.boris_customer.id}"' not in html
    due = re.search(r'data-testid="due">(.*?)</ul>', html, re.S)
    assert due is not None and "Overdue since" in due.group(1)
    assert "Retention call" in due.group(1)
    assert 'id="tier-mix-data"' in html and "<script>" not in html
    assert "Content-Security-Policy" in page.headers


def test_branch_manager_sees_the_branch_and_service_agent_own_tasks(
    client: TestClient, bank: Bank, session: Session
) -> None:
    _tasks(session, bank)
    log_in(client, bank.users["branch_manager"].username)
    html = client.get("/worklist").text
    assert "Churn risk 62%" in html and "Boris&#39;s own call" in html
    assert "Southern call" not in html
    client.cookies.clear()
    log_in(client, bank.users["service_agent"].username)
    html = client.get("/worklist").text
    assert 'data-testid="empty-worklist"' in html  # no task assigned to them
    assert "Southern call" not in html


@pytest.mark.parametrize("role", ["product_manager", "executive", "auditor"])
def test_roles_without_a_worklist_are_told(client: TestClient, bank: Bank, role: str) -> None:
    log_in(client, bank.users[role].username)
    page = client.get("/worklist")
    assert page.status_code == 403
    assert "Your role has no worklist." in page.text


def test_sla_alerts_name_the_managers_cases_due_soon_or_breached(
    client: TestClient, bank: Bank, session: Session
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    records.case(session, bank.anna_customer, topic="due soon", due_at=now + timedelta(hours=3))
    records.case(
        session,
        bank.anna_customer,
        topic="was breached",
        status="in_progress",
        due_at=now - timedelta(hours=5),
        breached=True,
    )
    records.case(session, bank.anna_customer, topic="far away", due_at=now + timedelta(days=3))
    records.case(
        session,
        bank.anna_customer,
        topic="resolved late",
        status="resolved",
        due_at=now - timedelta(hours=5),
    )
    records.case(session, bank.boris_customer, topic="boris case", due_at=now + timedelta(hours=1))
    session.commit()
    log_in(client, bank.users["account_manager"].username)
    html = client.get("/worklist").text
    alerts = re.search(r'data-testid="alerts">(.*?)</table>', html, re.S)
    assert alerts is not None
    shown = alerts.group(1)
    assert "was breached" in shown and "SLA breached" in shown
    assert "due soon" in shown and "Due within 24 hours" in shown
    assert shown.index("was breached") < shown.index("due soon")
    for absent in ("far away", "resolved late", "boris case"):
        assert absent not in shown


def test_tier_mix_compares_with_the_previous_scoring(
    client: TestClient, bank: Bank, session: Session
) -> None:
    earlier = SCORED_ON - timedelta(days=30)
    extra = records.customer(session, bank.north, bank.anna)
    records.score(session, extra, SCORED_ON, tier="gold")
    records.score(session, bank.anna_customer, earlier, tier="gold")
    records.score(session, extra, earlier, tier="gold")
    records.score(session, bank.boris_customer, earlier, tier="gold")  # not Anna's
    session.commit()
    log_in(client, bank.users["account_manager"].username)
    html = client.get("/worklist").text
    table = re.search(r'data-testid="tier-mix">(.*?)</table>', html, re.S)
    assert table is not None
    rows = re.findall(r"<tr>\s*<td>(\w+)</td>\s*<td>(\d+)</td>\s*<td>([^<]*)</td>", table.group(1))
    assert rows == [
        ("Gold", "1", "-1"),
        ("Growth", "0", "0"),
        ("General", "1", "+1"),
        ("Unprofitable", "0", "0"),
    ]
    assert "compared with" in html


def _version(html: str, task_id: int) -> str:
    found = re.search(rf'/worklist/tasks/{task_id}/done.*?name="version" value="(\d+)"', html, re.S)
    assert found is not None
    return found.group(1)


def test_mark_done_and_snooze_call_the_task_service(
    client: TestClient, bank: Bank, session: Session
) -> None:
    tasks = _tasks(session, bank)
    token = log_in(client, bank.users["account_manager"].username)
    task = tasks["anna"]
    html = client.get("/worklist").text
    answer = client.post(
        f"/worklist/tasks/{task.id}/done",
        data={"csrf_token": token, "version": _version(html, task.id), "outcome": "called"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/worklist?notice=done"
    session.expire_all()
    done = session.get(Task, task.id)
    assert done is not None and done.status == "done" and done.outcome == "called"
    page = client.get(answer.headers["location"]).text
    assert "The task is marked done." in page and "Churn risk 62%" not in page
    # Snooze through htmx: the token in the header, as <body hx-headers> sends it.
    later = tasks["anna_later"]
    answer = client.post(
        f"/worklist/tasks/{later.id}/snooze",
        data={"version": _version(page, later.id), "days": "7"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert answer.status_code == 200 and "The task is moved to a later day." in answer.text
    session.expire_all()
    moved = session.get(Task, later.id)
    assert moved is not None and moved.version == 2
    assert moved.due_on == date.fromisoformat(moved.due_on.isoformat())
    # A stale version changes nothing and says so.
    answer = client.post(
        f"/worklist/tasks/{later.id}/done", data={"csrf_token": token, "version": "1"}
    )
    assert "Someone changed this task meanwhile" in answer.text
    session.expire_all()
    assert session.get(Task, later.id).status == "open"  # type: ignore[union-attr]


def test_task_actions_without_the_token_are_refused(
    client: TestClient, bank: Bank, session: Session
) -> None:
    tasks = _tasks(session, bank)
    log_in(client, bank.users["account_manager"].username)
    task = tasks["anna"]
    for sent in ({}, {"csrf_token": "forged"}):
        answer = client.post(
            f"/worklist/tasks/{task.id}/done", data={"version": "1", **sent}, follow_redirects=False
        )
        assert answer.status_code == 403
        assert "The form had expired" in answer.text
    session.expire_all()
    assert session.get(Task, task.id).status == "open"  # type: ignore[union-attr]


def test_another_managers_task_is_gone_for_the_caller(
    client: TestClient, bank: Bank, session: Session
) -> None:
    tasks = _tasks(session, bank)
    token = log_in(client, bank.users["account_manager"].username)
    south = tasks["south"]
    answer = client.post(
        f"/worklist/tasks/{south.id}/done", data={"csrf_token": token, "version": "1"}
    )
    assert "That task is no longer on your worklist." in answer.text
    session.expire_all()
    assert session.get(Task, south.id).status == "open"  # type: ignore[union-attr]


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1.5"])
def test_my_day_bad_page_is_explained(client: TestClient, bank: Bank, raw: str) -> None:
    log_in(client, bank.users["account_manager"].username)
    page = client.get(f"/worklist?page={raw}")
    assert page.status_code == 200
    assert "The page number must be a whole number from 1" in page.text


# The customer list


def _ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-customer-id="(\d+)"', html)}


def test_customer_list_per_role(client: TestClient, bank: Bank) -> None:
    anna, boris, south = bank.anna_customer, bank.boris_customer, bank.south_customer
    expected = {
        "account_manager": {anna.id},
        "account_manager_2": {south.id},
        "branch_manager": {anna.id, boris.id},
        "service_agent": {anna.id, boris.id, south.id},
        "executive": {anna.id, boris.id, south.id},
    }
    for role, ids in expected.items():
        client.cookies.clear()
        log_in(client, bank.users[role].username)
        page = client.get("/customers")
        assert page.status_code == 200, role
        assert _ids(page.text) == ids, role
    # Executives see pseudonyms: no name, no customer number, no link to the record.
    html = page.text
    assert anna.customer_no not in html and (anna.last_name or "") not in html
    assert "Pseudonymised customer" in html and "P-" in html
    assert 'href="/customers/' not in html
    # Service agents may open records; branch filter offered to the bank-wide roles.
    client.cookies.clear()
    log_in(client, bank.users["service_agent"].username)
    html = client.get("/customers").text
    assert f'href="/customers/{south.id}"' in html
    assert 'name="branch_id"' in html
    client.cookies.clear()
    log_in(client, bank.users["account_manager"].username)
    html = client.get("/customers").text
    assert 'name="branch_id"' not in html
    assert anna.customer_no in html


def test_customer_list_is_refused_to_roles_without_customers(
    client: TestClient, bank: Bank
) -> None:
    log_in(client, bank.users["auditor"].username)
    page = client.get("/customers")
    assert page.status_code == 403
    assert "Your role sees no customer records." in page.text


def test_customer_list_filters_pages_and_htmx_partial(
    client: TestClient, bank: Bank, session: Session
) -> None:
    extra = [records.customer(session, bank.north, bank.anna) for _ in range(30)]
    for n, customer in enumerate(extra):
        records.score(session, customer, SCORED_ON, tier="gold" if n < 3 else "general")
    session.commit()
    log_in(client, bank.users["account_manager"].username)
    gold = client.get("/customers?tier=gold")
    assert _ids(gold.text) == {c.id for c in extra[:3]}
    first = client.get("/customers?sort=-value_at_risk")
    assert "31 customers" in first.text and "Page 1 of 2" in first.text
    assert len(_ids(first.text)) == 25
    partial = client.get(
        "/customers?sort=-value_at_risk&page=2",
        headers={"HX-Request": "true", "HX-Target": "customer-results"},
    )
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div id="customer-results"')
    assert "<html" not in partial.text
    assert len(_ids(partial.text)) == 6
    assert not _ids(partial.text) & _ids(first.text)
    assert 'href="?sort=-value_at_risk&amp;page=1"' in partial.text


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("sort=shoe_size", "Sort"),
        ("tier=platinum", "Tier"),
        ("page=0", "Page"),
        ("page=x", "Page"),
        ("min_churn_probability=2", "Churn risk"),
        ("branch_id=abc", "Branch"),
        ("band=huge&q=" + "x" * 101, "Value band"),
    ],
)
def test_customer_list_bad_parameters_are_explained(
    client: TestClient, bank: Bank, query: str, parameter: str
) -> None:
    log_in(client, bank.users["account_manager"].username)
    page = client.get(f"/customers?{query}")
    assert page.status_code == 200
    assert f"The value given for “{parameter}” is not valid and was ignored." in page.text
    assert _ids(page.text) == {bank.anna_customer.id}


def test_customer_list_past_the_last_page(client: TestClient, bank: Bank) -> None:
    log_in(client, bank.users["account_manager"].username)
    page = client.get("/customers?page=9")
    assert "There is no such page; showing the last one." in page.text
    assert _ids(page.text) == {bank.anna_customer.id}


def test_customer_list_in_chinese(client: TestClient, bank: Bank) -> None:
    log_in(client, bank.users["account_manager"].username)
    client.cookies.set("bankcrm_lang", "zh_Hans")
    page = client.get("/customers")
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.text


def _engine_tasks(session: Session, bank: Bank) -> dict[str, str]:
    """Anna's tasks with reasons as `tasks generate` writes them (its own functions)."""
    churn = json.dumps([describe("days_since_own_tx", 60), describe("has_manager", 0)])
    reasons = {
        "retention": _retention_reason("gold", 1234.0, 0.4, 9876.0, churn),
        "offer": _offer_reason(
            "Savings Account",
            345.0,
            explanation("Savings Account", 0.005, [], 1234.0, 365, "CZK"),
        ),
        "review": _review_reason("growth", 91, TODAY - timedelta(days=80), TODAY),
    }
    for value, (kind, reason) in enumerate(reasons.items()):
        records.task(session, bank.anna_customer, kind=kind, reason=reason, value_at_risk=value)
    records.task(session, bank.anna_customer, reason="Ring about the card: she asked")
    session.commit()
    return reasons


def test_my_day_reasons_in_chinese(client: TestClient, bank: Bank, session: Session) -> None:
    reasons = _engine_tasks(session, bank)
    log_in(client, bank.users["account_manager"].username)
    client.cookies.set("bankcrm_lang", "zh_Hans")
    html = unescape(client.get("/worklist").text)
    shown = re.findall(r'data-testid="reason">(.*?)</p>', html, re.S)
    for english in reasons.values():
        assert english not in shown
    for chinese in (
        "致电挽留这位黄金客户：流失概率 40%，其终身价值 9,876 中有 1,234 面临风险。"
        "流失迹象：已 60 天无主动交易；有专属客户经理：否。",
        "推荐 Savings Account（期望价值 345）：Savings Account：一年内办理的可能性为 "
        "不到 1%；每年价值约 CZK 1,200。",
        "成长客户每季度定期回访：上次当面联系为 "
        f"{(TODAY - timedelta(days=80)).isoformat()}（80 天前）。",
        "Ring about the card: she asked",  # a manager's own words stay as typed
    ):
        assert chinese in shown, chinese


def test_my_day_reasons_in_english_are_as_stored(
    client: TestClient, bank: Bank, session: Session
) -> None:
    reasons = _engine_tasks(session, bank)
    log_in(client, bank.users["account_manager"].username)
    html = unescape(client.get("/worklist").text)
    shown = re.findall(r'data-testid="reason">(.*?)</p>', html, re.S)
    assert set(shown) == {*reasons.values(), "Ring about the card: she asked"}
