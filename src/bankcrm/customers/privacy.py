"""Data-subject rights: the export of everything held on a person, and erasure within the
law's holds (anti-money-laundering record keeping, open loans). The audit log is never
touched: it is append-only and holds identifiers, not personal data."""

from __future__ import annotations

import json
from datetime import UTC, date
from typing import Any

from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.customers import consent
from bankcrm.customers import privacy_repository as repository
from bankcrm.customers import repository as customer_repository
from bankcrm.customers.models import Customer
from bankcrm.customers.privacy_models import ErasureRequest
from bankcrm.customers.privacy_schemas import PURPOSES, Erased, ErasureReport, Hold, Kept
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Forbidden, NotFound
from bankcrm.security import audit, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.security.secrets import pseudonym

EXPORTERS = frozenset({Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER})
ERASERS = frozenset({Role.BRANCH_MANAGER})
CLOSED_STATUSES = ("closed", "deceased")

CONTACT_FIELDS = ("email", "phone")  # kept only while a loan is open
ADDRESS_FIELDS = ("address", "postal_code", "city")  # identity under AML, and a loan's
PROFILE_FIELDS = ("occupation", "annual_income", "industry")  # kept only for an open loan
IDENTITY_FIELDS = ("first_name", "last_name", "company_name", "birth_date", "sex")


def _own_customer(
    session: Session, principal: Principal, customer_id: int, roles: frozenset[Role], what: str
) -> Customer:
    """The customer, if the caller's role may do `what` and the customer is in their own
    scope (a break-glass grant does not extend to exports or erasure)."""
    if principal.role not in roles:
        raise Forbidden(f"the role '{principal.role_name}' may not {what}")
    customer = customer_repository.customer(session, customer_id)
    if customer is None or not scope.in_scope(principal, customer.branch_id, customer.manager_id):
        raise NotFound(f"customer {customer_id} not found")
    return customer


def export(
    session: Session, settings: Settings, principal: Principal, customer_id: int
) -> dict[str, Any]:
    """Everything held on the person, as JSON: the right of access and to portability."""
    customer = _own_customer(session, principal, customer_id, EXPORTERS, "export customer data")
    holdings = repository.holdings(session, customer_id)
    links = repository.relationships(session, customer_id)
    others = {link.from_customer_id for link in links} | {link.to_customer_id for link in links}
    numbers = repository.customer_numbers(session, others - {customer_id})
    result: dict[str, Any] = {
        "customer_id": customer_id,
        "generated_at": utcnow().replace(tzinfo=UTC),
        "profile": repository.columns(customer),
        "consent": {p: bool(getattr(customer, f"{p}_consent")) for p in PURPOSES},
        "consent_history": [
            repository.columns(c) for c in repository.consent_history(session, customer_id)
        ],
        "holdings": [
            {
                **repository.columns(h),
                "product_code": p.product_code,
                "product_name": p.name,
                "category": p.category,
            }
            for h, p in holdings
        ],
        "standing_orders": [
            repository.columns(o)
            for o in repository.standing_orders(session, [h.id for h, _ in holdings])
        ],
        "relationships": [
            {
                "kind": link.kind,
                "direction": "from" if link.from_customer_id == customer_id else "to",
                "other_customer_no": numbers.get(
                    link.to_customer_id
                    if link.from_customer_id == customer_id
                    else link.from_customer_id
                ),
                "account_no": link.account_no,
                "share_percent": link.share_percent,
                "since": link.since,
            }
            for link in links
        ],
        "interactions": [
            repository.columns(i) for i in repository.interactions(session, customer_id)
        ],
        "cases": [
            {**repository.columns(c), "survey": repository.columns(s) if s else None}
            for c, s in repository.cases(session, customer_id)
        ],
        "scores": [repository.columns(s) for s in repository.scores(session, customer_id)],
        "tier_history": [
            repository.columns(t) for t in repository.tier_changes(session, customer_id)
        ],
        "offers": [
            {**repository.columns(o), "product_code": p.product_code, "product_name": p.name}
            for o, p in repository.offers(session, customer_id)
        ],
        "erasure_requests": [
            {**repository.columns(r), "report": json.loads(r.report)}
            for r in repository.erasure_requests(session, customer_id)
        ],
        "transactions": repository.transactions(
            session, settings.lake_dir, [h.account_no for h, _ in holdings]
        ),
    }
    sections = [k for k in result if k not in ("customer_id", "generated_at")]
    audit.record(session, principal, "export", "customer", customer_id, fields=sections)
    return result


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _holds(
    session: Session, settings: Settings, customer: Customer, today: date
) -> tuple[list[Hold], list[str]]:
    holds = []
    loans = repository.open_loans(session, customer.id)
    if loans:
        holds.append(
            Hold(
                kind="open_loan",
                reason=f"open loan(s) {', '.join(loans)}: the contract is being performed",
                until=None,
            )
        )
    count, open_count, last_closed = repository.relationship_dates(session, customer.id)
    years = settings.aml_retention_years
    if open_count or customer.status not in CLOSED_STATUSES:
        holds.append(
            Hold(
                kind="aml_record_keeping",
                reason=(
                    "the customer relationship has not ended; identity and transactions are "
                    f"kept for {years} years after it ends"
                ),
                until=None,
            )
        )
    else:
        ended = last_closed if count and last_closed else today
        until = _years_after(ended, years)
        if until > today:
            holds.append(
                Hold(
                    kind="aml_record_keeping",
                    reason=(
                        f"the relationship ended on {ended.isoformat()}; identity and "
                        f"transactions are kept for {years} years after that"
                    ),
                    until=until,
                )
            )
    return holds, loans


