"""Errors a user can act on. The CLI prints them without a traceback."""


class UserError(Exception):
    """A mistake in the user's input or set-up, with a message that says what and where."""
