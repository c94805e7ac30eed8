"""What the security pages (audit log, break-glass report, users) share: the message for a
role that may not use them. The signed-in check, the error page and the CSRF check of
form posts are every page's (`web/pages.py`)."""

from __future__ import annotations

from bankcrm.web.i18n import N_

NOT_ALLOWED = N_("Your role may not do this.")
