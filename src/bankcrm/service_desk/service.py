"""The service desk for one caller: open, list, read and move cases on, in scope, masked by
role and audited; the SLA by tier, breach escalation, surveys and feedback analytics."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.customers import repository as customer_repository
from bankcrm.customers.models import Customer
from bankcrm.kit.db import utcnow
from bankcrm.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from bankcrm.kit.pagination import Page
from bankcrm.security import audit, break_glass, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role, View
from bankcrm.service_desk import repository
from bankcrm.service_desk.models import Case, CaseSurvey
from bankcrm.service_desk.schemas import (
    CaseAnalytics,
    CaseChange,
    CaseCustomer,
    CaseIn,
    CaseOut,
    CaseQuery,
    CaseSummary,
    Escalation,
    EscalationReport,
    MonthCount,
    SurveyIn,
    SurveyOut,
)

DEFAULT_TIER = "general"  # a customer without a score is served as general
# Who may work a case: the case-handling roles.
HANDLERS = frozenset({Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.SERVICE_AGENT})
# Who sees the feedback analytics (aggregates only); a branch manager sees their branch.
MANAGEMENT = frozenset({Role.BRANCH_MANAGER, Role.PRODUCT_MANAGER, Role.EXECUTIVE, Role.ANALYST})
# Allowed moves: from a status to the statuses a PATCH may set.
MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "resolved", "closed"}),
    "in_progress": frozenset({"in_progress", "resolved", "closed"}),
    "resolved": frozenset({"in_progress", "resolved", "closed"}),
    "closed": frozenset(),
}


def sla_hours(settings: Settings, tier: str | None) -> int:
    """Hours to resolve a case for a customer of `tier` (settings.case_sla_hours)."""
    hours = settings.case_sla_hours
    return hours.get(tier or DEFAULT_TIER, hours.get(DEFAULT_TIER, 48))


def _granted(session: Session, principal: Principal) -> set[int]:
    return break_glass.granted(session, principal)


def _view(session: Session, principal: Principal, customer: Customer) -> View | None:
    granted = break_glass.is_granted(session, principal, customer.id)
    return scope.view_of(principal, customer.branch_id, customer.manager_id, granted)


def _customer(customer: Customer, view: View) -> CaseCustomer:
    name = None
    if view is View.FULL:
        name = customer.company_name or " ".join(
            p for p in (customer.first_name, customer.last_name) if p
        )
    return CaseCustomer(id=customer.id, reference=customer.customer_no, name=name)


def _summary(case: Case, customer: Customer, view: View) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        case_no=case.case_no,
        customer=_customer(customer, view),
        kind=case.kind,
        topic=case.topic,
        channel=case.channel,
        priority=case.priority,
        status=case.status,
        opened_at=case.opened_at,
        due_at=case.due_at,
        resolved_at=case.resolved_at,
        breached=case.breached,
        assignee_id=case.assignee_id,
        version=case.version,
        view=view,
    )


def _detail(session: Session, case: Case, customer: Customer, view: View) -> CaseOut:
    survey = repository.survey(session, case.id)
    escalation = None
    if case.escalated_at is not None:
        names = repository.usernames(session, {case.escalated_to_id} - {None})  # type: ignore[arg-type]
        escalation = Escalation(
            at=case.escalated_at,
            by=case.escalated_by or "",
            branch_id=case.escalated_branch_id,
            to_user_id=case.escalated_to_id,
            to_username=names.get(case.escalated_to_id) if case.escalated_to_id else None,
        )
    return CaseOut(
        **_summary(case, customer, view).model_dump(),
        description=case.description,
        resolution=case.resolution,
        opened_by=case.opened_by,
        tier_at_opening=case.tier_at_opening,
        sla_hours=case.sla_hours,
        closed_at=case.closed_at,
        escalation=escalation,
        survey=SurveyOut.model_validate(survey, from_attributes=True) if survey else None,
        satisfaction=case.satisfaction,
    )


def _require_handler(principal: Principal) -> None:
    scope.require_customer_detail(principal)
    if principal.role not in HANDLERS:
        raise Forbidden(f"the role '{principal.role_name}' does not handle cases")


def _visible_case(
    session: Session, principal: Principal, case_id: int
) -> tuple[Case, Customer, View]:
    """The case, its customer and how it shows; NotFound when the customer is out of scope."""
    _require_handler(principal)
    found = repository.case_with_customer(session, case_id)
    if found is None:
        raise NotFound(f"case {case_id} not found")
    case, customer = found
    view = _view(session, principal, customer)
    if view is None:
        raise NotFound(f"case {case_id} not found")
    return case, customer, view


def open_case(
    session: Session, settings: Settings, principal: Principal, customer_id: int, new: CaseIn
) -> CaseOut:
    """Open a case; its SLA comes from the customer's latest tier (general without one)."""
    _require_handler(principal)
    scope.require_customer_writes(principal)
    customer = customer_repository.customer(session, customer_id)
    view = _view(session, principal, customer) if customer is not None else None
    if customer is None or view is None:
        raise NotFound(f"customer {customer_id} not found")
    tier = repository.latest_tier(session, customer_id)
    hours = sla_hours(settings, tier)
    now = utcnow()
    case = repository.add_case(
        session,
        Case(
            customer_id=customer_id,
            kind=new.kind,
            topic=new.topic,
            channel=new.channel,
            priority=new.priority,
            status="open",
            opened_at=now,
            description=new.description,
            opened_by=principal.actor,
            tier_at_opening=tier or DEFAULT_TIER,
            sla_hours=hours,
            due_at=now + timedelta(hours=hours),
        ),
    )
    audit.record(
        session,
        principal,
        "create",
        "case",
        case.id,
        fields=["customer_id", "kind", "topic", "channel", "priority", "description"],
    )
    return _detail(session, case, customer, view)


