"""/api/v1/portfolio-transfers (maker-checker moves of customers between managers, and the
churn watch that follows) and /api/v1/scorecards (manager appraisal)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from bankcrm.kit.pagination import Page, PageParams
from bankcrm.staff import portfolio, scorecard
from bankcrm.staff.schemas import DecisionIn, Scorecards, TransferIn, TransferOut, WatchOut
from bankcrm.web.deps import PrincipalDep, RecordId, SessionDep

router = APIRouter(prefix="/api/v1", tags=["staff"])


@router.post("/portfolio-transfers", response_model=TransferOut, status_code=201)
def propose_transfer(data: TransferIn, session: SessionDep, principal: PrincipalDep) -> TransferOut:
    """Propose moving customers (ids, or a filter over the from-manager's portfolio) to
    another manager of the branch, with a handover note. Waits for the branch manager."""
    return portfolio.propose(session, principal, data)


@router.get("/portfolio-transfers", response_model=Page[TransferOut])
def list_transfers(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[PageParams, Depends()],
    status: Literal["pending", "approved", "rejected"] | None = None,
) -> Page[TransferOut]:
    """A branch manager's branch's transfers; an account manager's given or received."""
    return portfolio.list_transfers(session, principal, status, page.offset, page.limit)


@router.get("/portfolio-transfers/watch", response_model=list[WatchOut])
def churn_watch(session: SessionDep, principal: PrincipalDep) -> list[WatchOut]:
    """Moved customers under their 90-day churn watch, with the handover notes."""
    return portfolio.watch_list(session, principal)


@router.get("/portfolio-transfers/{transfer_id}", response_model=TransferOut)
def get_transfer(
    transfer_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> TransferOut:
    return portfolio.get(session, principal, transfer_id)


@router.post("/portfolio-transfers/{transfer_id}/approve", response_model=TransferOut)
def approve_transfer(
    transfer_id: RecordId,
    session: SessionDep,
    principal: PrincipalDep,
    decision: DecisionIn | None = None,
) -> TransferOut:
    """The branch manager of the branch (never the proposer) approves: the customers move
    and each goes on a 90-day churn watch."""
    note = decision.note if decision else None
    return portfolio.decide(session, principal, transfer_id, True, note)


@router.post("/portfolio-transfers/{transfer_id}/reject", response_model=TransferOut)
def reject_transfer(
    transfer_id: RecordId,
    session: SessionDep,
    principal: PrincipalDep,
    decision: DecisionIn | None = None,
) -> TransferOut:
    note = decision.note if decision else None
    return portfolio.decide(session, principal, transfer_id, False, note)


@router.get("/scorecards", response_model=Scorecards)
def scorecards(
    session: SessionDep,
    principal: PrincipalDep,
    period_from: Annotated[date, Query(alias="from")],
    period_to: Annotated[date, Query(alias="to")],
) -> Scorecards:
    """Customer-centred measures per manager over the period, weighted into a total."""
    return scorecard.scorecards(session, principal, period_from, period_to)
