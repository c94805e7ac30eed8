"""The management dashboard's rules: who sees it, which scoring dates, whose customers.

Executives, analysts and product managers see the whole bank. A branch manager sees the
per-customer distributions (tier and band mix, tier migration, CLV histogram, complaints by
topic, demand forecast) of their own branch only, as `security/scope.py` limits them to it;
the branch-level figures (churn risk and value at risk by branch, branch comparison) list
every branch, as aggregates, since comparing branches is their purpose, and the stored
bank-wide model results (Lorenz curve, segments, product associations) are the bank's.
Everything is an aggregate: no customer name or id. Audited as one read of the dashboard.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy.orm import Session

from bankcrm.analytics.dashboard_cube import CLV_EDGES, COMPLAINT_MONTHS
from bankcrm.analytics.dashboard_cube import KIND as CUBE
from bankcrm.analytics.tiers import BANDS, TIERS
from bankcrm.dashboard import repository, stored
from bankcrm.dashboard.repository import BranchTier
from bankcrm.dashboard.schemas import (
    Bin,
    BranchRow,
    Count,
    Dashboard,
    Migration,
    Scope,
    TopicMonth,
)
from bankcrm.kit.errors import Forbidden, InvalidInput, NotFound
from bankcrm.security import audit
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role

READERS = frozenset({Role.EXECUTIVE, Role.ANALYST, Role.PRODUCT_MANAGER, Role.BRANCH_MANAGER})
MONTHS = COMPLAINT_MONTHS


def require_dashboard(principal: Principal) -> int | None:
    """Forbidden unless the role reads the dashboard; the branch its distributions cover
    (None: the bank)."""
    if principal.role not in READERS:
        raise Forbidden(f"the role '{principal.role_name}' has no management dashboard")
    if principal.role is Role.BRANCH_MANAGER:
        if principal.branch_id is None:
            raise Forbidden("a branch manager without a branch has no dashboard")
        return principal.branch_id
    return None


def _pick(
    runs: list[date], as_of: date | None, compare_to: date | None
) -> tuple[date, date | None]:
    """The scoring date shown and the one compared with (default: the run before)."""
    if as_of is None:
        as_of = runs[0]
    elif as_of not in runs:
        raise NotFound(f"no scoring run on {as_of.isoformat()}: choose one of the scoring dates")
    if compare_to is None:
        earlier = [d for d in runs if d < as_of]
        return as_of, earlier[0] if earlier else None
    if compare_to not in runs:
        raise NotFound(
            f"no scoring run on {compare_to.isoformat()}: choose one of the scoring dates"
        )
    if compare_to == as_of:
        raise InvalidInput("compare_to must be another scoring date than as_of", "compare_to")
    return as_of, compare_to


def _month(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _counts(found: dict[str, int], codes: tuple[str, ...]) -> list[Count]:
    """Every known code in order (0 when none), then any other code the data has."""
    extra = sorted(set(found) - set(codes))
    return [Count(code=c, customers=found.get(c, 0)) for c in (*codes, *extra)]


def _bins(rows: list[tuple[str, int, int]]) -> list[Bin]:
    """The CLV histogram without its empty bins at either end."""
    counts = [0] * (len(CLV_EDGES) + 1)
    for _band, k, n in rows:
        counts[k] += n
    used = [i for i, n in enumerate(counts) if n]
    if not used:
        return []
    edges: list[float | None] = [None, *CLV_EDGES, None]
    return [
        Bin(low=edges[i], high=edges[i + 1], customers=counts[i])
        for i in range(used[0], used[-1] + 1)
    ]


def _branches(
    rows: list[BranchTier], names: dict[int, str], complaints: dict[int, int]
) -> list[BranchRow]:
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0] * 6)
    for row in rows:
        s = sums[row.branch_id]
        s[0] += row.customers
        s[1] += row.contribution
        s[2] += row.customers if row.tier == "gold" else 0
        s[3] += row.churn_probability
        s[4] += row.value_at_risk
        s[5] += row.clv
    return [
        BranchRow(
            branch_id=b,
            branch=names.get(b, str(b)),
            customers=int(s[0]),
            contribution=round(s[1], 2),
            gold_share=round(s[2] / s[0], 6),
            mean_churn_probability=round(s[3] / s[0], 6),
            value_at_risk=round(s[4], 2),
            clv=round(s[5], 2),
            complaints=complaints.get(b, 0),
        )
        for b, s in sorted(sums.items(), key=lambda item: (names.get(item[0], ""), item[0]))
    ]


def _migration(
    session: Session,
    before: date,
    after: date,
    branch_id: int | None,
    after_tiers: list[Count],
    stored_moves: stored.StoredMigration | None,
) -> Migration:
    """From the run's stored moves when they compare with `before`, else by the database."""
    moves: dict[tuple[str, str], int] = defaultdict(int)
    earlier: dict[str, int] = defaultdict(int)
    if stored_moves is not None and stored_moves.before == before:
        for branch, a, b, n in stored_moves.moves:
            if branch_id in (None, branch):
                moves[a, b] += n
        for branch, a, n in stored_moves.counts:
            if branch_id in (None, branch):
                earlier[a] += n
    else:
        moves.update(repository.migration(session, before, after, branch_id))
        earlier.update(repository.tier_counts(session, before, branch_id))
    codes = list(TIERS) + sorted({t for pair in moves for t in pair} - set(TIERS))
    matrix = [[moves.get((a, b), 0) for b in codes] for a in codes]
    now = {c.code: c.customers for c in after_tiers}
    return Migration(
        from_date=before,
        to_date=after,
        tiers=codes,
        matrix=matrix,
        new=[now.get(b, 0) - sum(row[j] for row in matrix) for j, b in enumerate(codes)],
        gone=[earlier.get(a, 0) - sum(matrix[i]) for i, a in enumerate(codes)],
    )


