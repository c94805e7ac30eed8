"""Words the handover and scorecard pages show for codes (catalogue messages: templates
translate them with `_()`). Kept with the staff pages rather than in web/labels.py, whose
tables they reuse."""

from __future__ import annotations

from bankcrm.web import labels
from bankcrm.web.i18n import N_

STATUSES: dict[str, str] = {
    "pending": N_("Waiting for a decision"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
}
# The filter a proposal may narrow the giving manager's customers by.
FILTERS: dict[str, dict[str, str]] = {
    "tier": labels.TIERS,
    "band": labels.BANDS,
    "kind": labels.CUSTOMER_KINDS,
    "status": labels.CUSTOMER_STATUSES,
}
FILTER_NAMES: dict[str, str] = {
    "tier": N_("Tier"),
    "band": N_("Value band"),
    "kind": N_("Kind"),
    "status": N_("Customer status"),
}
TERMS: dict[str, str] = {**STATUSES}

# Scorecard measures (staff/scorecard.py) and how each value is written.
MEASURES: dict[str, str] = {
    "retention": N_("Retention"),
    "satisfaction": N_("Satisfaction"),
    "sla_kept": N_("Complaint SLA kept"),
    "review_cadence": N_("Reviews on time (gold and growth)"),
    "value_growth": N_("Portfolio value growth"),
    "products_per_customer": N_("Products per customer"),
    "sales": N_("Sales (holdings opened)"),
    "referrals_made": N_("Referrals made"),
    "referrals_converted": N_("Referrals converted"),
}
BASIS: dict[str, str] = {
    "retention": N_("%(count)s customers holding a product at the start"),
    "satisfaction": N_("%(count)s rated cases"),
    "sla_kept": N_("%(count)s cases due"),
    "review_cadence": N_("%(count)s gold and growth customers"),
    "value_growth": N_("%(count)s customers scored at both ends"),
    "products_per_customer": N_("%(count)s customers with products"),
    "sales": N_("%(count)s customers"),
    "referrals_made": N_("%(count)s referrals to specialist lines"),
    "referrals_converted": N_("%(count)s referrals that became business"),
}
