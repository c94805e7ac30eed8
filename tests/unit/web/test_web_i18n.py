"""Languages of the pages: negotiation, the catalogue's completeness, dates and amounts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bankcrm.web import i18n

REPO = Path(__file__).resolve().parents[3]
CATALOGUE = i18n.TRANSLATIONS / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
        ("zh-Hans-SG", "zh_Hans"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,zh;q=0.5", "zh_Hans"),  # German is not offered: the next choice
        ("en;q=0.4,zh-TW;q=0.8", "zh_Hans"),  # q-values, not the order, rank them
        ("fr, x-klingon;q=abc, *", None),
        ("", None),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert i18n.from_accept_language(header) == expected


def _extracted() -> set[str]:
    """The messages of the pages and their Python, as `make messages` extracts them."""
    with (REPO / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = extract_from_dir(REPO, method_map, options_map)
    return {str(message) for _file, _line, message, _comments, _context in found}


def test_every_page_message_is_translated() -> None:
    with (CATALOGUE / "messages.po").open("rb") as f:
        po = read_po(f, locale="zh_Hans")
    translated = {str(m.id) for m in po if m.id and m.string and not m.fuzzy}
    extracted = _extracted()
    assert "Log in to the workbench" in extracted  # the templates were read
    missing = extracted - translated
    assert not missing, f"run `make messages` and translate: {sorted(missing)}"


def test_committed_mo_matches_po() -> None:
    """The .mo is committed (a fresh clone runs without a compile step): it must be the
    compiled form of the .po, or a translation edited there would not show."""
    with (CATALOGUE / "messages.po").open("rb") as f:
        po = {m.id: m.string for m in read_po(f, locale="zh_Hans") if m.id}
    with (CATALOGUE / "messages.mo").open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert mo == po


def test_placeholders_survive_translation() -> None:
    with (CATALOGUE / "messages.po").open("rb") as f:
        po = read_po(f, locale="zh_Hans")
    for message in po:
        if message.id and "%(" in str(message.id):
            fmt = i18n.Formatter("zh_Hans", ZoneInfo("UTC"))
            names = {p.split(")")[0] for p in str(message.id).split("%(")[1:]}
            assert fmt.gettext(str(message.id), **dict.fromkeys(names, "X")), message.id


def test_formatter_speaks_each_language() -> None:
    prague = ZoneInfo("Europe/Prague")
    en, zh = i18n.Formatter("en", prague), i18n.Formatter("zh_Hans", prague)
    assert zh.gettext("Log out") == "退出登录"
    assert en.gettext("Log out") == "Log out"
    assert zh.gettext("Welcome, %(name)s", name="ada") == "欢迎\uff0cada"
    assert en.date(date(2026, 3, 9)) == "Mar 9, 2026"
    assert zh.date(date(2026, 3, 9)) == "2026年3月9日"
    # Stored times are naive UTC; the page shows Prague's wall clock (CET, UTC+1 in March).
    assert en.datetime(datetime(2026, 3, 9, 17, 5), "short") == "3/9/26, 6:05\u202fPM"
    assert zh.datetime(datetime(2026, 3, 9, 17, 5), "short") == "2026/3/9 18:05"
    assert en.money(Decimal("1234567.5"), "CZK") == "CZK1,234,567.50"
    assert zh.money(Decimal("1234567.5"), "CNY") == "¥1,234,567.50"
    assert zh.number(1234567) == "1,234,567"


@pytest.mark.parametrize(
    ("code", "header", "expected"),
    [
        ("en", "en-GB,en;q=0.9", "en_GB"),
        ("en", "zh-CN,en-AU;q=0.5", "en_AU"),  # the cookie chose English: its best region
        ("en", "de-DE", "en"),
        ("zh_Hans", "zh-CN", "zh_Hans_CN"),
        ("zh_Hans", "zh-Hans-SG,zh;q=0.8", "zh_Hans_SG"),
        ("zh_Hans", "zh-TW,zh-CN;q=0.5", "zh_Hans_CN"),  # never Traditional formats
        ("zh_Hans", "en-GB", "zh_Hans"),
    ],
)
def test_formats_follow_the_browsers_region(code: str, header: str, expected: str) -> None:
    assert str(i18n.regional(code, header)) == expected


def test_british_dates() -> None:
    fmt = i18n.Formatter("en", ZoneInfo("Europe/Prague"), i18n.regional("en", "en-GB"))
    assert fmt.date(date(2026, 3, 9), "short") == "09/03/2026"
    assert fmt.gettext("Log out") == "Log out"
