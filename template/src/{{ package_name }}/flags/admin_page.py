"""The admin page, `GET /admin/flags/ui`: server-rendered HTML and a little vanilla JS.

The page lists every flag with its state; its buttons call the admin API (toggle the kill
switch, set the rollout percentage) and ask for confirmation before a change that turns a
flag on for everyone. No build step: one Jinja template in `templates/`.

Access: without a valid session the page answers 401 with a login form; posting ADMIN_TOKEN
there (and, optionally, a name for the audit log) sets the session cookie described in
`admin_auth.py`.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ..settings import Settings
from .admin_auth import (
    MAX_NAME_LENGTH,
    admin_token,
    clear_session,
    page_operator,
    set_session,
    token_matches,
)
from .store import FlagStore

PAGE_PATH = "/admin/flags/ui"
MAX_FORM_BYTES = 4096
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(prefix=PAGE_PATH, tags=["admin"], include_in_schema=False)


def _page(request: Request, template: str, status_code: int, **context: object) -> HTMLResponse:
    """A page with a strict policy: only its own nonce-tagged script and style run."""
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(
        request, template, {"nonce": nonce, "page_path": PAGE_PATH, **context}, status_code
    )
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _login(request: Request, message: str | None = None) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    closed = admin_token(settings) is None
    return _page(request, "login.html", 401, message=message, closed=closed)


@router.get("", response_class=HTMLResponse)
async def flags_page(request: Request) -> Response:
    operator = page_operator(request)
    if operator is None:
        return _login(request)
    store: FlagStore = request.app.state.flags.store
    return _page(request, "flags.html", 200, flags=await store.all(), operator=operator)


@router.post("/login", response_class=HTMLResponse)
async def log_in(request: Request) -> Response:
    """Check the pasted token; on success set the session cookie and show the page."""
    settings: Settings = request.app.state.settings
    body = await request.body()
    form = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
    token = form.get("token", [""])[0].strip()
    if not token_matches(settings, token):
        return _login(request, "That is not the admin token.")
    operator = form.get("operator", [""])[0].strip()[:MAX_NAME_LENGTH]
    response = RedirectResponse(PAGE_PATH, status_code=303)
    set_session(response, request, settings, operator)
    return response


@router.post("/logout")
async def log_out() -> Response:
    response = RedirectResponse(PAGE_PATH, status_code=303)
    clear_session(response)
    return response
