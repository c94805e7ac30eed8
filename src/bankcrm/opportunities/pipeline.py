"""The pipeline's figures for one caller (GET /api/v1/opportunities/pipeline and the
/opportunities/pipeline page): aggregates only, never a customer. Account managers see
their own and their customers' opportunities, branch managers their branch, product
managers, executives and analysts the whole bank, with managers shown by staff code
(masked) or pseudonym (pseudonymised) instead of their names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.kit.errors import Forbidden, InvalidInput
from bankcrm.opportunities import pipeline_repository as figures
from bankcrm.opportunities import repository
from bankcrm.opportunities.pipeline_repository import ClosedRow
from bankcrm.opportunities.schemas import Dimension, MonthFigure, Pipeline, StageFigure, WinLoss
from bankcrm.security import audit, scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role, View
from bankcrm.security.secrets import pseudonym
from bankcrm.staff import repository as staff_repository

VIEWERS = frozenset(
    {Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.PRODUCT_MANAGER, Role.EXECUTIVE, Role.ANALYST}
)
CENTS = Decimal("0.01")


def _labels(
    session: Session, settings: Settings, principal: Principal, by: str, keys: set[int]
) -> dict[int, str]:
    if by == "branch":
        return staff_repository.branch_names(session, keys)
    if by == "product":
        return repository.product_names(session, keys)
    view = principal.policy.view
    if view is View.FULL:
        return staff_repository.staff_names(session, keys)
    codes = repository.staff_codes(session, keys)
    if view is View.MASKED:
        return codes
    key = settings.pseudonym_key()
    return {i: pseudonym(key, code) for i, code in codes.items()}


def _win_loss(rows: list[ClosedRow], names: dict[str, str]) -> list[WinLoss]:
    grouped: dict[str, WinLoss] = {}
    for key, stage, reason, n, amount in rows:
        entry = grouped.setdefault(
            key,
            WinLoss(
                key=key,
                label=names.get(key, key),
                won=0,
                lost=0,
                win_rate=None,
                won_amount=Decimal("0.00"),
                lost_reasons={},
            ),
        )
        if stage == "won":
            entry.won += n
            entry.won_amount = (entry.won_amount + amount).quantize(CENTS)
        else:
            entry.lost += n
            why = reason or "other"
            entry.lost_reasons[why] = entry.lost_reasons.get(why, 0) + n
    for entry in grouped.values():
        closed = entry.won + entry.lost
        entry.win_rate = round(entry.won / closed, 4) if closed else None
    return sorted(grouped.values(), key=lambda e: (-(e.won + e.lost), e.label))


def pipeline(
    session: Session,
    settings: Settings,
    principal: Principal,
    by: Dimension = "manager",
    currency: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Pipeline:
    """Count, amount and weighted amount (amount x the probability stored at the last
    stage change) by stage per `by`; expected volume by month; win rate and lost reasons
    by product and segment over opportunities closed `since`..`until`. Amounts are of one
    currency: `currency`, or the one most opportunities in scope have."""
    if principal.role not in VIEWERS:
        raise Forbidden(f"the role '{principal.role_name}' does not see the sales pipeline")
    if since is not None and until is not None and since > until:
        raise InvalidInput("since must not be after until", "since")
    where = scope.customer_filter(principal)
    present = figures.currencies(session, where)
    chosen = currency or (present[0][0] if present else None)
    stage_rows = figures.by_stage(session, where, by, chosen)
    names = _labels(session, settings, principal, by, {k for k, *_ in stage_rows})
    products = figures.closed_by_product(session, where, chosen, since, until)
    product_names = repository.product_names(session, {int(k) for k, *_ in products})
    segments = figures.closed_by_segment(session, where, chosen, since, until)
    audit.record(session, principal, "read", "opportunity_pipeline", by)
    return Pipeline(
        by=by,
        currency=chosen,
        currencies=[c for c, _ in present],
        by_stage=[
            StageFigure(
                key=k,
                label=names.get(k, str(k)),
                stage=s,
                currency=c,
                count=n,
                amount=a.quantize(CENTS),
                weighted_amount=w.quantize(CENTS),
            )
            for k, s, c, n, a, w in stage_rows
        ],
        by_month=[
            MonthFigure(
                month=f"{y:04d}-{m:02d}",
                currency=c,
                count=n,
                amount=a.quantize(CENTS),
                weighted_amount=w.quantize(CENTS),
            )
            for y, m, c, n, a, w in figures.by_month(session, where, chosen)
        ],
        by_product=_win_loss(products, {str(k): v for k, v in product_names.items()}),
        by_segment=_win_loss(segments, {}),
        lost_reasons=_reasons(segments),
    )


def _reasons(rows: list[ClosedRow]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _key, stage, reason, n, _amount in rows:
        if stage == "lost":
            counts[reason or "other"] = counts.get(reason or "other", 0) + n
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
