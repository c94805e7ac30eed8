"""Manager scorecards: customer-centred results over a period, not sales alone.

Seven measures, each turned into an attainment between 0 and 1 and weighted; the weights
and targets live in `ScorecardConfig` (defaults in `DEFAULT_CONFIG`, documented in
docs/models.md, "Manager scorecards"). Two more are shown beside them, the referrals the
manager made and those converted (staff/scorecard_referrals.py), with weight 0 by default:
sales are one measure, not the score, and a referral's sale already counts as a sale.
A measure without data in the period (say, no complaints) shows no points and its weight
leaves the total, which is out of 100 over the weights of the measures that had data.

Portfolios are taken as they were: today's managers, with the customers moved by approved
portfolio transfers since the moment in question given back to their previous manager.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from bankcrm.kit.errors import Conflict, Forbidden
from bankcrm.security import audit
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.staff import repository, scorecard_referrals
from bankcrm.staff.models import Staff
from bankcrm.staff.schemas import Measure, Scorecard, Scorecards

MAX_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True)
class ScorecardConfig:
    """Weights (points of each measure out of their sum) and the targets that turn values
    into attainments. The one place to change how managers are appraised."""

    weights: dict[str, float] = field(
        default_factory=lambda: {
            "retention": 25.0,
            "satisfaction": 15.0,
            "sla_kept": 15.0,
            "review_cadence": 15.0,
            "value_growth": 10.0,
            "products_per_customer": 10.0,
            "sales": 10.0,
            # Shown, not scored, unless a bank chooses to weight them.
            "referrals_made": 0.0,
            "referrals_converted": 0.0,
        }
    )
    retention_floor: float = 0.80  # retention at or below this earns 0, 100% earns 1
    value_growth_span: float = 0.10  # -10% earns 0, no change 0.5, +10% or more earns 1
    products_target: float = 3.0  # products per customer that earn full marks
    sales_target_per_customer_year: float = 0.5  # new holdings per customer and year
    referrals_target_per_year: float = 12.0  # referrals made per manager and year
    referral_conversion_target: float = 0.3  # the share of them expected to convert
    # Complaint SLA by tier, hours (DESIGN.md service schemes); unscored: general.
    sla_hours: dict[str, int] = field(
        default_factory=lambda: {"gold": 4, "growth": 24, "general": 48, "unprofitable": 72}
    )
    # Review cadence: the longest gap, in days, before the period's end since the last
    # contact, by tier; tiers not listed have no review cadence.
    cadence_days: dict[str, int] = field(default_factory=lambda: {"gold": 31, "growth": 92})


DEFAULT_CONFIG = ScorecardConfig()


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min)

    @property
    def end(self) -> datetime:  # exclusive
        return datetime.combine(self.last + timedelta(days=1), time.min)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def portfolios_at(
    current: dict[int, int | None], moves: Sequence[tuple[datetime, int, int, int]], at: datetime
) -> dict[int, int | None]:
    """Who managed each customer at `at`: today's manager, with every approved move at or
    after `at` undone, newest first (`moves` as from `repository.approved_moves_since`)."""
    owner = dict(current)
    for decided_at, from_id, _to_id, customer_id in moves:
        if decided_at >= at:
            owner[customer_id] = from_id
    return owner


def _members(owner: dict[int, int | None], manager_id: int) -> list[int]:
    return sorted(c for c, m in owner.items() if m == manager_id)


def _measure(
    config: ScorecardConfig,
    name: str,
    value: float | None,
    unit: str,
    basis: int,
    attain: Callable[[float], float],
) -> Measure:
    weight = config.weights.get(name, 0.0)
    if value is None:
        return Measure(
            name=name,
            value=None,
            unit=unit,
            basis=basis,
            attainment=None,
            weight=weight,
            points=None,
        )
    attainment = _clamp(attain(value))
    return Measure(
        name=name,
        value=round(value, 6),
        unit=unit,
        basis=basis,
        attainment=round(attainment, 6),
        weight=weight,
        points=round(weight * attainment, 2),
    )


def scorecard(
    session: Session,
    config: ScorecardConfig,
    manager: Staff,
    period: Period,
    start_owner: dict[int, int | None],
    end_owner: dict[int, int | None],
    score_dates: list[date],
) -> Scorecard:
    at_start, at_end = _members(start_owner, manager.id), _members(end_owner, manager.id)
    measures = []

    # Retention: of the customers with an open holding on the first day, the share that
    # still holds one on the last day.
    base = set(repository.open_products(session, at_start, period.first))
    kept = set(repository.open_products(session, sorted(base), period.last))
    floor = config.retention_floor
    measures.append(
        _measure(
            config,
            "retention",
            _share(len(kept), len(base)),
            "share",
            len(base),
            lambda v: (v - floor) / (1 - floor),
        )
    )

    # Satisfaction: mean CSAT (1..5) of the customers' cases resolved in the period.
    ratings = repository.case_ratings(session, at_end, period.start, period.end)
    mean = sum(ratings) / len(ratings) if ratings else None
    measures.append(
        _measure(config, "satisfaction", mean, "csat_1_5", len(ratings), lambda v: (v - 1) / 4)
    )

    # SLA kept: cases opened in the period resolved by their due time: the case's own
    # (cases opened in the CRM), else, for imported complaints, opened + the tier's hours.
    # A case still open and not yet due at the period's end is left out.
    tiers = repository.tiers_on(session, at_end, period.last)
    due_cases = 0
    in_time = 0
    for customer_id, opened_at, resolved_at, due_at in repository.sla_cases(
        session, at_end, period.start, period.end
    ):
        general = config.sla_hours["general"]
        hours = config.sla_hours.get(tiers.get(customer_id, "general"), general)
        due = due_at or opened_at + timedelta(hours=hours)
        if due > period.end and (resolved_at is None or resolved_at >= period.end):
            continue
        due_cases += 1
        in_time += resolved_at is not None and resolved_at <= due
    measures.append(
        _measure(config, "sla_kept", _share(in_time, due_cases), "share", due_cases, lambda v: v)
    )

    # Review cadence: gold and growth customers whose latest contact before the period's
    # end is within their tier's cadence.
    reviewed = [c for c in at_end if tiers.get(c) in config.cadence_days]
    contacts = repository.last_contacts(session, reviewed, period.end)
    on_time = sum(
        1
        for c in reviewed
        if c in contacts
        and contacts[c] >= period.end - timedelta(days=config.cadence_days[tiers[c]])
    )
    measures.append(
        _measure(
            config,
            "review_cadence",
            _share(on_time, len(reviewed)),
            "share",
            len(reviewed),
            lambda v: v,
        )
    )

    # Portfolio value growth: total contribution of the customers scored on both the first
    # and the last scoring date of the period, relative change.
    growth, scored = None, 0
    if len(score_dates) >= 2:
        first = repository.contributions(session, at_end, score_dates[0])
        last = repository.contributions(session, at_end, score_dates[-1])
        both = sorted(set(first) & set(last))
        scored = len(both)
        before = sum(first[c] for c in both)
        if both and before != 0:
            growth = (sum(last[c] for c in both) - before) / abs(before)
    span = config.value_growth_span
    measures.append(
        _measure(
            config,
            "value_growth",
            growth,
            "relative_change",
            scored,
            lambda v: 0.5 + v / (2 * span),
        )
    )

    # Products per customer: distinct products open on the last day, over the customers
    # holding at least one.
    held = repository.open_products(session, at_end, period.last)
    products = sum(len(p) for p in held.values())
    ppc = products / len(held) if held else None
    target = config.products_target
    measures.append(
        _measure(config, "products_per_customer", ppc, "products", len(held), lambda v: v / target)
    )

    # Sales: holdings the customers opened in the period, against a yearly target per
    # customer prorated to the period. One measure among seven, not the score.
    sold = repository.holdings_opened(session, at_end, period.first, period.last)
    expected = config.sales_target_per_customer_year * len(at_end) * period.days / 365
    measures.append(
        _measure(
            config,
            "sales",
            float(sold) if at_end else None,
            "holdings_opened",
            len(at_end),
            lambda v: v / expected if expected else 0.0,
        )
    )

    measures.extend(scorecard_referrals.measures(session, config, manager.id, period, _measure))

    with_data = [m for m in measures if m.points is not None]
    weights = sum(m.weight for m in with_data)
    points = sum(m.points or 0.0 for m in with_data)
    return Scorecard(
        staff_id=manager.id,
        name=f"{manager.first_name} {manager.last_name}",
        customers_at_start=len(at_start),
        customers_at_end=len(at_end),
        measures=measures,
        total=round(100 * points / weights, 2) if weights else 0.0,
        weights_with_data=weights,
    )


def require_access(principal: Principal) -> None:
    """Forbidden unless the caller has scorecards: a branch manager (their branch's
    managers) or an account manager (their own). Pages check it before reading a period."""
    if principal.role is Role.BRANCH_MANAGER and principal.branch_id is not None:
        return
    if principal.role is Role.ACCOUNT_MANAGER and principal.staff_id is not None:
        return
    raise Forbidden(
        f"the role '{principal.role_name}' has no scorecards (branch managers see their "
        "branch's managers, account managers their own)"
    )


def scorecards(
    session: Session,
    principal: Principal,
    first: date,
    last: date,
    config: ScorecardConfig = DEFAULT_CONFIG,
) -> Scorecards:
    """A branch manager's: every account manager of the branch; an account manager's:
    their own. Audited: appraisals are personal data of the staff."""
    require_access(principal)
    if principal.role is Role.BRANCH_MANAGER and principal.branch_id is not None:
        managers = repository.account_managers(session, principal.branch_id)
    else:
        assert principal.staff_id is not None  # require_access: an account manager's own
        own = repository.staff_member(session, principal.staff_id)
        managers = [own] if own is not None else []
    if last < first:
        raise Conflict("to: the period ends before it starts", "to")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise Conflict(f"to: a period of at most {MAX_PERIOD_DAYS} days", "to")
    if last >= date.max - timedelta(days=1):
        raise Conflict("to: too far in the future", "to")
    period = Period(first, last)
    ids = [m.id for m in managers]
    moves = repository.approved_moves_since(session, period.start)
    current = repository.managers_of(session, ids, [c for *_, c in moves])
    start_owner = portfolios_at(current, moves, period.start)
    end_owner = portfolios_at(current, moves, period.end)
    dates = repository.score_dates(session, first, last)
    cards = [scorecard(session, config, m, period, start_owner, end_owner, dates) for m in managers]
    if ids:
        audit.record(session, principal, "read", "scorecard", record_ids=ids)
    return Scorecards(
        period_from=first, period_to=last, weights=dict(config.weights), scorecards=cards
    )
