# ruff: noqa: RUF001 (the Chinese texts use full-width punctuation)
"""The customer 360 page: what each role sees, break-glass, and the three htmx forms
(log a contact, open a case, create a task) with their errors and CSRF check."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bankcrm.analytics import offer_phrases
from bankcrm.analytics.models import CustomerScore
from bankcrm.analytics.next_best import explanation
from bankcrm.analytics.phrases import describe
from bankcrm.analytics.policy import Tiering
from bankcrm.analytics.tiers import assign_tiers
from bankcrm.config import Settings
from bankcrm.interactions.generator import _retention_reason
from bankcrm.interactions.models import Interaction, Task
from bankcrm.lake.repository import add_files
from bankcrm.lake.staging import StagedFile
from bankcrm.lake.store import TRANSACTION_SCHEMA, LakeStore
from bankcrm.products.models import Holding
from bankcrm.security.models import AuditEvent, BreakGlassGrant
from bankcrm.service_desk.models import Case
from tests import records
from tests.integration.web.conftest import SCORED_ON, Bank
from tests.integration.web.test_pages import log_in

REASON = "customer called about a blocked card"
HTMX = {"HX-Request": "true"}


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def lake_transactions(session: Session, lake_dir: Path, account_no: str) -> None:
    """Three transactions of one account in the lake, with the balance after each (the
    browser test uses it too)."""
    store = LakeStore(lake_dir)
    batch = records.import_batch(session)
    staged = []
    for month, balance in (("2026-08", "900.00"), ("2026-09", "700.00"), ("2026-10", "1000.00")):
        day = date(int(month[:4]), int(month[5:]), 12)
        table = pa.Table.from_pylist(
            [
                {
                    "transaction_id": int(month[-2:]),
                    "account_no": account_no,
                    "booked_on": day,
                    "direction": "debit",
                    "amount": Decimal("-100.00"),
                    "balance_after": Decimal(balance),
                    "channel": "card",
                    "category": "groceries",
                    "counterparty_bank": None,
                    "counterparty_account": None,
                }
            ],
            schema=TRANSACTION_SCHEMA,
        )
        relative = store.relative_path(month, f"page{month}")
        path = lake_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        staged.append(StagedFile(month, relative, 1, 0, 0, date.today(), date.today()))
    add_files(session, batch.id, "transactions", staged)
    session.commit()


def _chart_data(html: str) -> dict[str, object]:
    found = re.search(
        r'<script type="application/json" id="customer-data">(.*?)</script>', html, re.S
    )
    assert found is not None
    data: dict[str, object] = json.loads(unescape(found.group(1)))
    return data


def test_account_manager_sees_the_whole_customer(
    client: TestClient, bank: Bank, session: Session, settings: Settings
) -> None:
    customer = bank.anna_customer
    account = session.scalars(
        select(Holding.account_no).where(Holding.customer_id == customer.id)
    ).one()
    spouse = records.customer(session, bank.north, bank.anna, first_name="Eva")
    records.relationship(session, spouse, customer, "spouse")
    outsider = records.customer(session, bank.south, bank.carla)
    records.relationship(session, customer, outsider, "guarantor")
    loan = records.product(session, "mortgage")
    records.holding(session, outsider, loan, balance=Decimal("-80000.00"))
    records.interaction(session, customer, topic="annual review")
    records.case(session, customer, topic="card fee")
    records.tier_change(session, customer, SCORED_ON, reason="contribution rose")
    records.offer(session, customer, loan, SCORED_ON, explanation="neighbours took one")
    session.commit()
    lake_transactions(session, settings.lake_dir, account)
    log_in(client, bank.users["account_manager"].username)
    page = client.get(f"/customers/{customer.id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in html  # no inline script: the data is JSON
    assert f'href="/opportunities/new?customer_id={customer.id}"' in html  # a seller's button
    assert customer.national_id in html and customer.email in html  # full view
    assert 'data-testid="break-glass"' not in html
    for text in (
        "annual review",
        "card fee",
        "contribution rose",
        "neighbours took one",
        "balances fell",  # churn reason
        "positive contribution",  # tier reason
        "likely between CZK4,000.00 and CZK6,000.00",  # the CLV interval
        "Outside your scope",
        "Eva",
        "CZK80,000.00",  # exposure: the guarantor's loan
        "groceries",
    ):
        assert text in html, text
    data = _chart_data(html)
    assert data["balances"] == [
        {
            "account": account,
            "points": [["2026-08-12", 900.0], ["2026-09-12", 700.0], ["2026-10-12", 1000.0]],
        }
    ]
    relationships = data["relationships"]
    assert isinstance(relationships, list)
    assert {r["kind"] for r in relationships} == {"spouse", "guarantor"}
    assert {r["other_name"] for r in relationships if r["kind"] == "guarantor"} == {None}
    read = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "read", AuditEvent.record_id == str(customer.id)
        )
    ).all()
    assert read, "the page's read is audited as the API's"


def test_the_page_speaks_chinese(client: TestClient, bank: Bank) -> None:
    log_in(client, bank.users["account_manager"].username)
    client.cookies.set("bankcrm_lang", "zh_Hans")
    html = client.get(f"/customers/{bank.anna_customer.id}").text
    assert '<html lang="zh-Hans">' in html
    for english in ("Holdings", "Timeline", "Log a contact", "Open a case", "Create a task"):
        assert f">{english}<" not in html, english


def test_another_managers_customer_is_not_found(client: TestClient, bank: Bank) -> None:
    log_in(client, bank.users["account_manager"].username)
    for customer in (bank.boris_customer, bank.south_customer):
        page = client.get(f"/customers/{customer.id}")
        assert page.status_code == 404
        assert customer.last_name not in page.text
        assert "not in your scope" in page.text
    assert client.get("/customers/999999").status_code == 404


def test_strangers_go_to_the_login_form(client: TestClient, bank: Bank) -> None:
    answer = client.get(f"/customers/{bank.anna_customer.id}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_service_agent_sees_masked_identifiers_then_breaks_the_glass(
    client: TestClient, bank: Bank, session: Session
) -> None:
    customer = bank.boris_customer
    csrf = log_in(client, bank.users["service_agent"].username)
    url = f"/customers/{customer.id}"
    html = client.get(url).text
    assert customer.national_id not in html
    assert customer.email not in html
    assert "Identifiers are masked." in html
    assert 'data-testid="break-glass"' in html
    assert 'data-testid="new-opportunity"' not in html  # service agents sell nothing
    # A short reason: the form again with the error next to the field, no grant.
    short = client.post(f"{url}/break-glass", data={"reason": "curious", "csrf_token": csrf})
    assert short.status_code == 200
    assert 'id="break_glass-reason-error"' in short.text
    assert "Too short: at least 10 characters." in short.text
    assert _count(session, BreakGlassGrant) == 0
    # Without the session's token: refused.
    forged = client.post(f"{url}/break-glass", data={"reason": REASON, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert _count(session, BreakGlassGrant) == 0
    # With a reason (as htmx sends it): the page comes back unmasked.
    granted = client.post(
        f"{url}/break-glass", data={"reason": REASON, "csrf_token": csrf}, headers=HTMX
    )
    assert granted.status_code == 200
    assert granted.headers["HX-Redirect"] == url
    (grant,) = session.scalars(select(BreakGlassGrant)).all()
    assert grant.reason == REASON and grant.customer_id == customer.id
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "break_glass")).one()
    assert event.reason == REASON
    unmasked = client.get(url).text
    assert customer.national_id in unmasked and customer.email in unmasked
    assert 'data-testid="break-glass"' not in unmasked


def test_log_a_contact_through_the_form(client: TestClient, bank: Bank, session: Session) -> None:
    customer = bank.anna_customer
    csrf = log_in(client, bank.users["account_manager"].username)
    url = f"/customers/{customer.id}/interactions"
    before = _count(session, Interaction)
    bad = client.post(
        url, data={"channel": "pigeon", "topic": "", "csrf_token": csrf}, headers=HTMX
    )
    assert bad.status_code == 200
    assert 'id="interaction-channel-error"' in bad.text
    assert 'id="interaction-topic-error"' in bad.text
    assert 'id="interaction-outcome-error"' in bad.text
    assert "This field is required." in bad.text
    assert 'id="timeline"' not in bad.text  # only the form comes back
    assert _count(session, Interaction) == before
    good = client.post(
        url,
        data={
            "channel": "phone",
            "direction": "outbound",
            "topic": "mortgage renewal call",
            "outcome": "follow_up",
            "note": "wants a quote",
            "next_step": "send the quote",
            "next_step_due": (date.today() + timedelta(days=3)).isoformat(),
            "csrf_token": csrf,
        },
        headers=HTMX,
    )
    assert good.status_code == 200, good.text
    assert "The contact is logged." in good.text
    assert 'id="timeline" data-testid="timeline" hx-swap-oob="true"' in good.text
    assert "mortgage renewal call" in good.text
    assert "send the quote" in good.text  # the follow-up task, in the open tasks
    assert _count(session, Interaction) == before + 1
    assert session.scalars(select(Task).where(Task.reason == "send the quote")).one()


def test_open_a_case_through_the_form(client: TestClient, bank: Bank, session: Session) -> None:
    customer = bank.anna_customer
    csrf = log_in(client, bank.users["account_manager"].username)
    url = f"/customers/{customer.id}/cases"
    bad = client.post(
        url,
        data={"kind": "complaint", "channel": "branch", "topic": "x" * 101, "csrf_token": csrf},
        headers=HTMX,
    )
    assert bad.status_code == 200
    assert "Too long: at most 100 characters." in bad.text
    assert f'value="{"x" * 101}"' in bad.text  # what was typed stays
    assert _count(session, Case) == 0
    good = client.post(
        url,
        data={
            "kind": "complaint",
            "channel": "branch",
            "priority": "high",
            "topic": "double card fee",
            "description": "charged twice in October",
            "csrf_token": csrf,
        },
        headers=HTMX,
    )
    assert good.status_code == 200
    assert "The case is open." in good.text
    assert "double card fee" in good.text
    (case,) = session.scalars(select(Case)).all()
    assert case.priority == "high" and case.customer_id == customer.id
    assert case.case_no.startswith("CRM-")


def test_create_a_task_through_the_form(client: TestClient, bank: Bank, session: Session) -> None:
    customer = bank.anna_customer
    csrf = log_in(client, bank.users["account_manager"].username)
    url = f"/customers/{customer.id}/tasks"
    bad = client.post(
        url, data={"kind": "manual", "reason": "call", "due_on": "someday", "csrf_token": csrf}
    )
    assert bad.status_code == 200
    assert 'id="task-due_on-error"' in bad.text and "Enter a date." in bad.text
    assert _count(session, Task) == 0
    due = (date.today() + timedelta(days=7)).isoformat()
    good = client.post(
        url,
        data={"kind": "review", "reason": "quarterly review", "due_on": due, "csrf_token": csrf},
        headers=HTMX,
    )
    assert good.status_code == 200 and "The task is created." in good.text
    # A second open review task breaks the service's rule: the error, not a 500.
    again = client.post(
        url,
        data={"kind": "review", "reason": "another review", "due_on": due, "csrf_token": csrf},
        headers=HTMX,
    )
    assert again.status_code == 200
    assert "This customer already has an open task of this kind." in again.text
    assert [t.reason for t in session.scalars(select(Task)).all()] == ["quarterly review"]
    # Without htmx, a success goes back to the page.
    plain = client.post(
        url,
        data={"kind": "manual", "reason": "send the card", "due_on": due, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert plain.status_code == 303 and plain.headers["location"] == f"/customers/{customer.id}"


def test_forms_refuse_a_missing_or_wrong_token(
    client: TestClient, bank: Bank, session: Session
) -> None:
    customer = bank.anna_customer
    log_in(client, bank.users["account_manager"].username)
    due = date.today().isoformat()
    posts = {
        "interactions": {"channel": "phone", "topic": "t", "outcome": "completed"},
        "cases": {"kind": "request", "channel": "phone", "topic": "t"},
        "tasks": {"reason": "t", "due_on": due},
    }
    for path, data in posts.items():
        for token in ({}, {"csrf_token": "forged"}):
            answer = client.post(f"/customers/{customer.id}/{path}", data={**data, **token})
            assert answer.status_code == 403, path
            assert "The form had expired" in answer.text
    assert _count(session, Interaction) == 0
    assert _count(session, Case) == 0
    assert _count(session, Task) == 0


def test_forms_for_a_customer_out_of_scope_are_not_found(
    client: TestClient, bank: Bank, session: Session
) -> None:
    csrf = log_in(client, bank.users["account_manager"].username)
    answer = client.post(
        f"/customers/{bank.boris_customer.id}/cases",
        data={"kind": "request", "channel": "phone", "topic": "t", "csrf_token": csrf},
    )
    assert answer.status_code == 404
    assert _count(session, Case) == 0


def _engine_words(session: Session, bank: Bank) -> dict[str, str]:
    """The anna customer's score, tier change, offer and retention task with the texts
    the analytics engine writes (made by its own functions)."""
    customer = bank.anna_customer
    churn = [describe("closed_3m", 2), describe("balance_trend_3m", 0.45)]
    tier = assign_tiers(np.array([5000.0, 10.0]), np.array([0.0, 0.0]), Tiering()).reason[1]
    loan = records.product(session, "mortgage")
    why = offer_phrases.phrases(["has_mortgage", "region"], {"region": "Praha, 1"}, {})
    offer = explanation(loan.name, 0.18, why, 1234.0, 182, "CZK")
    score = session.scalars(select(CustomerScore).where(CustomerScore.customer_id == customer.id))
    first = score.one()
    first.churn_reasons, first.tier_reason = json.dumps(churn), tier
    records.tier_change(session, customer, SCORED_ON, reason=tier)
    records.offer(session, customer, loan, SCORED_ON, explanation=offer)
    task = _retention_reason("general", 500.0, 0.1, 5000.0, json.dumps(churn))
    records.task(session, customer, kind="retention_call", reason=task)
    session.commit()
    return {"churn": churn[1], "tier": tier, "offer": offer, "task": task}


def test_analytics_texts_in_chinese(client: TestClient, bank: Bank, session: Session) -> None:
    texts = _engine_words(session, bank)
    log_in(client, bank.users["account_manager"].username)
    client.cookies.set("bankcrm_lang", "zh_Hans")
    html = unescape(client.get(f"/customers/{bank.anna_customer.id}").text)
    for english in texts.values():
        assert english not in html, english
    for chinese in (
        "近 3 个月关闭了 2 个产品",  # churn reasons
        "存款余额为 3 个月前的 45%",
        "12 个月正贡献 CZK 10，低于黄金客户门槛 CZK 5,000。",  # tier reason and history
        "6 个月内办理的可能性为 18%（持有住房按揭贷款、居住或经营于 Praha, 1）",
        "每年价值约 CZK 1,200",
        "致电挽留这位普通客户：流失概率 10%",  # the task under open work
    ):
        assert chinese in html, chinese
    assert html.count("低于黄金客户门槛") == 2  # the score and the tier history


def test_analytics_texts_in_english_are_as_stored(
    client: TestClient, bank: Bank, session: Session
) -> None:
    texts = _engine_words(session, bank)
    log_in(client, bank.users["account_manager"].username)
    html = unescape(client.get(f"/customers/{bank.anna_customer.id}").text)
    for english in texts.values():
        assert english in html, english
    assert "closed 2 product(s) in the last 3 months" in html
    assert "近 3 个月" not in html