def _set(customer: Customer, values: dict[str, Any]) -> int:
    """Apply the values that differ; 1 if any did, else 0."""
    changed = {k: v for k, v in values.items() if getattr(customer, k) != v}
    for key, value in changed.items():
        setattr(customer, key, value)
    return 1 if changed else 0


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": report["status"],
        "holds": report["holds"],
        "erased": [{k: v for k, v in e.items() if k != "records"} for e in report["erased"]],
        "kept": report["kept"],
    }


def erase(
    session: Session, settings: Settings, principal: Principal, customer_id: int
) -> ErasureReport:
    """Erase or pseudonymise what the law allows, keep what a hold requires, and report
    both. Repeating the request changes nothing more and returns the earlier report."""
    customer = _own_customer(session, principal, customer_id, ERASERS, "erase customer data")
    now = utcnow()
    today = now.date()
    holds, _loans = _holds(session, settings, customer, today)
    aml = next((h for h in holds if h.kind == "aml_record_keeping"), None)
    loan = next((h for h in holds if h.kind == "open_loan"), None)
    identity_hold = aml or loan
    erased: list[Erased] = []
    kept: list[Kept] = []

    def keep(item: str, hold: Hold, what: str) -> None:
        kept.append(
            Kept(item=item, hold=hold.kind, reason=f"{what}: {hold.reason}", until=hold.until)
        )

    # Marketing data: consent withdrawn, scores, tiers and offers deleted. No hold covers them.
    withdrawn = consent.set_flags(
        session, customer, dict.fromkeys(PURPOSES, False), "erasure", principal.actor, None
    )
    erased.append(
        Erased(
            item="consent",
            action="erased",
            detail="every purpose withdrawn",
            records=len(withdrawn),
        )
    )
    erased.append(
        Erased(
            item="scores",
            action="deleted",
            detail="profitability, tier, CLV and churn scores",
            records=repository.delete_scores(session, customer_id),
        )
    )
    erased.append(
        Erased(
            item="tier_history",
            action="deleted",
            detail="tier changes and their reasons",
            records=repository.delete_tier_changes(session, customer_id),
        )
    )
    erased.append(
        Erased(
            item="offers",
            action="deleted",
            detail="next best offers",
            records=repository.delete_offers(session, customer_id),
        )
    )
    erased.append(
        Erased(
            item="interaction_notes",
            action="erased",
            detail="free-text notes of contacts (the dates and channels stay)",
            records=repository.erase_interaction_notes(session, customer_id),
        )
    )
    erased.append(
        Erased(
            item="case_texts",
            action="erased",
            detail="case descriptions, resolutions and survey comments (counts and "
            "scores stay, without text)",
            records=repository.erase_case_texts(session, customer_id),
        )
    )
    # Contact details and profile data: needed only to service an open loan.
    if loan:
        keep("contact_details", loan, "email and phone")
        keep("profile", loan, "occupation, income and industry (affordability of the loan)")
    else:
        erased.append(
            Erased(
                item="contact_details",
                action="erased",
                detail="email and phone",
                records=_set(customer, dict.fromkeys(CONTACT_FIELDS)),
            )
        )
        erased.append(
            Erased(
                item="profile",
                action="erased",
                detail="occupation, income and industry",
                records=_set(customer, dict.fromkeys(PROFILE_FIELDS)),
            )
        )
    # Identity, address and links to other customers: AML record keeping, or the loan.
    if identity_hold:
        keep("identity", identity_hold, "name, national id, birth date and address")
        keep("relationships", identity_hold, "links to household, guarantors and companies")
    else:
        key = settings.pseudonym_key()
        values: dict[str, Any] = dict.fromkeys((*IDENTITY_FIELDS, *ADDRESS_FIELDS))
        if not customer.national_id.startswith("P-"):
            values["national_id"] = pseudonym(key, customer.national_id)
        erased.append(
            Erased(
                item="identity",
                action="pseudonymised",
                detail="name, birth date and address erased; national id replaced by a pseudonym",
                records=_set(customer, values),
            )
        )
        erased.append(
            Erased(
                item="relationships",
                action="deleted",
                detail="links to other customers",
                records=repository.delete_relationships(session, customer_id),
            )
        )
    # Accounts and transactions: AML, otherwise bookkeeping without an identity.
    if aml:
        keep("holdings_and_transactions", aml, "accounts, loans and their transactions in the lake")
    else:
        kept.append(
            Kept(
                item="holdings_and_transactions",
                hold="bookkeeping",
                reason="accounts and lake transactions are the bank's books; they no "
                "longer name a person once the identity is pseudonymised",
                until=None,
            )
        )
    kept.append(
        Kept(
            item="consent_history",
            hold="consent_evidence",
            reason="proof of what the customer agreed to and when; no identity",
            until=None,
        )
    )
    kept.append(
        Kept(
            item="audit_log",
            hold="audit_log",
            reason="append-only record of who did what; identifiers only",
            until=None,
        )
    )
    if any(e.records for e in erased):
        customer.version += 1
    session.flush()

    status = "partial" if holds else "completed"
    report: dict[str, Any] = {
        "status": status,
        "holds": [h.model_dump(mode="json") for h in holds],
        "erased": [e.model_dump(mode="json") for e in erased],
        "kept": [k.model_dump(mode="json") for k in kept],
    }
    previous = repository.erasure_requests(session, customer_id)
    last = previous[-1] if previous else None
    if (
        last is not None
        and not any(e.records for e in erased)
        and _comparable(json.loads(last.report)) == _comparable(report)
    ):
        audit.record(session, principal, "erase", "customer", customer_id, reason="repeated")
        return _report(last, repeated=True)
    request = ErasureRequest(
        customer_id=customer_id,
        requested_at=now,
        requested_by=principal.actor,
        status=status,
        report=json.dumps(report),
    )
    repository.add(session, request)
    audit.record(
        session,
        principal,
        "erase",
        "customer",
        customer_id,
        fields=[e.item for e in erased if e.records],
        reason=f"erasure request {request.id}: {status}",
    )
    return _report(request, repeated=False)


def _report(request: ErasureRequest, repeated: bool) -> ErasureReport:
    body = json.loads(request.report)
    return ErasureReport(
        request_id=request.id,
        customer_id=request.customer_id,
        requested_at=request.requested_at,
        requested_by=request.requested_by,
        status=body["status"],
        repeated=repeated,
        holds=body["holds"],
        erased=body["erased"],
        kept=body["kept"],
    )
