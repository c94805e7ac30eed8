"""Request-scoped dependencies: the settings, one database session (one commit per
request, before the response is sent) and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from bankcrm.config import Settings
from bankcrm.kit.errors import Forbidden, Unauthenticated
from bankcrm.security import service
from bankcrm.security.models import AccessToken
from bankcrm.security.principal import Principal
from bankcrm.security.secrets import same, token_hash

SESSION_COOKIE = "bankcrm_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session whose work commits once, after the route returns and before the response
    leaves; an error rolls everything back (the audit events of the request included)."""
    with request.app.state.sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException as exc:
            if getattr(exc, "keeps_work", False):
                session.commit()
            else:
                session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_principal(request: Request, session: SessionDep) -> Principal:
    """The caller: a bearer or service token, or a browser session cookie. A cookie alone
    never authorises a change: unsafe methods also need the session's CSRF token."""
    ip, request_id = client_ip(request), getattr(request.state, "request_id", None)
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        principal, _ = service.authenticate(
            session, credentials.strip(), ("bearer", "service"), ip, request_id
        )
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal, record = service.authenticate(session, cookie, ("session",), ip, request_id)
        if request.method not in SAFE_METHODS:
            check_csrf(record, request.headers.get(CSRF_HEADER, ""), CSRF_HEADER)
        return principal
    raise Unauthenticated("log in: send Authorization: Bearer <token>")


def check_csrf(record: AccessToken, sent: str, where: str) -> None:
    """`sent` (from a header or a form field, named by `where`) must be the CSRF token
    issued with this browser session: another site can make the browser send the cookie,
    never read the token."""
    if not sent or record.csrf_hash is None or not same(token_hash(sent), record.csrf_hash):
        raise Forbidden(f"missing or wrong {where} for this session")


def browser_session(request: Request, session: Session) -> tuple[Principal, AccessToken] | None:
    """The user and record of the browser's session cookie; None without one, or when it
    expired or was revoked (pages then send the browser to the login form, not a 401)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        return service.authenticate(
            session,
            cookie,
            ("session",),
            client_ip(request),
            getattr(request.state, "request_id", None),
        )
    except Unauthenticated:
        return None


PrincipalDep = Annotated[Principal, Depends(get_principal)]


# Record ids in paths: positive and within the database's integer range.
RecordId = Annotated[int, Path(ge=1, le=2_147_483_647)]
