"""The FastAPI application: JSON API under /api/v1 (OpenAPI at /openapi.json), the
workbench's pages and their vendored assets under /static."""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.config import Settings, get_settings
from bankcrm.customers.api import router as customers_router
from bankcrm.customers.list_views import router as customer_list_pages
from bankcrm.customers.privacy_api import router as privacy_router
from bankcrm.customers.views import router as customer_pages
from bankcrm.dashboard.api import router as dashboard_router
from bankcrm.dashboard.views import router as dashboard_pages
from bankcrm.duplicates.api import router as duplicates_router
from bankcrm.duplicates.views import router as duplicates_pages
from bankcrm.interactions.api import router as interactions_router
from bankcrm.interactions.views import router as my_day_pages
from bankcrm.kit.runtime import open_runtime
from bankcrm.marketing.api import router as marketing_router
from bankcrm.marketing.views import router as marketing_pages
from bankcrm.opportunities.api import router as opportunities_router
from bankcrm.opportunities.views import router as opportunity_pages
from bankcrm.prospects.api import router as prospects_router
from bankcrm.prospects.record_views import router as prospect_pages
from bankcrm.prospects.views import router as prospect_list_pages
from bankcrm.referrals.api import router as referrals_router
from bankcrm.referrals.views import router as referral_pages
from bankcrm.security.api import router as security_router
from bankcrm.security.views import router as security_pages
from bankcrm.service_desk.api import router as service_desk_router
from bankcrm.service_desk.views import router as service_desk_pages
from bankcrm.staff.api import router as staff_router
from bankcrm.staff.views import router as staff_pages
from bankcrm.web import problems
from bankcrm.web.home.views import router as home_pages
from bankcrm.web.pages import WEB

API_VERSION = "1"
# Pages load scripts, styles and images from this site only (vendored, no CDN), run no
# inline script and cannot be framed. Pico draws its form controls with data: images.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def create_app(
    settings: Settings | None = None, sessions: sessionmaker[Session] | None = None
) -> FastAPI:
    """The app; tests pass their own `sessions` (rolled back after each test), a server
    opens the configured database at start-up."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if sessions is not None:
            app.state.sessions = sessions
            yield
            return
        runtime = open_runtime(settings)
        app.state.sessions = runtime.sessions
        # Everything loaded by now lives as long as the server: keep it out of the garbage
        # collector's full passes, which otherwise walk ~190,000 objects (64 ms) whenever a
        # page allocates a lot; they were a quarter of the dashboard's server time.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            runtime.engine.dispose()

    app = FastAPI(
        title="bankcrm",
        version=API_VERSION,
        summary="Customer relationship management of a commercial bank",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if sessions is not None:
        app.state.sessions = sessions
    problems.install(app)

    @app.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        if request.url.path.startswith("/static/"):
            # Vendored files: the browser keeps them and asks again with their ETag (304).
            response.headers["Cache-Control"] = "no-cache"
        else:
            response.headers["Cache-Control"] = "no-store"
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "same-origin"
        return response

    for router in (security_router, customers_router, interactions_router):
        app.include_router(router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(service_desk_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(privacy_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(marketing_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(staff_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(dashboard_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(referrals_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(duplicates_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(opportunities_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(prospects_router, responses=problems.PROBLEM_RESPONSES)
    # The workbench's pages (server-rendered, same services and session as the API).
    app.include_router(home_pages)
    app.include_router(security_pages)
    app.include_router(my_day_pages)
    app.include_router(customer_list_pages)
    app.include_router(customer_pages)
    app.include_router(service_desk_pages)
    app.include_router(marketing_pages)
    app.include_router(staff_pages)
    app.include_router(dashboard_pages)
    app.include_router(referral_pages)
    app.include_router(duplicates_pages)
    app.include_router(opportunity_pages)
    app.include_router(prospect_list_pages)
    app.include_router(prospect_pages)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    return app
