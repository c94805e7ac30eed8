# ruff: noqa: RUF001 (the Chinese texts use full-width punctuation)
"""The analytics engine's texts in Chromium: a manager who switches to Chinese reads the
churn reasons, the offer explanation, the tier reason and the worklist reason in Chinese
on My day and the customer 360, on a 375x812 phone; back in English they read exactly as
stored."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from bankcrm.analytics import offer_phrases
from bankcrm.analytics.next_best import explanation
from bankcrm.analytics.phrases import describe
from bankcrm.analytics.policy import Tiering
from bankcrm.analytics.tiers import assign_tiers
from bankcrm.interactions.generator import _retention_reason
from bankcrm.kit.db import make_engine
from tests import records
from tests.e2e.conftest import E2E, PHONE, Server, Watched
from tests.e2e.test_workbench import log_in

pytestmark = E2E
SCORED_ON = date(2026, 9, 30)
CHURN = [describe("closed_3m", 2), describe("balance_trend_3m", 0.45)]
TIER = assign_tiers(np.array([5000.0, 10.0]), np.array([0.0, 0.0]), Tiering()).reason[1]
OFFER = explanation(
    "Mortgage",
    0.18,
    offer_phrases.phrases(["has_mortgage", "region"], {"region": "Praha"}, {}),
    1234.0,
    182,
    "CZK",
)
TASK = _retention_reason("general", 5000.0, 0.34, 15000.0, json.dumps(CHURN))


@pytest.fixture(scope="module")
def customer(server: Server) -> tuple[int, str]:
    """A customer of a manager of its own (the other browser tests count theirs) with the
    engine's texts in its score, tier history, offer and a retention task due today;
    returns its id and the manager's username."""
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        west = records.branch(session, name="West")
        jana = records.staff(session, west)
        manager = records.user(session, "account_manager", staff=jana)
        own = records.customer(session, west, jana, first_name="Petr", last_name="Novak")
        mortgage = records.product(session, "mortgage", name="Mortgage")
        records.score(
            session,
            own,
            SCORED_ON,
            churn_probability=0.34,
            churn_reasons=json.dumps(CHURN),
            tier_reason=TIER,
        )
        records.tier_change(session, own, SCORED_ON, reason=TIER)
        records.offer(session, own, mortgage, SCORED_ON, explanation=OFFER)
        records.task(
            session,
            own,
            kind="retention_call",
            reason=TASK,
            value_at_risk=5000.0,
            due_on=date.today(),
        )
        session.commit()
        found = own.id, manager.username
    engine.dispose()
    return found


def _no_sideways_scroll(page: Page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_manager_reads_the_reasons_in_chinese_on_a_phone(
    phone: Watched, server: Server, customer: tuple[int, str]
) -> None:
    page = phone.page
    customer_id, manager = customer
    log_in(page, server, manager)
    expect(page).to_have_url(f"{server.url}/")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

    page.goto(f"{server.url}/worklist")
    reason = page.get_by_test_id("reason")
    expect(reason).to_have_count(1)
    expect(reason).to_contain_text("致电挽留这位普通客户：流失概率 34%")
    expect(reason).to_contain_text(
        "流失迹象：近 3 个月关闭了 2 个产品；存款余额为 3 个月前的 45%。"
    )
    expect(page.get_by_text(TASK)).to_have_count(0)
    _no_sideways_scroll(page)
    phone.shot("my-day-zh")

    page.goto(f"{server.url}/customers/{customer_id}")
    value = page.get_by_test_id("value")
    expect(value).to_contain_text("近 3 个月关闭了 2 个产品")
    expect(value).to_contain_text("存款余额为 3 个月前的 45%")
    expect(value).to_contain_text("12 个月正贡献 CZK 10，低于黄金客户门槛 CZK 5,000。")
    expect(page.get_by_test_id("tier-history")).to_contain_text("低于黄金客户门槛 CZK 5,000")
    offers = page.get_by_test_id("offers")
    expect(offers).to_contain_text(
        "6 个月内办理的可能性为 18%（持有住房按揭贷款、居住或经营于 Praha）"
    )
    expect(offers).to_contain_text("每年价值约 CZK 1,200")
    for english in (*CHURN, TIER, OFFER):
        expect(page.get_by_text(english)).to_have_count(0)
    _no_sideways_scroll(page)
    phone.shot("customer-zh")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{server.url}/customers/{customer_id}")
    expect(page.get_by_test_id("value")).to_contain_text(CHURN[0])
    expect(page.get_by_test_id("value")).to_contain_text(TIER)
    expect(page.get_by_test_id("offers")).to_contain_text(OFFER)
    phone.shot("customer-en")
