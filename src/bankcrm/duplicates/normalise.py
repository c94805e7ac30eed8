"""Normalised forms of the fields duplicate detection compares (pure functions).

Each function maps the ways one value is written (case, accents, punctuation, spacing,
formats, abbreviations) to one form, and returns "" when nothing comparable is left, so
that an empty value never matches another empty value. docs/models.md lists the rules.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TITLES = frozenset(
    {
        "mr", "mrs", "ms", "miss", "dr", "prof", "ing", "mgr", "bc", "phdr", "judr", "mudr",
        "rndr", "ph", "d", "phd", "csc", "mba", "dis", "pan", "pani", "sr", "jr",
    }
)  # fmt: skip
# Legal forms dropped from company names: "s.r.o." and "s. r. o." become the same name.
LEGAL_FORMS = frozenset(
    {"sro", "as", "spol", "ks", "vos", "se", "zs", "ltd", "gmbh", "inc", "plc", "llc", "ag"}
)
ADDRESS_WORDS = {
    "st": "street", "str": "street", "ul": "ulice", "nam": "namesti", "tr": "trida",
    "ave": "avenue", "av": "avenue", "rd": "road", "sq": "square", "no": "",
    "c": "", "cp": "", "nabr": "nabrezi",
}  # fmt: skip
# Providers that ignore dots in the local part and deliver user+tag to user.
DOTLESS_PROVIDERS = frozenset({"gmail.com", "googlemail.com"})
PLUS_TAG_PROVIDERS = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me"}
)
COUNTRY_PREFIXES = ("420", "421")  # Czech and Slovak numbers: 9 national digits
NATIONAL_DIGITS = 9

_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Names, streets and towns repeat across a bank's records: the pure functions below are
# memoised (bounded), which makes reading a million records several times faster.
CACHE = 1 << 17
_NOT_ID = re.compile(r"[^A-Z0-9]+")


@lru_cache(maxsize=CACHE)
def fold(text: str | None) -> str:
    """Case-folded ("ß" is "ss"), accents and diacritics removed (NFKD, combining marks
    dropped), every run of punctuation or space one space: "Nováková-Dvořák" ->
    "novakova dvorak"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", plain.casefold()).strip()


def name_tokens(*parts: str | None) -> tuple[str, ...]:
    """The words of a person's name, folded, titles dropped, sorted: the order of first and
    last name (and of the fields they came in) does not matter."""
    words = [w for p in parts for w in fold(p).split() if w not in TITLES]
    return tuple(sorted(words))


@lru_cache(maxsize=CACHE)
def person_name(first: str | None, last: str | None) -> str:
    """The comparable form of a person's name: "Ing. Jan NOVÁK" and "Novak Jan" agree."""
    return " ".join(name_tokens(first, last))


@lru_cache(maxsize=CACHE)
def company_name(name: str | None) -> str:
    """A company name folded, legal forms dropped ("s. r. o." is "s r o": its letters
    joined first), word order kept: order is part of a company's name."""
    words = fold(name).split()
    out: list[str] = []
    i = 0
    while i < len(words):
        joined = ""
        j = i
        # Single letters in a row ("s r o", "a s") are read as one abbreviation.
        while j < len(words) and len(words[j]) == 1:
            joined += words[j]
            j += 1
        if j > i:
            if joined not in LEGAL_FORMS:
                out.append(joined)
            i = j
            continue
        if words[i] not in LEGAL_FORMS:
            out.append(words[i])
        i += 1
    return " ".join(out)


def national_id(value: str | None) -> str:
    """Upper case letters and digits only: "655101/1234", "655101 1234" and "6551011234"
    are one id."""
    if not value:
        return ""
    return _NOT_ID.sub("", value.upper())


def phone(value: str | None) -> str:
    """Digits only, without the international prefix ("+", "00") and the country code of
    the bank's countries, so "+420 777 123 456", "00420777123456" and "777 123 456" agree.
    Other countries keep their code (written with + or 00)."""
    if not value:
        return ""
    digits = "".join(ch for ch in value if ch.isdigit())
    international = value.strip().startswith("+") or digits.startswith("00")
    digits = digits.lstrip("0") if international else digits
    for code in COUNTRY_PREFIXES:
        if international and digits.startswith(code) and len(digits) == len(code) + 9:
            return digits[len(code) :]
    return digits if len(digits) >= 6 else ""


def email(value: str | None) -> str:
    """Lower case and trimmed; for the providers listed in PLUS_TAG_PROVIDERS a "+tag" is
    dropped, and for those in DOTLESS_PROVIDERS the dots of the local part too (those
    providers deliver such addresses to one mailbox; others may not, so they keep them)."""
    if not value:
        return ""
    text = value.strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain:
        return ""
    if domain in PLUS_TAG_PROVIDERS:
        local = local.split("+", 1)[0]
    if domain in DOTLESS_PROVIDERS:
        local = local.replace(".", "")
    return f"{local}@{domain}" if local else ""


def address(street: str | None) -> str:
    """Street and number folded, abbreviations spelt out ("st." -> "street", "nám." ->
    "namesti"), "č.p."/"no." dropped; numbers like "12/3" keep both parts."""
    raw = fold(street).replace("c p ", "cp ").split()
    words = [ADDRESS_WORDS.get(w, w) for w in raw]
    return " ".join(w for w in words if w)


def postal_code(value: str | None) -> str:
    """Letters and digits only: "110 00" and "11000" agree."""
    return national_id(value)
