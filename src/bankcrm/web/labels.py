"""Words the pages show for the codes of the data (tiers, bands, task kinds, case states),
as catalogue messages: templates translate them with `_()`."""

from __future__ import annotations

from bankcrm.web.i18n import N_

# Scores and the customer list are in the bank's reporting currency.
REPORTING_CURRENCY = "CZK"

TIERS: dict[str, str] = {
    "gold": N_("Gold"),
    "growth": N_("Growth"),
    "general": N_("General"),
    "unprofitable": N_("Unprofitable"),
}
BANDS: dict[str, str] = {
    "top": N_("Top"),
    "important": N_("Important"),
    "core": N_("Core"),
    "mass": N_("Mass"),
}
TASK_KINDS: dict[str, str] = {
    "retention_call": N_("Retention call"),
    "offer": N_("Offer"),
    "review": N_("Review"),
    "kyc_refresh": N_("KYC refresh"),
    "follow_up": N_("Follow-up"),
    "manual": N_("Task"),
}
CASE_KINDS: dict[str, str] = {
    "complaint": N_("Complaint"),
    "request": N_("Request"),
    "feedback": N_("Feedback"),
    "praise": N_("Praise"),
}
CASE_STATUSES: dict[str, str] = {
    "open": N_("Open"),
    "in_progress": N_("In progress"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}
SLA_STATES: dict[str, str] = {
    "breached": N_("SLA breached"),
    "overdue": N_("Past due"),
    "due_soon": N_("Due within 24 hours"),
    "on_time": N_("On time"),
    "kept": N_("SLA kept"),
    "missed": N_("SLA missed"),
}
CUSTOMER_STATUSES: dict[str, str] = {
    "active": N_("Active"),
    "dormant": N_("Dormant"),
    "closed": N_("Closed"),
    "deceased": N_("Deceased"),
}
CUSTOMER_KINDS: dict[str, str] = {
    "individual": N_("Individual"),
    "corporate": N_("Corporate"),
}

CHANNELS: dict[str, str] = {
    "phone": N_("Phone"),
    "visit": N_("Visit"),
    "branch": N_("Branch"),
    "online": N_("Online banking"),
    "mobile": N_("Mobile banking"),
    "email": N_("E-mail"),
    "messaging": N_("Messaging"),
}
DIRECTIONS: dict[str, str] = {
    "outbound": N_("We contacted them"),
    "inbound": N_("They contacted us"),
}
OUTCOMES: dict[str, str] = {
    "completed": N_("Completed"),
    "no_answer": N_("No answer"),
    "follow_up": N_("Follow-up needed"),
    "product_sold": N_("Product sold"),
    "offer_declined": N_("Offer declined"),
    "complaint_raised": N_("Complaint raised"),
}
PRIORITIES: dict[str, str] = {
    "normal": N_("Normal"),
    "low": N_("Low"),
    "high": N_("High"),
    "urgent": N_("Urgent"),
}
RELATIONSHIPS: dict[str, str] = {
    "household": N_("Household"),
    "spouse": N_("Spouse"),
    "guarantor": N_("Guarantor"),
    "parent_company": N_("Parent company"),
    "subsidiary": N_("Subsidiary"),
    "shareholder": N_("Shareholder"),
    "director": N_("Director"),
}

PRODUCT_CATEGORIES: dict[str, str] = {
    "current_account": N_("Current account"),
    "savings_account": N_("Savings account"),
    "term_deposit": N_("Term deposit"),
    "consumer_loan": N_("Consumer loan"),
    "mortgage": N_("Mortgage"),
    "business_loan": N_("Business loan"),
    "credit_card": N_("Credit card"),
    "debit_card": N_("Debit card"),
    "wealth_management": N_("Wealth management"),
    "insurance": N_("Insurance"),
    "payroll": N_("Payroll"),
    "cash_management": N_("Cash management"),
    "trade_finance": N_("Trade finance"),
}


def label(table: dict[str, str], code: str | None) -> str:
    """The catalogue message of a code, or the code itself when the table lacks it."""
    if code is None:
        return ""
    return table.get(code, code)


# Prospects (prospects/models.py): statuses, sources and what their activities are.
PROSPECT_STATUSES: dict[str, str] = {
    "new": N_("New"),
    "contacted": N_("Contacted"),
    "qualified": N_("Qualified"),
    "converted": N_("Converted"),
    "disqualified": N_("Disqualified"),
}
PROSPECT_SOURCES: dict[str, str] = {
    "referral": N_("Referral"),
    "campaign": N_("Campaign"),
    "walk_in": N_("Walk-in"),
    "event": N_("Event"),
    "web_form": N_("Web form"),
    "partner": N_("Partner"),
}
PROSPECT_ACTIVITIES: dict[str, str] = {
    "contact": N_("Contact"),
    "status": N_("Status change"),
    "conversion": N_("Became a customer"),
    "review": N_("Review decision"),
    "note": N_("Note"),
}
