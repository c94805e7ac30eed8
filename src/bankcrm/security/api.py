"""/api/v1/auth, /api/v1/me, the audit log and break-glass routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from bankcrm.kit.pagination import Page, PageParams
from bankcrm.security import break_glass, service
from bankcrm.security.schemas import (
    AuditEventOut,
    AuditQuery,
    BreakGlassIn,
    BreakGlassOut,
    Credentials,
    Me,
    SessionOut,
    TokenOut,
)
from bankcrm.security.secrets import token_hash
from bankcrm.web.deps import (
    SESSION_COOKIE,
    PrincipalDep,
    RecordId,
    SessionDep,
    SettingsDep,
    client_ip,
)

router = APIRouter(prefix="/api/v1", tags=["security"])


@router.post("/auth/token", response_model=TokenOut)
def create_token(
    credentials: Credentials, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenOut:
    """Log in with a username and password; the bearer token expires after
    `token_minutes`. Repeated failures are throttled (429 with Retry-After)."""
    user = service.login(
        session, settings, credentials.username, credentials.password, client_ip(request)
    )
    issued = service.issue(session, user, "bearer", settings.token_minutes)
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at)


@router.delete("/auth/token", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    """Log out: the token used for this request stops working."""
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    service.revoke_by_hash(session, principal, token_hash(token))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/session", response_model=SessionOut)
def create_session(
    credentials: Credentials,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> SessionOut:
    """Browser log-in: an HttpOnly, SameSite=Strict session cookie, and the CSRF token the
    page sends back in X-CSRF-Token with every change."""
    user = service.login(
        session, settings, credentials.username, credentials.password, client_ip(request)
    )
    issued = service.issue(session, user, "session", settings.session_minutes)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=settings.session_minutes * 60,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",
        path="/",
    )
    assert issued.csrf_token is not None
    return SessionOut(csrf_token=issued.csrf_token, expires_at=issued.expires_at)


@router.delete("/auth/session", status_code=status.HTTP_204_NO_CONTENT)
def end_session(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    service.revoke_by_hash(session, principal, token_hash(cookie))
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me)
def me(principal: PrincipalDep) -> Me:
    return Me(
        actor=principal.actor,
        role=principal.role_name,
        branch_id=principal.branch_id,
        staff_id=principal.staff_id,
        scopes=sorted(principal.scopes),
    )


@router.get("/audit-events", response_model=Page[AuditEventOut])
def audit_events(
    session: SessionDep,
    principal: PrincipalDep,
    query: Annotated[AuditQuery, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[AuditEventOut]:
    """The append-only audit log (auditors only), newest first."""
    events, total = service.audit_log(
        session, principal, **query.model_dump(), offset=page.offset, limit=page.limit
    )
    return Page(
        items=[AuditEventOut.model_validate(e) for e in events],
        total=total,
        offset=page.offset,
        limit=page.limit,
    )


@router.post(
    "/customers/{customer_id}/break-glass",
    response_model=BreakGlassOut,
    status_code=status.HTTP_201_CREATED,
)
def break_glass_grant(
    customer_id: RecordId,
    body: BreakGlassIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> BreakGlassOut:
    """Unmask one customer for a stated reason and a limited time (audited, reported to the
    branch manager of the customer's branch)."""
    grant = break_glass.grant(session, settings, principal, customer_id, body.reason, body.minutes)
    return BreakGlassOut(
        id=grant.id,
        customer_id=grant.customer_id,
        username=principal.actor,
        reason=grant.reason,
        granted_at=grant.granted_at,
        expires_at=grant.expires_at,
        reviewed_at=grant.reviewed_at,
    )


@router.get("/break-glass", response_model=Page[BreakGlassOut])
def break_glass_report(
    session: SessionDep, principal: PrincipalDep, page: Annotated[PageParams, Depends()]
) -> Page[BreakGlassOut]:
    """Break-glass grants of the caller's branch (branch managers) or of all (auditors)."""
    rows, total = break_glass.reported(session, principal, page.offset, page.limit)
    items = [
        BreakGlassOut(
            id=g.id,
            customer_id=g.customer_id,
            username=name,
            reason=g.reason,
            granted_at=g.granted_at,
            expires_at=g.expires_at,
            reviewed_at=g.reviewed_at,
        )
        for g, name in rows
    ]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)


@router.post("/break-glass/{grant_id}/review", status_code=status.HTTP_204_NO_CONTENT)
def break_glass_review(
    grant_id: RecordId, session: SessionDep, principal: PrincipalDep
) -> Response:
    break_glass.review(session, principal, grant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