def list_cases(
    session: Session, principal: Principal, query: CaseQuery, offset: int, limit: int
) -> Page[CaseSummary]:
    """Cases of the customers in the caller's scope (service agents: all, masked)."""
    _require_handler(principal)
    granted = _granted(session, principal)
    rows, total = repository.list_cases(
        session, scope.customer_filter(principal, granted), query, offset, limit
    )
    items = []
    for case, customer in rows:
        view = scope.view_of(
            principal, customer.branch_id, customer.manager_id, customer.id in granted
        )
        items.append(_summary(case, customer, view or principal.policy.view))
    if items:
        audit.record(
            session,
            principal,
            "list",
            "case",
            fields=["case_no", "customer_no", "name"],
            record_ids=[item.id for item in items],
        )
    return Page(items=items, total=total, offset=offset, limit=limit)


def get_case(session: Session, principal: Principal, case_id: int) -> CaseOut:
    case, customer, view = _visible_case(session, principal, case_id)
    audit.record(session, principal, "read", "case", case_id, fields=["description", "resolution"])
    return _detail(session, case, customer, view)


ASSIGNEES_SHOWN = 500  # the most handlers a page offers to assign a case to


def assignees(session: Session, principal: Principal) -> dict[int, str]:
    """Whom a case may be assigned to (user id -> username): the active case handlers,
    the same users `update_case` accepts as `assignee_id`."""
    _require_handler(principal)
    return dict(repository.handlers(session, frozenset(HANDLERS), ASSIGNEES_SHOWN))


def update_case(
    session: Session, principal: Principal, case_id: int, change: CaseChange
) -> CaseOut:
    """Assign, move on or resolve. A stale `version` changes nothing and raises Conflict."""
    scope.require_customer_writes(principal)
    case, customer, view = _visible_case(session, principal, case_id)
    values = change.model_dump(exclude_unset=True, exclude={"version"})
    if not values:
        raise InvalidInput("nothing to change: send at least one field besides version")
    if case.version != change.version:
        raise Conflict(
            f"case {case_id} was changed since version {change.version} was read "
            f"(now version {case.version}): reload and apply the change again",
            "version",
        )
    if "assignee_id" in values and values["assignee_id"] is not None:
        assignee = repository.user(session, values["assignee_id"])
        if assignee is None or not assignee.active or assignee.role not in HANDLERS:
            raise InvalidInput(
                "assignee_id must be an active case handler's user id", "assignee_id"
            )
    status = values.get("status")
    if status is not None:
        if status not in MOVES[case.status]:
            raise Conflict(f"a {case.status} case cannot move to {status}", "status")
        resolution = values.get("resolution") or case.resolution
        if status in ("resolved", "closed") and not resolution:
            raise InvalidInput(f"a {status} case needs a resolution text", "resolution")
        now = utcnow()
        if status in ("resolved", "closed") and case.resolved_at is None:
            values["resolved_at"] = now
        if status == "closed":
            values["closed_at"] = now
        if status == "in_progress" and case.status == "resolved":
            values["resolved_at"] = None  # reopened
    elif case.status == "closed":
        raise Conflict(f"case {case_id} is closed", "status")
    if not repository.update_case(session, case_id, change.version, values):
        raise Conflict(
            f"case {case_id} was changed since version {change.version} was read: "
            "reload and apply the change again",
            "version",
        )
    audit.record(session, principal, "update", "case", case_id, fields=sorted(values))
    session.expire(case)
    return _detail(session, case, customer, view)


