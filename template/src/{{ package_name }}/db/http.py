"""The HTTP side of decision 1: consistency tokens in and out, `db_route` in the access log,
and an unreachable database answered as 503 problem+json.

Kept apart from `access.py` so that the data layer never imports the API layer.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..api.problems import problem_response
from ..identity import client_identity
from .consistency import CONSISTENCY_TOKEN_HEADER, RequestConsistency, bind_request
from .errors import DatabaseUnavailable
from .wal import WalPosition


def install_database_http(app: FastAPI) -> None:
    """Add the consistency middleware and the 503 handler to the application."""
    app.add_exception_handler(DatabaseUnavailable, _on_database_unavailable)
    app.add_middleware(ConsistencyMiddleware)


async def _on_database_unavailable(request: Request, error: Exception) -> Response:
    assert isinstance(error, DatabaseUnavailable)
    return problem_response(
        503,
        str(error),
        instance=request.url.path,
        headers={"Retry-After": str(error.retry_after_seconds)},
    )


class ConsistencyMiddleware:
    """Reads `X-Consistency-Token`, returns the new one, and logs `db_route`.

    A pure ASGI middleware placed just inside the request context middleware: binding
    `db_route` here, in the task that writes the access line, works whatever the endpoint is
    (async, sync in a thread pool, streaming).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = RequestConsistency(client=client_identity(scope))
        raw_token = Headers(scope=scope).get(CONSISTENCY_TOKEN_HEADER)
        if raw_token:
            try:
                request.token = WalPosition.parse(raw_token)
            except ValueError:
                response = problem_response(
                    400,
                    f"{CONSISTENCY_TOKEN_HEADER} must be a token this service returned",
                    instance=scope["path"],
                )
                await response(scope, receive, send)
                return

        async def send_with_token(message: Message) -> None:
            if message["type"] == "http.response.start" and request.committed is not None:
                MutableHeaders(scope=message)[CONSISTENCY_TOKEN_HEADER] = str(request.committed)
            await send(message)

        try:
            with bind_request(request):
                await self.app(scope, receive, send_with_token)
        finally:
            if request.routes:
                structlog.contextvars.bind_contextvars(
                    db_route=",".join(route.value for route in request.routes)
                )
