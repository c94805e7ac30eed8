"""/api/v1/dashboard: the management dashboard's aggregates as JSON (the page shows the same)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from bankcrm.dashboard import service
from bankcrm.dashboard.schemas import Dashboard
from bankcrm.web.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["dashboard"])


@router.get("/dashboard", response_model=Dashboard)
def dashboard(
    session: SessionDep,
    principal: PrincipalDep,
    as_of: Annotated[date | None, Query(description="A scoring date; default the latest")] = None,
    compare_to: Annotated[
        date | None, Query(description="An earlier scoring date for tier migration")
    ] = None,
) -> Dashboard:
    """Contribution concentration, tier and band mix, tier migration, CLV distribution,
    churn risk and value at risk by branch, complaints by topic, demand forecast, segments
    and product associations: aggregates only (executives, analysts, product managers;
    branch managers for their branch)."""
    return service.dashboard(session, principal, as_of, compare_to)
