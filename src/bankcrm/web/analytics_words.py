"""The analytics engine's English texts in the page's language, at display time.

Churn reasons, offer explanations, tier reasons and the reasons of generated tasks are
stored in English (the API returns them so). A page finds the template that wrote a text
(`analytics.phrase_patterns`, compiled from the engine's own template tables), translates
that template through the catalogue (msgid: the template with `%(name)s` fields) and puts
the argument texts back as written. Numbers, product names, regions and branches are data
and stay as they are; the engine's own words inside a field (yes/no, a nested churn reason
or offer reason, a tier) are translated too. A text no template wrote (an old wording, a
reason clipped at the column's length) is shown unchanged.

`analytics_messages.py` lists every msgid for the catalogue; it is generated from the same
tables: `PYTHONPATH=src python -m bankcrm.web.analytics_words` rewrites it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from bankcrm.analytics import offer_phrases as op
from bankcrm.analytics import phrase_patterns as pp
from bankcrm.analytics import phrases as ph
from bankcrm.analytics.phrase_patterns import Template, TemplateSet, split_list
from bankcrm.interactions import generator
from bankcrm.web import labels

Gettext = Callable[[str], str]
FieldWords = Callable[[str, Gettext], str]

GROUPED = pp.GROUPED
DAYS = r"-?\d+"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
# Engine words that appear as a field's value, and their catalogue messages.
WORDS: dict[str, str] = {
    ph.YES: "yes",
    ph.NO: "no",
    op.UNKNOWN: "unknown",
    **labels.CUSTOMER_KINDS,
    **labels.TIERS,
}


def _identity(message: str) -> str:
    return message


def _keep(text: str, gettext: Gettext) -> str:
    return text


def _word(text: str, gettext: Gettext) -> str:
    """An engine word in the language; English pages keep the word exactly as stored."""
    message = WORDS.get(text)
    if message is None:
        return text
    shown = gettext(message)
    return text if shown == message else shown


@dataclass(frozen=True)
class Kind:
    """One kind of text: its templates, and how each field's text is put in words."""

    templates: TemplateSet
    fields: Mapping[str, FieldWords] = field(default_factory=dict)
    extra: tuple[str, ...] = ()  # further msgids its field translators use

    def translate(self, text: str, gettext: Gettext) -> str:
        found = self.templates.match(text)
        if found is None:
            return text
        template = found.template
        args = {k: self.fields.get(k, _keep)(v, gettext) for k, v in found.args.items()}
        if not template.literal:  # "{p:.0%}": nothing to translate around the field
            return template.fill(args)
        return _fill(template, gettext(template.msgid), args)


def _fill(template: Template, message: str, args: dict[str, str]) -> str:
    if not template.fields:
        return message
    try:
        return message % args
    except (KeyError, ValueError, TypeError):  # a broken translation: the English words
        return template.fill(args)


def _listed(kind: Kind, separator: str) -> FieldWords:
    """A field holding texts of `kind` joined by `separator` (the separator translated)."""

    def words(text: str, gettext: Gettext) -> str:
        items = split_list(text, separator, lambda t: kind.templates.match(t) is not None)
        if items is None:
            return text
        return gettext(separator).join(kind.translate(item, gettext) for item in items)

    return words


def _nested(kind: Kind) -> FieldWords:
    return lambda text, gettext: kind.translate(text, gettext)


def _churn(text: str, gettext: Gettext) -> str:
    """A negated churn phrase is a churn reason itself."""
    return CHURN.translate(text, gettext)


CHURN: Kind = Kind(pp.CHURN_REASONS, {"t": _word, "phrase": _churn})
OFFER_REASONS = Kind(pp.OFFER_REASONS, {"value": _word})
_PERCENT = Kind(pp.PERCENTS)
_MONTHS = Kind(pp.HORIZONS)
OFFER = Kind(
    pp.EXPLANATIONS,
    {
        "percent": _nested(_PERCENT),
        "months": _nested(_MONTHS),
        "reasons": _listed(OFFER_REASONS, op.REASON_SEPARATOR),
    },
    extra=(op.REASON_SEPARATOR,),
)
TIER = Kind(pp.TIER_REASONS)

# Reasons of generated tasks: `interactions.generator`, quoting churn reasons and offers.
_CADENCES = {w: w.capitalize() for w in generator.CADENCE_WORDS.values()}
_CADENCE = Kind(
    TemplateSet.of({**_CADENCES, "every": generator.EVERY_DAYS.capitalize()}, {"days": DAYS})
)
TASK = Kind(
    TemplateSet.of(
        generator.TASK_REASONS,
        {
            "tier": r"[a-z_]+",
            "at_risk": GROUPED,
            "clv": GROUPED,
            "value": GROUPED,
            "cadence": _CADENCE.templates.regex(),
            "last": ISO_DATE,
            "due": ISO_DATE,
            "days": DAYS,
        },
    ),
    {
        "tier": _word,
        "signs": _listed(CHURN, generator.SIGN_SEPARATOR),
        "explanation": _nested(OFFER),
        "cadence": _nested(_CADENCE),
    },
    extra=(generator.SIGN_SEPARATOR,),
)

KINDS: dict[str, Kind] = {"task": TASK, "offer": OFFER, "tier": TIER, "churn": CHURN}


def translate(text: str, gettext: Gettext, kind: str | None = None) -> str:
    """`text` in the language of `gettext`; `kind` (churn, offer, tier, task) says which
    templates wrote it, else each kind is tried, the most specific first."""
    if kind is not None:
        return KINDS[kind].translate(text, gettext)
    for candidate in KINDS.values():
        if candidate.templates.match(text) is not None:
            return candidate.translate(text, gettext)
    return text


@pass_context
def analytics_text(context: Context, text: Any, kind: str | None = None) -> str:
    """Jinja filter: `{{ reason | analytics_text }}` in the page's language."""
    if text is None or text == "":
        return ""
    gettext: Gettext = context.get("_") or _identity  # a page without a language: English
    return translate(str(text), gettext, kind)


def messages() -> list[str]:
    """Every msgid the translations use, for the catalogue."""
    kinds = [*KINDS.values(), OFFER_REASONS, _PERCENT, _MONTHS, _CADENCE]
    found = {t.msgid for kind in kinds for t in kind.templates if t.literal}
    found.update(m for kind in kinds for m in kind.extra)
    found.update(WORDS.values())
    return sorted(found)


MODULE = Path(__file__).with_name("analytics_messages.py")


def messages_module() -> str:
    """The source of `analytics_messages.py`."""
    lines = [
        '"""The catalogue messages of the analytics texts (`analytics_words`), so that',
        "`make messages` extracts them. Generated from the engine's template tables by",
        '`PYTHONPATH=src python -m bankcrm.web.analytics_words`: do not edit."""',
        "",
        "from bankcrm.web.i18n import N_",
        "",
        "MESSAGES = (",
    ]
    for message in messages():
        literal = json.dumps(message, ensure_ascii=False)
        line = f"    N_({literal}),"
        if len(line) <= 100:
            lines.append(line)
        else:  # as `ruff format` writes it
            lines += ["    N_(", f"        {literal}  # noqa: E501", "    ),"]
    lines.append(")")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    MODULE.write_text(messages_module(), encoding="utf-8")
    sys.stdout.write(f"wrote {len(messages())} messages to {MODULE}\n")
