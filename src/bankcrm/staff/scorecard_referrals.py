"""The referral measures of a manager's scorecard: referrals the manager made in the
period and their referrals converted in it (docs/models.md, "Manager scorecards").

Shown beside the seven customer-centred measures with weight 0 by default, so the score
keeps its meaning: a converted referral is business the specialist's line already counts
as a sale, and sales are one measure, not the score. A bank that wants to reward
referring sets their weights in `ScorecardConfig`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from bankcrm.referrals import repository
from bankcrm.staff.schemas import Measure

if TYPE_CHECKING:
    from bankcrm.staff.scorecard import Period, ScorecardConfig


class MakeMeasure(Protocol):
    def __call__(
        self,
        config: ScorecardConfig,
        name: str,
        value: float | None,
        unit: str,
        basis: int,
        attain: Callable[[float], float],
    ) -> Measure: ...


def measures(
    session: Session,
    config: ScorecardConfig,
    staff_id: int,
    period: Period,
    measure: MakeMeasure,
) -> list[Measure]:
    """Referrals made (against a yearly target prorated to the period) and converted
    (against the target times the expected conversion share)."""
    made = repository.made_by_staff(session, [staff_id], period.start, period.end).get(staff_id, 0)
    converted = repository.converted_by_staff(session, [staff_id], period.start, period.end).get(
        staff_id, 0
    )
    expected = config.referrals_target_per_year * period.days / 365
    expected_won = expected * config.referral_conversion_target
    return [
        measure(
            config,
            "referrals_made",
            float(made),
            "referrals",
            made,
            lambda v: v / expected if expected else 0.0,
        ),
        measure(
            config,
            "referrals_converted",
            float(converted),
            "referrals",
            converted,
            lambda v: v / expected_won if expected_won else 0.0,
        ),
    ]
