"""Every error as a JSON problem body (RFC 9457) that names the field; never a 500 for
anything a caller sends."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from bankcrm.kit.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Throttled,
    Unauthenticated,
    UserError,
)

log = logging.getLogger("bankcrm.web")

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many requests",
    503: "Service unavailable",
    500: "Internal error",
}
STATUS: dict[type[UserError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Forbidden: 403,
    Unauthenticated: 401,
    Conflict: 409,
    Throttled: 429,
}


def problem(
    status: int,
    detail: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM)


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _user_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UserError)
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    headers = None
    if isinstance(exc, Throttled):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    return problem(status, str(exc), getattr(exc, "field", None), headers)


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _location(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    return problem(422, f"{first['field']}: {first['message']}", first["field"], errors=errors)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, str(exc.detail), headers=exc.headers)


async def _integrity(_request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error: %s", exc.__class__.__name__)
    return problem(409, "the change clashes with another record (a duplicate or a reference)")


async def _data(_request: Request, exc: Exception) -> JSONResponse:
    log.info("data error: %s", exc.__class__.__name__)
    return problem(422, "a value is out of range or of the wrong kind for the database")


async def _busy(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("no database connection free in time: %s", exc.__class__.__name__)
    return problem(503, "the server is busy: try again shortly", headers={"Retry-After": "1"})


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "an unexpected error occurred; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(UserError, _user_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(DataError, _data)
    app.add_exception_handler(PoolTimeout, _busy)
    app.add_exception_handler(Exception, _unexpected)


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The body of every error (RFC 9457): what went wrong and, where known, which field."""

    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[FieldError] | None = None


def _documented(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


# The errors any API route may answer with, documented in the OpenAPI schema.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _documented("Not authenticated: no, a wrong, an expired or a revoked token"),
    403: _documented("The caller's role may not do this"),
    404: _documented("Not found, or outside the caller's scope"),
    409: _documented("A stale version or a clash with another record"),
    422: _documented("Invalid input; `field` names it"),
    429: _documented("Too many attempts; see Retry-After"),
    503: _documented("Busy: no database connection came free in time; see Retry-After"),
}
