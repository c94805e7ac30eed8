"""The staff pages of the workbench, one router for the app: portfolio handovers
(`handover_views.py`, `transfer_views.py`) and manager scorecards (`scorecard_views.py`)."""

from __future__ import annotations

from fastapi import APIRouter

from bankcrm.staff import handover_views, scorecard_views, transfer_views

router = APIRouter(include_in_schema=False)
router.include_router(handover_views.router)
router.include_router(transfer_views.router)
router.include_router(scorecard_views.router)