def record_survey(
    session: Session, principal: Principal, case_id: int, answer: SurveyIn
) -> CaseOut:
    """The customer's satisfaction survey on a closed case, once per case."""
    scope.require_customer_writes(principal)
    case, customer, view = _visible_case(session, principal, case_id)
    if case.status != "closed":
        raise Conflict(f"case {case_id} is {case.status}: surveys are taken on closing", "status")
    if repository.survey(session, case_id) is not None:
        raise Conflict(f"case {case_id} already has its survey", "case_id")
    repository.add(
        session,
        CaseSurvey(
            case_id=case_id,
            csat=answer.csat,
            nps=answer.nps,
            comment=answer.comment,
            recorded_by=principal.actor,
        ),
    )
    case.satisfaction = answer.csat
    session.flush()
    audit.record(session, principal, "create", "case_survey", case_id, fields=["csat", "nps"])
    return _detail(session, case, customer, view)


def set_missing_due_times(session: Session, settings: Settings) -> int:
    """Unresolved cases without a due time (imported from the source system, which sends
    no SLA) get one: opened at + the SLA of the customer's latest tier (general when never
    scored). Resolved imported cases keep none: their SLA was the source system's."""
    missing = repository.unresolved_without_due(session)
    tiers = repository.latest_tiers(session, {customer_id for _, customer_id, _ in missing})
    rows: list[dict[str, object]] = []
    for case_id, customer_id, opened_at in missing:
        tier = tiers.get(customer_id)
        hours = sla_hours(settings, tier)
        rows.append(
            {
                "id": case_id,
                "tier_at_opening": tier or DEFAULT_TIER,
                "sla_hours": hours,
                "due_at": opened_at + timedelta(hours=hours),
            }
        )
    repository.set_due_times(session, rows)
    return len(rows)


def escalate(
    session: Session, settings: Settings, principal: Principal, now: datetime | None = None
) -> EscalationReport:
    """Mark unresolved cases past due as breached and escalate each to the branch manager
    of its customer's branch (who, when and to whom is kept on the case). Imported cases
    get their due time first (`set_missing_due_times`)."""
    now = now or utcnow()
    timed = set_missing_due_times(session, settings)
    due = repository.overdue(session, now)
    managers = repository.branch_managers(session, {branch for _, branch in due})
    escalated = [
        case_id
        for case_id, branch in due
        if repository.mark_breached(
            session, case_id, now, principal.actor, branch, managers.get(branch)
        )
    ]
    if escalated:
        audit.record(
            session,
            principal,
            "escalate",
            "case",
            fields=["breached", "escalated_to_id"],
            record_ids=escalated,
        )
    return EscalationReport(escalated=len(escalated), case_ids=escalated, due_times_set=timed)


def _month_start(month: str | None, field: str) -> datetime | None:
    if month is None:
        return None
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise InvalidInput(f"{field} must be a month as YYYY-MM", field) from exc
    return datetime(first.year, first.month, 1)


def _next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1)


def analytics(
    session: Session, principal: Principal, since: str | None, until: str | None
) -> CaseAnalytics:
    """Feedback analytics for management: cases by month, kind and topic, mean CSAT, NPS
    and SLA kept, over the months `since`..`until` (inclusive). No personal data."""
    if principal.role not in MANAGEMENT:
        raise Forbidden(f"the role '{principal.role_name}' does not see feedback analytics")
    branch_id = None
    if principal.role is Role.BRANCH_MANAGER:
        if principal.branch_id is None:
            raise Forbidden("a branch manager without a branch has no cases to analyse")
        branch_id = principal.branch_id
    start = _month_start(since, "since")
    last = _month_start(until, "until")
    end = _next_month(last) if last is not None else None
    rows = repository.counts_by_month(session, branch_id, start, end)
    by_kind: dict[str, int] = {}
    by_topic: dict[str, int] = {}
    for _y, _m, kind, topic, n in rows:
        by_kind[kind] = by_kind.get(kind, 0) + n
        by_topic[topic] = by_topic.get(topic, 0) + n
    mean_csat, csat_n = repository.csat(session, branch_id, start, end)
    promoters, passives, detractors = repository.nps_counts(session, branch_id, start, end)
    responses = promoters + passives + detractors
    sla_total, sla_kept = repository.sla_outcomes(session, branch_id, start, end, utcnow())
    audit.record(session, principal, "read", "case_analytics", branch_id)
    return CaseAnalytics(
        cases=sum(by_kind.values()),
        by_month=[
            MonthCount(month=f"{y:04d}-{m:02d}", kind=k, topic=t, cases=n) for y, m, k, t, n in rows
        ],
        by_kind=by_kind,
        by_topic=by_topic,
        mean_csat=round(mean_csat, 4) if mean_csat is not None else None,
        csat_responses=csat_n,
        nps=round(100.0 * (promoters - detractors) / responses, 4) if responses else None,
        nps_responses=responses,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        sla_cases=sla_total,
        sla_kept=sla_kept,
        sla_kept_percent=round(100.0 * sla_kept / sla_total, 4) if sla_total else None,
    )
