# ruff: noqa: RUF001 (the Chinese texts use full-width punctuation)
"""The analytics texts in the page's language: Chinese through the catalogue, English
exactly as stored, anything no template wrote left alone."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment

from bankcrm.analytics import offer_phrases, tiers
from bankcrm.analytics.next_best import explanation
from bankcrm.analytics.phrases import PHRASES, describe
from bankcrm.analytics.policy import Tiering
from bankcrm.interactions import generator
from bankcrm.web import analytics_words
from bankcrm.web.analytics_words import analytics_text, translate
from bankcrm.web.i18n import Formatter

ZH = Formatter("zh_Hans", ZoneInfo("UTC")).gettext
EN = Formatter("en", ZoneInfo("UTC")).gettext


def _identity(message: str) -> str:
    return message


def _engine_texts(value: float) -> list[str]:
    """One of each text the engine writes, for a value."""
    reasons = offer_phrases.phrases(
        ["income_12m", "tx_system_12m", "region", "odd_column"],
        {"income_12m": value, "tx_system_12m": value, "region": "Praha, 1", "odd_column": 1},
        {},
    )
    churn = [describe(f, value) for f in PHRASES] + [describe("income_stopped", 0)]
    offer = explanation("Savings Account", abs(value) % 1, reasons, value, 182, "CZK")
    result = tiers.assign_tiers(np.array([value, 10.0, -5.0]), np.array([0.0, 0, 1e6]), Tiering())
    tasks = [
        generator._retention_reason("gold", 1234.0, 0.4, 9876.0, json.dumps(churn[:3])),
        generator._retention_reason("growth", 1234.0, 0.4, 9876.0, "[]"),
        generator._offer_reason("Savings Account", 345.0, offer),
        generator._review_reason("gold", 30, date(2026, 1, 2), date(2026, 2, 3)),
        generator._review_reason("growth", 45, None, date(2026, 2, 3)),
        generator._kyc_reason(date(2026, 1, 2), date(2026, 2, 3)),
        generator._kyc_reason(date(2026, 3, 2), date(2026, 2, 3)),
    ]
    return [*churn, offer, *result.reason, *tasks]


@settings(max_examples=40, deadline=None)
@given(value=st.floats(min_value=-1e7, max_value=1e7, allow_nan=False))
def test_english_pages_show_the_stored_text_unchanged(value: float) -> None:
    for text in _engine_texts(value):
        assert translate(text, EN) == text
        assert translate(text, _identity) == text


@pytest.mark.parametrize("value", [0.0, 2.0, 0.45, 1234.5])
def test_every_engine_text_is_translated_into_chinese(value: float) -> None:
    for text in _engine_texts(value):
        shown = translate(text, ZH)
        assert shown != text, text
        assert "%(" not in shown


@pytest.mark.parametrize(
    ("text", "kind", "chinese"),
    [
        ("closed 2 product(s) in the last 3 months", "churn", "近 3 个月关闭了 2 个产品"),
        ("deposit balance is 45% of 3 months ago", "churn", "存款余额为 3 个月前的 45%"),
        ("has a dedicated manager: yes", "churn", "有专属客户经理：是"),
        ("region Praha", "churn", "地区 Praha"),
        ("individual customer", "churn", "个人客户"),
        ("not: salary or pension stopped arriving", "churn", "并非：工资或养老金已停止入账"),
        (
            "Savings Account: 18% likely in 6 months (salary or pension paid in, "
            "many bank postings (interest, fees)); worth about CZK 1,200 a year",
            "offer",
            "Savings Account：6 个月内办理的可能性为 18%（有工资或养老金入账、"
            "银行记账交易多（利息、费用））；每年价值约 CZK 1,200",
        ),
        (
            "Home Loan: under 1% likely in a year; worth about CZK 10 a year",
            "offer",
            "Home Loan：一年内办理的可能性为 不到 1%；每年价值约 CZK 10",
        ),
        (
            "Positive contribution CZK 1,234 over 12 months, below the gold line of CZK 9,000.",
            "tier",
            "12 个月正贡献 CZK 1,234，低于黄金客户门槛 CZK 9,000。",
        ),
        (
            "Call to keep this gold customer: 40% risk of leaving puts 1,234 of their 9,876 "
            "lifetime value at risk. Signs: aged 45; no own transaction for 60 days.",
            "task",
            "致电挽留这位黄金客户：流失概率 40%，其终身价值 9,876 中有 1,234 面临风险。"
            "流失迹象：年龄 45 岁；已 60 天无主动交易。",
        ),
        (
            "Monthly review of a gold customer: no personal contact on record.",
            "task",
            "黄金客户每月定期回访：尚无当面联系记录。",
        ),
    ],
)
def test_chinese_words_with_the_arguments_as_written(text: str, kind: str, chinese: str) -> None:
    assert translate(text, ZH, kind) == chinese
    assert translate(text, ZH) == chinese  # the kind found by itself


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Call the customer about the new card.",  # a task a manager typed
        "closed many product(s) in the last 3 months",
        "Call to keep this gold customer: 40% risk of leaving puts 1,234 of their 9,876 li…",
    ],
)
def test_unknown_text_is_left_unchanged(text: str) -> None:
    assert translate(text, ZH) == text
    assert translate(text, ZH, "task") == text


def test_a_broken_translation_falls_back_to_english() -> None:
    def broken(message: str) -> str:
        return "%(nope)s" if "%(" in message else message

    assert translate("closed 2 product(s) in the last 3 months", broken) == (
        "closed 2 product(s) in the last 3 months"
    )


def test_the_filter_uses_the_pages_language() -> None:
    env = Environment(autoescape=True)
    env.filters["analytics_text"] = analytics_text
    page = env.from_string("{{ r | analytics_text('churn') }}|{{ n | analytics_text }}")
    assert page.render(_=ZH, r="aged 45", n=None) == "年龄 45 岁|"
    assert page.render(_=EN, r="aged 45", n="<b>") == "aged 45|&lt;b&gt;"
    assert page.render(r="aged 45", n="") == "aged 45|"  # no language: as stored


def test_generated_messages_module_is_current() -> None:
    """The catalogue's list of msgids is generated from the engine's tables: rerun
    `PYTHONPATH=src python -m bankcrm.web.analytics_words` when a template changes."""
    assert analytics_words.MODULE.read_text(encoding="utf-8") == analytics_words.messages_module()
    messages = analytics_words.messages()
    assert "closed %(v)s product(s) in the last 3 months" in messages
    assert "under 1%" in messages
