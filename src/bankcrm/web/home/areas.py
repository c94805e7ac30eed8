"""The workbench's areas and the roles that reach each (DESIGN.md, "Roles and what they may
see", and docs/api.md). The home page lists a role's areas only; each links to its page
once that page exists and names the JSON route that serves it meanwhile."""

from __future__ import annotations

from dataclasses import dataclass

from bankcrm.security.roles import Role
from bankcrm.web.i18n import N_

AM, BM, SA = Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.SERVICE_AGENT
PM, EX, AN = Role.PRODUCT_MANAGER, Role.EXECUTIVE, Role.ANALYST


@dataclass(frozen=True)
class Area:
    key: str
    title: str  # catalogue message
    summary: str  # catalogue message
    page: str  # the page's path in the workbench
    backend: str  # what serves it today: a JSON route or a command
    roles: frozenset[Role]


AREAS: tuple[Area, ...] = (
    Area(
        "worklist",
        N_("Today's worklist"),
        N_("Whom to call today and why: retention calls, offers, reviews, KYC refreshes."),
        "/worklist",
        "GET /api/v1/worklist",
        frozenset({AM, BM, SA}),
    ),
    Area(
        "customers",
        N_("Customers"),
        N_("Find customers in your scope with their tier, value and churn risk."),
        "/customers",
        "GET /api/v1/customers",
        frozenset({AM, BM, SA, PM, EX, AN}),
    ),
    Area(
        "prospects",
        N_("Prospects"),
        N_(
            "People and companies that are not yet customers: where they came from, "
            "their needs, the next step, until they convert."
        ),
        "/prospects",
        "GET /api/v1/prospects",
        frozenset({AM, BM, SA, PM}),
    ),
    Area(
        "cases",
        N_("Service cases"),
        N_("Complaints, requests and feedback, soonest due first, with their SLA."),
        "/cases",
        "GET /api/v1/cases",
        frozenset({AM, BM, SA}),
    ),
    Area(
        "referrals",
        N_("Referrals"),
        N_(
            "Refer a customer or prospect to a specialist line, follow what came of it, and "
            "handle the referrals sent to you."
        ),
        "/referrals",
        "GET /api/v1/referrals",
        frozenset({AM, BM, SA}),
    ),
    Area(
        "opportunities",
        N_("Opportunities"),
        N_(
            "Your sales opportunities through their stages, with the tasks of the credit "
            "and other departments."
        ),
        "/opportunities",
        "GET /api/v1/opportunities",
        frozenset({AM, BM}),
    ),
    Area(
        "pipeline",
        N_("Sales pipeline"),
        N_("Pipeline by stage, expected volume by month, and why business is won or lost."),
        "/opportunities/pipeline",
        "GET /api/v1/opportunities/pipeline",
        frozenset({AM, BM, PM, EX, AN}),
    ),
    Area(
        "handovers",
        N_("Portfolio handovers"),
        N_("Propose, approve and follow the handover of a manager's customers."),
        "/portfolio-transfers",
        "GET /api/v1/portfolio-transfers",
        frozenset({AM, BM}),
    ),
    Area(
        "duplicates",
        N_("Duplicates and merges"),
        N_("One record per person: likely duplicates, merge proposals and their approval."),
        "/duplicates",
        "GET /api/v1/duplicates",
        frozenset({AM, BM, SA}),
    ),
    Area(
        "scorecards",
        N_("Manager scorecards"),
        N_("Retention, satisfaction and service of account managers, not sales alone."),
        "/scorecards",
        "GET /api/v1/scorecards",
        frozenset({AM, BM}),
    ),
    Area(
        "campaigns",
        N_("Campaigns"),
        N_("Targeted campaigns that respect consent, and their results."),
        "/campaigns",
        "GET /api/v1/campaigns",
        frozenset({BM, PM, EX, AN}),
    ),
    Area(
        "segments",
        N_("Segments"),
        N_("Count the customers a segment definition matches, by tier and band."),
        "/segments",
        "POST /api/v1/segments/preview",
        frozenset({BM, PM, EX, AN}),
    ),
    Area(
        "service_quality",
        N_("Service quality"),
        N_("Cases per month and kind, SLA breaches and satisfaction, as aggregates."),
        "/cases/analytics",
        "GET /api/v1/cases/analytics",
        frozenset({BM, PM, EX, AN}),
    ),
    Area(
        "dashboard",
        N_("Management dashboard"),
        N_(
            "Profit concentration, tiers and their moves, lifetime value, churn risk, "
            "complaints, demand and the branches compared."
        ),
        "/dashboard",
        "GET /api/v1/dashboard",
        frozenset({BM, PM, EX, AN}),
    ),
    Area(
        "break_glass",
        N_("Break-glass report"),
        N_("Who unmasked which customer outside their scope, and why."),
        "/break-glass",
        "GET /api/v1/break-glass",
        frozenset({BM, Role.AUDITOR}),
    ),
    Area(
        "audit",
        N_("Audit log"),
        N_("Every read of personal data and every change: who, what, when, why."),
        "/audit-events",
        "GET /api/v1/audit-events",
        frozenset({Role.AUDITOR}),
    ),
    Area(
        "referral_routes",
        N_("Referral routing"),
        N_("Who takes each specialist line's referrals, in your branch and bank-wide."),
        "/referral-routes",
        "GET /api/v1/referral-routes",
        frozenset({BM, Role.ADMIN}),
    ),
    Area(
        "users",
        N_("Users and roles"),
        N_("Create users of the workbench and the API, one role each."),
        "/users",
        "bankcrm users create",
        frozenset({Role.ADMIN}),
    ),
)


def areas_for(role: Role | None) -> list[Area]:
    """The areas a role reaches, in the home page's order; none for a channel system."""
    return [area for area in AREAS if role in area.roles]
