"""Words the referral pages show for codes (catalogue messages: templates translate them
with `_()`)."""

from __future__ import annotations

from bankcrm.web.i18n import N_

LINES: dict[str, str] = {
    "wealth_management": N_("Wealth management"),
    "mortgages": N_("Mortgages"),
    "corporate_lending": N_("Corporate lending"),
    "insurance": N_("Insurance"),
    "trade_finance": N_("Trade finance"),
}
STATUSES: dict[str, str] = {
    "open": N_("Open"),
    "accepted": N_("Accepted"),
    "converted": N_("Converted"),
    "declined": N_("Declined"),
}
ROUTED_BY: dict[str, str] = {
    "own_manager": N_("The person's own manager"),
    "line_branch": N_("The line's route in the branch"),
    "line_bank": N_("The line's bank-wide route"),
    "unrouted": N_("No route: waiting for the branch manager"),
    "assigned": N_("Assigned by the branch manager"),
}
KINDS: dict[str, str] = {"customer": N_("Customer"), "prospect": N_("Prospect")}