def _complaints(
    session: Session,
    as_of: date,
    branch_id: int | None,
    stored_rows: list[tuple[int, int, str, int]] | None,
) -> tuple[list[str], list[TopicMonth], dict[int, int]]:
    """The MONTHS calendar months up to the scoring date's, the complaints per month and
    topic (a branch manager's branch only, the rule of the service desk's feedback
    analytics) and the complaints per branch (every branch, for the comparison): as the
    run counted them, else counted now."""
    starts = [
        datetime.combine(_month(as_of, back), datetime.min.time())
        for back in range(MONTHS - 1, -1, -1)
    ]
    until = datetime.combine(_month(as_of, -1), datetime.min.time())
    per_month: dict[tuple[int, str], int] = defaultdict(int)
    per_branch: dict[int, int] = defaultdict(int)
    if stored_rows is None:
        stored_rows = repository.complaints(session, starts, until)
    for branch, month, topic, n in stored_rows:
        per_branch[branch] += n
        if branch_id is None or branch == branch_id:
            per_month[month, topic] += n
    months = [start.strftime("%Y-%m") for start in starts]
    return (
        months,
        [
            TopicMonth(month=months[m], topic=topic, complaints=n)
            for (m, topic), n in sorted(per_month.items())
        ],
        dict(per_branch),
    )


def dashboard(
    session: Session, principal: Principal, as_of: date | None, compare_to: date | None
) -> Dashboard:
    """The dashboard of `as_of` (default: the latest run) against `compare_to` (default:
    the run before it). NotFound for a date without a run; Forbidden for other roles."""
    branch_id = require_dashboard(principal)
    names = repository.branch_names(session)
    scope = Scope(
        bank_wide=branch_id is None,
        branch_id=branch_id,
        branch_name=names.get(branch_id) if branch_id is not None else None,
    )
    runs = repository.run_dates(session)
    if not runs:
        if as_of is not None or compare_to is not None:
            raise NotFound("there is no scoring run yet: run `bankcrm score`")
        return _empty(scope)
    day, before = _pick(runs, as_of, compare_to)
    found = repository.results(session, day, (*stored.KINDS, CUBE))
    cube = stored.cube(found.get(CUBE))
    if cube is not None:  # summed by `bankcrm score`
        branch_rows, all_bands = cube.branch_tiers, cube.band_bins
        bands = [(b, k, n) for br, b, k, n in all_bands if branch_id in (None, br)]
    else:  # a run stored before the cube existed
        branch_rows = repository.branch_tiers(session, day)
        bands = repository.band_bins(session, day, branch_id)
    mine = [r for r in branch_rows if branch_id is None or r.branch_id == branch_id]
    complaint_rows = cube.complaints if cube is not None else None
    months, topics, complaints = _complaints(session, day, branch_id, complaint_rows)
    if cube is not None and cube.demand is not None:
        demand_cells = cube.demand
    else:
        demand_cells = repository.results(session, day, ("demand_forecast",)).get(
            "demand_forecast", []
        )
    tier_found: dict[str, int] = defaultdict(int)
    band_found: dict[str, int] = defaultdict(int)
    for row in mine:
        tier_found[row.tier] += row.customers
    for band, _k, n in bands:
        band_found[band] += n
    tiers = _counts(tier_found, TIERS)
    customers = sum(r.customers for r in mine)
    audit.record(session, principal, "read", "dashboard", day.isoformat())
    return Dashboard(
        runs=runs,
        as_of=day,
        compare_to=before,
        scope=scope,
        customers=customers,
        contribution=round(sum(r.contribution for r in mine), 2),
        value_at_risk=round(sum(r.value_at_risk for r in mine), 2),
        clv=round(sum(r.clv for r in mine), 2),
        mean_churn_probability=(
            round(sum(r.churn_probability for r in mine) / customers, 6) if customers else None
        ),
        tiers=tiers,
        bands=_counts(band_found, BANDS),
        migration=(
            _migration(session, before, day, branch_id, tiers, cube.migration if cube else None)
            if before
            else None
        ),
        clv_bins=_bins(bands),
        branches=_branches(branch_rows, names, complaints),
        lorenz=stored.lorenz(found.get("pareto")),
        complaint_months=months,
        complaints=topics,
        demand=stored.demand(session, demand_cells or [], branch_id),
        segments=stored.segments(found.get("segments") or []),
        rules=stored.rules(found.get("associations") or []),
    )


def _empty(scope: Scope) -> Dashboard:
    """A bank that was never scored: nothing to show yet, and no error."""
    return Dashboard(
        runs=[],
        as_of=None,
        compare_to=None,
        scope=scope,
        customers=0,
        contribution=0.0,
        value_at_risk=0.0,
        clv=0.0,
        mean_churn_probability=None,
        tiers=[],
        bands=[],
        migration=None,
        clv_bins=[],
        branches=[],
        lorenz=None,
        complaint_months=[],
        complaints=[],
        demand=[],
        segments=[],
        rules=[],
    )
