"""The request context: a request ID, one access line, and a safety net for crashes.

A pure ASGI middleware rather than `BaseHTTPMiddleware`: it adds no task hop, streams
responses untouched, and sits outside every handler so that even a crash gets a request ID,
a logged traceback and a problem+json 500 instead of a bare text error.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..api.problems import problem_response
from .logs import get_logger

REQUEST_ID_HEADER = "X-Request-ID"
# Kept when well-formed; anything else (too long, odd characters) is replaced, so a client
# cannot inject text into our logs through the header.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

access_logger = get_logger("access")
error_logger = get_logger(__name__)


def new_request_id() -> str:
    """A fresh request ID: 32 hex digits."""
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str | None:
    """The incoming request ID when it is well-formed, else None."""
    if value is not None and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return None


class RequestContextMiddleware:
    """Binds `request_id` for the whole request and writes one access line when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = accepted_request_id(incoming) or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

        status = 500
        response_started = False
        started_at = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            error_logger.exception("unhandled_exception", path=scope["path"])
            status = 500
            if not response_started:
                response = problem_response(
                    500, "An unexpected error occurred", instance=scope["path"]
                )
                await response(scope, receive, send_with_request_id)
        finally:
            route = scope.get("route")
            access_logger.info(
                "request",
                method=scope["method"],
                route=getattr(route, "path", None),
                status=status,
                latency_ms=round((time.perf_counter() - started_at) * 1000, 3),
            )
            structlog.contextvars.clear_contextvars()
