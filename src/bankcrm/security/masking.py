"""How personal data shows to a role that may not see it in full."""

from __future__ import annotations


def mask_tail(value: str | None, keep: int = 4) -> str | None:
    """`CZ6508000000192000145399` -> `********************5399`."""
    if value is None:
        return None
    shown = value[-keep:] if len(value) > keep else ""
    return "*" * (len(value) - len(shown)) + shown


def mask_email(value: str | None) -> str | None:
    """`jana.novakova@example.cz` -> `j***@example.cz`."""
    if value is None:
        return None
    local, at, domain = value.partition("@")
    return (local[:1] + "***" + at + domain) if at else mask_tail(value)
