"""The opportunity codes as the pages show them (catalogue msgids)."""

from __future__ import annotations

from bankcrm.web.i18n import N_

STAGES: dict[str, str] = {
    "identified": N_("Identified"),
    "needs_analysis": N_("Needs analysis"),
    "proposal": N_("Proposal"),
    "credit_review": N_("Credit review"),
    "approved": N_("Approved"),
    "won": N_("Won"),
    "lost": N_("Lost"),
}
LOST_REASONS: dict[str, str] = {
    "price": N_("Price or rate"),
    "competitor": N_("Went to a competitor"),
    "credit_declined": N_("Credit declined"),
    "customer_withdrew": N_("Customer withdrew"),
    "no_need": N_("No longer needed"),
    "no_response": N_("No response"),
    "other": N_("Other reason"),
}
DEPARTMENTS: dict[str, str] = {
    "credit": N_("Credit"),
    "legal": N_("Legal"),
    "operations": N_("Operations"),
    "compliance": N_("Compliance"),
    "treasury": N_("Treasury"),
    "product": N_("Product management"),
}
TASK_STATUSES: dict[str, str] = {
    "open": N_("Open"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
}
OUTCOMES: dict[str, str] = {
    "open": N_("Open"),
    "won": N_("Won"),
    "lost": N_("Lost"),
    "all": N_("Any outcome"),
}
SEGMENTS: dict[str, str] = {
    "gold": N_("Gold"),
    "growth": N_("Growth"),
    "general": N_("General"),
    "unprofitable": N_("Unprofitable"),
    "prospect": N_("Prospect"),
    "unscored": N_("Not scored yet"),
}
DIMENSIONS: dict[str, str] = {
    "manager": N_("Manager"),
    "branch": N_("Branch"),
    "product": N_("Product"),
}


def label(table: dict[str, str], code: str | None) -> str:
    return "" if code is None else table.get(code, code)
