"""How bankcrm numbers the records it makes itself. The import refuses source ids that
start the same way (ingest/rules.py), so an imported record can never take the number of
one made here."""

from __future__ import annotations

MANUAL_INTERACTION_PREFIX = "CRM-"  # contacts logged in bankcrm
EVENT_INTERACTION_PREFIX = "EVT-"  # contacts pushed by channel systems (POST /events)
CASE_NO_PREFIX = "CRM-"  # cases opened in bankcrm
REFERRAL_NO_PREFIX = "REF-"  # referrals to a specialist line
OPPORTUNITY_NO_PREFIX = "OPP-"  # opportunities (never imported: no clash possible)
# Prospects are made here only (the extract carries customers, never prospects), so the
# import has no prospect numbers to refuse.
PROSPECT_NO_PREFIX = "PRS-"
