"""The exact inverse of the engine's English templates: which template wrote a text, and
with which argument texts.

The engine stores churn reasons, offer explanations and tier reasons in English. The pages
show them in the reader's language without changing what is stored: a text is matched
against patterns compiled FROM the same `str.format` templates that wrote it (no second
copy of any phrase), the template is translated and the argument texts, exactly as
written ("2", "45%", "1,234", "Prague"), are put back in.

A field's pattern follows its format spec (`{v:.0f}`, `{v:,.0f}`, `{v:.0%}`, `{y:.1f}`);
a field without a spec takes the pattern its template set gives for that name, else any
text. Templates are tried most specific first (most literal text), so "{t} customer"
never shadows "no own transaction for {v:.0f} days".
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from bankcrm.analytics import offer_phrases, phrases, tiers

_NUMBER = r"-?(?:\d+(?:\.\d+)?|inf)"
_GROUPED = r"-?(?:\d{1,3}(?:,\d{3})*(?:\.\d+)?|inf)"
_PERCENT = r"-?(?:\d+(?:\.\d+)?|inf)%"
ANY = r".+?"
_FORMATTER = string.Formatter()


def spec_pattern(spec: str) -> str | None:
    """What `format(number, spec)` can write, for the specs the engine uses."""
    if not spec:
        return None
    if spec.endswith("%"):
        return _PERCENT
    if spec.endswith(("f", "d", "g")):
        return _GROUPED if "," in spec else _NUMBER
    raise ValueError(f"no pattern for the format spec {spec!r}")


@dataclass(frozen=True)
class Template:
    """One English template of the engine, e.g. "closed {v:.0f} product(s) in ..."."""

    key: str
    text: str
    pattern: re.Pattern[str]
    fields: tuple[str, ...]
    literal: int  # characters of literal text: the more, the more specific

    @property
    def msgid(self) -> str:
        """The catalogue's message: fields as `%(name)s`, a literal % doubled when the
        message has fields (Babel's python-format)."""
        parts: list[str] = []
        for text, field, _spec, _conv in _FORMATTER.parse(self.text):
            parts.append(text.replace("%", "%%") if self.fields else text)
            if field is not None:
                parts.append(f"%({field})s")
        return "".join(parts)

    def fill(self, args: Mapping[str, str]) -> str:
        """The template with argument texts put back in as written (the inverse of match)."""
        parts: list[str] = []
        for text, field, _spec, _conv in _FORMATTER.parse(self.text):
            parts.append(text)
            if field is not None:
                parts.append(args[field])
        return "".join(parts)


def compile_template(key: str, text: str, fields: Mapping[str, str] | None = None) -> Template:
    """`text` as a template whose pattern captures each field's text as written."""
    fields = fields or {}
    regex: list[str] = []
    names: list[str] = []
    literal = 0
    for part, field, spec, _conv in _FORMATTER.parse(text):
        regex.append(re.escape(part))
        literal += len(part)
        if field is None:
            continue
        if not field.isidentifier() or field in names:
            raise ValueError(f"template {key!r}: field {field!r} must be a new plain name")
        names.append(field)
        shape = spec_pattern(spec or "") or fields.get(field, ANY)
        regex.append(f"(?P<{field}>{shape})")
    return Template(key, text, re.compile("".join(regex), re.DOTALL), tuple(names), literal)


@dataclass(frozen=True)
class Found:
    template: Template
    args: dict[str, str]


class TemplateSet:
    """Templates of one kind of text; `match` names the one that wrote a text."""

    def __init__(self, templates: Iterable[Template]) -> None:
        ordered = sorted(templates, key=lambda t: (-t.literal, t.key))
        self.templates: tuple[Template, ...] = tuple(ordered)

    @classmethod
    def of(cls, texts: Mapping[str, str], fields: Mapping[str, str] | None = None) -> TemplateSet:
        return cls(compile_template(key, text, fields) for key, text in texts.items())

    def match(self, text: str) -> Found | None:
        for template in self.templates:
            found = template.pattern.fullmatch(text)
            if found is not None:
                return Found(template, found.groupdict())
        return None

    def regex(self) -> str:
        """Any text of this set, as a group-free pattern for a field of another template."""
        shapes = []
        for template in self.templates:
            shapes.append(re.sub(r"\(\?P<\w+>", "(?:", template.pattern.pattern))
        return "(?:" + "|".join(shapes) + ")"

    def __iter__(self) -> Iterator[Template]:
        return iter(self.templates)


def split_list(text: str, separator: str, fits: Callable[[str], bool]) -> list[str] | None:
    """`text` as items joined by `separator`, each accepted by `fits`; None if no split
    works. An item may hold the separator itself ("interest, fees"): every cut is tried,
    the earliest first, the whole text last."""
    start = text.find(separator)
    while start != -1:
        head = text[:start]
        if head and fits(head):
            rest = split_list(text[start + len(separator) :], separator, fits)
            if rest is not None:
                return [head, *rest]
        start = text.find(separator, start + 1)
    return [text] if fits(text) else None


# The engine's texts. Churn reasons (`phrases.describe`): only a phrase of the table is
# negated ("not: ..."), which keeps "not: x" apart from "{feature}: {value}".
_PLAIN_PHRASES = TemplateSet(
    compile_template(k, t) for k, t in phrases.PHRASES.items() if "{" not in t
).regex()
# A feature's name in words ("closed 3m"): lower case, no colon, comma or bracket, so
# "{feature}: {value}" does not take any text with a colon.
FEATURE_WORDS = r"[a-z0-9][a-z0-9_ .=-]*"
CHURN_REASONS = TemplateSet(
    [
        *TemplateSet.of(
            {**phrases.PHRASES, "no_data": phrases.NO_DATA, "plain": phrases.PLAIN},
            {"feature": FEATURE_WORDS},
        ),
        compile_template("not", phrases.NEGATED, {"phrase": _PLAIN_PHRASES}),
    ]
)


def _offer_texts() -> dict[str, str]:
    """Each distinct high/low phrase once, keyed by its first column."""
    texts: dict[str, str] = {}
    for column, (high, low) in offer_phrases.FEATURE_PHRASES.items():
        for key, text in ((f"{column}:high", high), (f"{column}:low", low)):
            if text not in texts.values():
                texts[key] = text
    texts["fallback:high"], texts["fallback:low"] = offer_phrases.FALLBACK
    return texts


# Offer explanations (`next_best.explanation`) and their reasons (`offer_phrases.phrase`).
OFFER_REASONS = TemplateSet.of(_offer_texts(), {"name": FEATURE_WORDS})
PERCENTS = TemplateSet.of(
    {"percent": offer_phrases.PERCENT, "under_1": offer_phrases.UNDER_1_PERCENT}
)
HORIZONS = TemplateSet.of(
    {"months": offer_phrases.MONTHS, "a_year": offer_phrases.A_YEAR}, {"n": r"-?\d+"}
)
GROUPED = _GROUPED
EXPLANATIONS = TemplateSet.of(
    {"explanation": offer_phrases.EXPLANATION, "explanation_why": offer_phrases.EXPLANATION_WHY},
    {
        "percent": PERCENTS.regex(),
        "months": HORIZONS.regex(),
        "currency": r"\S+",
        "amount": GROUPED,
    },
)


def offer_reasons(text: str) -> list[str] | None:
    """The reasons of an explanation's "(...)", as `offer_phrases.phrases` wrote them."""
    return split_list(
        text, offer_phrases.REASON_SEPARATOR, lambda t: OFFER_REASONS.match(t) is not None
    )


# Tier reasons (`tiers.assign_tiers`); the amounts as `tiers._money` writes them.
MONEY = TemplateSet.of({"money": tiers.MONEY}, {"sign": "-?", "currency": r"\S+"}).regex()
TIER_REASONS = TemplateSet.of(tiers.TIER_REASONS, dict.fromkeys(tiers.MONEY_FIELDS, MONEY))
