"""The pages' languages: English (the source strings) and Simplified Chinese.

A page's language is the signed-in user's stored choice (`users.language`), else the
browser's `bankcrm_lang` cookie (set by the switch in the page header and at log-in), else
the best match of its Accept-Language, else English. The cookie lets the login page speak
the language too; the column lets the choice follow the user to another browser.
Catalogues are compiled .mo files committed under `web/translations/`
(`make messages` after changing a page's strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from starlette.requests import Request

from bankcrm.web import money

TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGE_COOKIE = "bankcrm_lang"
DEFAULT = "en"
# code -> the language's own name, as the switch shows it
LANGUAGES: dict[str, str] = {"en": "English", "zh_Hans": "简体中文"}


def N_(message: str) -> str:
    """Marks a message for the catalogue (`make messages`); pages translate it on show."""
    return message


@cache
def translations(code: str) -> NullTranslations:
    """The compiled catalogue of a language, read once per process."""
    if code == DEFAULT:
        return NullTranslations()
    return Translations.load(TRANSLATIONS, [code])


def _supported(tag: str) -> str | None:
    """Our language for a browser tag such as `zh-CN`, `zh-Hans-SG` or `en-GB`."""
    try:
        locale = Locale.parse(tag.strip().replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    if locale.language == "zh":
        return "zh_Hans"  # the only Chinese catalogue; better than English for zh-TW too
    return DEFAULT if locale.language == "en" else None


def _ranked(header: str) -> list[str]:
    """The tags of an Accept-Language header, best first (q-values, then order)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag.strip() and tag.strip() != "*" and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _quality, _position, tag in sorted(ranked)]


def from_accept_language(header: str) -> str | None:
    """The supported language the browser ranks highest."""
    for tag in _ranked(header):
        code = _supported(tag)
        if code is not None:
            return code
    return None


def regional(code: str, header: str) -> Locale:
    """The locale that formats dates and amounts: the browser's own variant of the page's
    language (en-GB writes 26/11/2026, en-US 11/26/26), else the language's default."""
    for tag in _ranked(header):
        if _supported(tag) != code:
            continue
        try:
            locale = Locale.parse(tag.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            continue
        if code == "zh_Hans" and locale.script not in (None, "Hans"):
            continue  # a Traditional-script region would format in Traditional characters
        if code == "zh_Hans" and locale.script is None:
            locale = Locale("zh", script="Hans", territory=locale.territory)
        return locale
    return Locale.parse(code)


def remember_user_language(request: Request, language: str | None) -> None:
    """Note the signed-in user's stored language for this request's pages (the page
    plumbing calls it when it finds the user behind the session cookie)."""
    request.state.user_language = language


def language_of(request: Request) -> str:
    chosen = getattr(request.state, "user_language", None)
    if chosen in LANGUAGES:
        return str(chosen)
    cookie = request.cookies.get(LANGUAGE_COOKIE, "")
    if cookie in LANGUAGES:
        return cookie
    return from_accept_language(request.headers.get("accept-language", "")) or DEFAULT


@dataclass(frozen=True)
class Formatter:
    """Text, dates and amounts in one language; templates get it as `i18n`."""

    code: str  # the catalogue: en or zh_Hans
    zone: ZoneInfo
    region: Locale | None = None  # the browser's variant of the language, for formats

    @cached_property
    def locale(self) -> Locale:
        return self.region or Locale.parse(self.code)

    @property
    def html_lang(self) -> str:
        return "zh-Hans" if self.code == "zh_Hans" else self.code

    def gettext(self, message: str, **values: object) -> str:
        text = translations(self.code).gettext(message)
        return text % values if values else text

    def today(self) -> date:
        """Today in the bank's time zone (a page at 00:30 in Prague says the new day)."""
        return datetime.now(self.zone).date()

    def date(self, value: date, style: str = "medium") -> str:
        return format_date(value, style, locale=self.locale)

    def datetime(self, value: datetime, style: str = "medium") -> str:
        """In the bank's time zone (`BANKCRM_DISPLAY_TIMEZONE`), whatever the server's."""
        return format_datetime(value, style, tzinfo=self.zone, locale=self.locale)

    def money(self, amount: Decimal | float, currency: str) -> str:
        return money.money(amount, currency, self.locale)

    def number(self, value: Decimal | float | int) -> str:
        return format_decimal(value, locale=self.locale)
