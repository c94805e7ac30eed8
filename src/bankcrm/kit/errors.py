"""Errors a user can act on. The CLI prints them without a traceback; the web layer turns
each kind into its HTTP status and a JSON problem body (services never know about HTTP)."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input or set-up, with a message that says what and where."""


class InvalidInput(UserError):
    """A value the rules refuse; `field` names it (e.g. `reason`, `version`)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(UserError):
    """The record does not exist, or the caller may not know that it exists."""


class Forbidden(UserError):
    """The caller is known but their role may not do this."""


class Unauthenticated(UserError):
    """No valid credentials: a missing, wrong, expired or revoked token or password."""


class LoginFailed(Unauthenticated):
    """A wrong username or password. Unlike other errors, the request still commits what it
    recorded (the failed attempt), or throttling could never count failures."""

    keeps_work = True


class Conflict(UserError):
    """The request clashes with the record's state, e.g. a stale version."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Throttled(UserError):
    """Too many attempts; try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
