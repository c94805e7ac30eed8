"""An account manager's day, for the "My day" page: the worklist ranked by value at risk,
the tasks due today or overdue, the SLA alerts of open cases and the portfolio's tier mix.
Each part comes from the service the JSON API uses (scope, masking and audit included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from bankcrm.customers import portfolio
from bankcrm.interactions import service
from bankcrm.interactions.schemas import WorklistItem
from bankcrm.kit.pagination import Page
from bankcrm.security.principal import Principal
from bankcrm.service_desk import service as service_desk
from bankcrm.service_desk.schemas import CaseQuery, CaseSummary

ALERT_HOURS = 24  # an open case due within this many hours is an alert
ALERT_CASES = 20  # the most urgent cases per status looked at


@dataclass(frozen=True)
class SlaAlert:
    case: CaseSummary
    state: str  # breached | overdue | due_soon

    @property
    def customer_id(self) -> int:
        return self.case.customer.id


@dataclass(frozen=True)
class MyDay:
    worklist: Page[WorklistItem]
    due: Page[WorklistItem]
    alerts: list[SlaAlert]
    mix: portfolio.TierMix
    today: date


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sla_alerts(session: Session, principal: Principal, now: datetime) -> list[SlaAlert]:
    """Open and in-progress cases of the caller's customers that breached their SLA or are
    due within ALERT_HOURS, soonest due first."""
    horizon = now + timedelta(hours=ALERT_HOURS)
    alerts: list[SlaAlert] = []
    for status in ("open", "in_progress"):
        page = service_desk.list_cases(session, principal, CaseQuery(status=status), 0, ALERT_CASES)
        for case in page.items:
            due = _utc(case.due_at) if case.due_at else None
            if case.breached:
                alerts.append(SlaAlert(case, "breached"))
            elif due is not None and due <= now:
                alerts.append(SlaAlert(case, "overdue"))
            elif due is not None and due <= horizon:
                alerts.append(SlaAlert(case, "due_soon"))
    far = datetime.max.replace(tzinfo=UTC)
    alerts.sort(key=lambda a: (_utc(a.case.due_at) if a.case.due_at else far, a.case.id))
    return alerts


def my_day(session: Session, principal: Principal, today: date, offset: int, limit: int) -> MyDay:
    """Everything the page shows; Forbidden for a role without a worklist."""
    worklist = service.worklist(session, principal, offset, limit)
    due = service.worklist(session, principal, 0, 50, due_by=today)
    return MyDay(
        worklist=worklist,
        due=due,
        alerts=sla_alerts(session, principal, datetime.now(UTC)),
        mix=portfolio.tier_mix(session, principal),
        today=today,
    )
