"""Who may administer flags: the holder of ADMIN_TOKEN, by bearer header or page session.

- The admin API takes `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
- The admin page has a login form: the operator pastes the token once, and the service sets
  an HttpOnly, SameSite=Strict cookie holding a signed session (not the token), valid for
  SESSION_HOURS or until ADMIN_TOKEN changes. The page's script calls the admin API with that
  cookie plus an `X-Requested-With: admin-page` header, which another site cannot send
  without a CORS preflight that this service never grants.

Without ADMIN_TOKEN every admin request is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from ..api.problems import Problem
from ..settings import Settings

SESSION_COOKIE = "flags_admin_session"
SESSION_HOURS = 12
PAGE_HEADER = ("x-requested-with", "admin-page")
MAX_NAME_LENGTH = 60


def admin_token(settings: Settings) -> str | None:
    return settings.admin_token.get_secret_value() if settings.admin_token else None


def token_matches(settings: Settings, candidate: str) -> bool:
    """Constant-time comparison: the answer time says nothing about how much matched."""
    expected = admin_token(settings)
    if not expected or not candidate:
        return False
    return hmac.compare_digest(candidate.encode("utf-8"), expected.encode("utf-8"))


def _signature(settings: Settings, payload: str) -> str:
    key = (admin_token(settings) or "").encode("utf-8")
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def session_value(settings: Settings, operator: str, now: float | None = None) -> str:
    """`<issued>.<operator, base64>.<HMAC keyed by ADMIN_TOKEN>`: rotating the token ends it."""
    issued = int(time.time() if now is None else now)
    name = base64.urlsafe_b64encode(operator[:MAX_NAME_LENGTH].encode("utf-8")).decode("ascii")
    payload = f"{issued}.{name}"
    return f"{payload}.{_signature(settings, payload)}"


def session_operator(settings: Settings, value: str | None, now: float | None = None) -> str | None:
    """The operator named by a valid, unexpired session cookie, else None."""
    if not value or admin_token(settings) is None:
        return None
    payload, _, signature = value.rpartition(".")
    issued, _, name = payload.partition(".")
    if not hmac.compare_digest(signature.encode(), _signature(settings, payload).encode()):
        return None
    try:
        age = (time.time() if now is None else now) - int(issued)
        operator = base64.urlsafe_b64decode(name.encode("ascii")).decode("utf-8")
    except (ValueError, binascii.Error):
        return None
    return operator if 0 <= age <= SESSION_HOURS * 3600 else None


def set_session(response: Response, request: Request, settings: Settings, operator: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_value(settings, operator),
        max_age=SESSION_HOURS * 3600,
        path="/admin",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/admin", httponly=True, samesite="strict")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def page_operator(request: Request) -> str | None:
    """The audit name of the page's operator, or None when the session is missing or invalid."""
    settings: Settings = request.app.state.settings
    operator = session_operator(settings, request.cookies.get(SESSION_COOKIE))
    return None if operator is None else f"page:{operator or 'operator'}@{_address(request)}"


def require_admin(request: Request) -> str:
    """The actor to audit for an admin API call; 401 problem+json without valid credentials."""
    settings: Settings = request.app.state.settings
    if admin_token(settings) is None:
        raise Problem(401, "the admin API is closed: ADMIN_TOKEN is not set")
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        if token_matches(settings, credentials.strip()):
            actor = request.headers.get("x-admin-actor", "").strip()[:MAX_NAME_LENGTH]
            return f"api:{actor or 'token'}@{_address(request)}"
    elif request.headers.get(PAGE_HEADER[0]) == PAGE_HEADER[1]:
        operator = page_operator(request)
        if operator is not None:
            return operator
    raise Problem(
        401,
        "a valid admin token is required: Authorization: Bearer <ADMIN_TOKEN>",
        headers={"WWW-Authenticate": 'Bearer realm="admin"'},
    )


AdminActor = Annotated[str, Depends(require_admin)]
