"""Where a case stands against its SLA at a moment: the queue and the case page mark it,
so that what is late or nearly late is seen first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bankcrm.service_desk.schemas import CaseSummary

DUE_SOON_HOURS = 24  # an unresolved case due within this many hours is "due soon"
RESOLVED = frozenset({"resolved", "closed"})


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sla_state(case: CaseSummary, now: datetime) -> str | None:
    """breached (escalated), overdue, due_soon or on_time for an unresolved case; kept or
    missed once resolved; None without a due time (imported cases not yet timed)."""
    if case.status in RESOLVED:
        if case.due_at is None or case.resolved_at is None:
            return None
        return "kept" if _utc(case.resolved_at) <= _utc(case.due_at) else "missed"
    if case.breached:
        return "breached"
    if case.due_at is None:
        return None
    due, now = _utc(case.due_at), _utc(now)
    if due <= now:
        return "overdue"
    if due <= now + timedelta(hours=DUE_SOON_HOURS):
        return "due_soon"
    return "on_time"


def hours_left(case: CaseSummary, now: datetime) -> int | None:
    """Whole hours until an unresolved case is due (0 when due within the hour), None
    when it is past due, resolved or has no due time."""
    if case.status in RESOLVED or case.due_at is None:
        return None
    left = _utc(case.due_at) - _utc(now)
    if left.total_seconds() < 0:
        return None
    return int(left.total_seconds() // 3600)
