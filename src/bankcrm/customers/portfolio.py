"""The tier mix of the caller's customers: how many sit in each tier on the latest scoring
date and how that changed since the previous one. Aggregates only (no customer is named),
in the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from bankcrm.customers import portfolio_repository
from bankcrm.security import scope
from bankcrm.security.principal import Principal
from bankcrm.security.roles import CustomerScope

TIERS = ("gold", "growth", "general", "unprofitable")


@dataclass(frozen=True)
class TierCount:
    tier: str
    count: int
    previous: int | None  # on the previous scoring date; None without one

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.count - self.previous


@dataclass(frozen=True)
class TierMix:
    as_of: date | None  # the latest scoring date; None before the first scoring
    previous_as_of: date | None
    tiers: list[TierCount]

    @property
    def total(self) -> int:
        return sum(t.count for t in self.tiers)


def tier_mix(session: Session, principal: Principal) -> TierMix:
    """Counts per tier in the caller's scope, latest and previous scoring date."""
    scope.require_customer_lists(principal)
    dates = portfolio_repository.score_dates(session, 2)
    if not dates:
        return TierMix(None, None, [TierCount(tier, 0, None) for tier in TIERS])
    where = scope.customer_filter(principal)
    latest = portfolio_repository.tier_counts(session, where, dates[0])
    previous = (
        portfolio_repository.tier_counts(session, where, dates[1]) if len(dates) > 1 else None
    )
    return TierMix(
        dates[0],
        dates[1] if len(dates) > 1 else None,
        [
            TierCount(
                tier, latest.get(tier, 0), None if previous is None else previous.get(tier, 0)
            )
            for tier in TIERS
        ],
    )


def branch_choices(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """The branches a caller may filter the customer list by: every branch for a role that
    sees every customer, none for the others (their scope is one branch or portfolio)."""
    if principal.policy.scope is not CustomerScope.ALL:
        return []
    return portfolio_repository.branches(session)
