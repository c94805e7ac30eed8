"""The FastAPI application: JSON API under /api/v1, OpenAPI at /openapi.json."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.config import Settings, get_settings
from bankcrm.customers.api import router as customers_router
from bankcrm.customers.privacy_api import router as privacy_router
from bankcrm.interactions.api import router as interactions_router
from bankcrm.kit.runtime import open_runtime
from bankcrm.marketing.api import router as marketing_router
from bankcrm.security.api import router as security_router
from bankcrm.service_desk.api import router as service_desk_router
from bankcrm.staff.api import router as staff_router
from bankcrm.web import problems

API_VERSION = "1"


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
        response.headers["Cache-Control"] = "no-store"
        return response

    for router in (security_router, customers_router, interactions_router):
        app.include_router(router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(service_desk_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(privacy_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(marketing_router, responses=problems.PROBLEM_RESPONSES)
    app.include_router(staff_router, responses=problems.PROBLEM_RESPONSES)
    return app
