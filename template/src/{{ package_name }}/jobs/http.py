"""Publishing after the response: the HTTP side of the outbox.

A request that enqueued jobs has its outbox rows relayed once it is answered, so the client
waits for neither the broker nor, in-process, the job itself. Rows that this misses (the
process died first) are published by the scheduler's relay.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from ..db import DataAccess
from ..observability import get_logger
from .backend import create_publisher
from .relay import OutboxRelay, track_relay_requests

logger = get_logger(__name__)

# In-process, a job's retries are relayed by the request that ran it, if due this soon.
INLINE_RETRY_HORIZON_SECONDS = 60.0


class RelayAfterResponse:
    """ASGI middleware: runs the outbox relay after a response when the request enqueued."""

    def __init__(self, app: ASGIApp, relay: OutboxRelay) -> None:
        self.app = app
        self.relay = relay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending = track_relay_requests()
        await self.app(scope, receive, send)
        if not pending.requested:
            return
        try:
            if self.relay.publisher.inline:
                await self.relay.drain(INLINE_RETRY_HORIZON_SECONDS)
            else:
                await self.relay.relay_all()
        except Exception:
            # The rows stay in the outbox; the scheduler's relay publishes them.
            logger.exception("outbox_relay_failed")


def install_jobs(app: FastAPI, data_access: DataAccess) -> None:
    """Relay enqueued jobs after each response, outside the access line's timing.

    Installed last (outermost): the relay's own lines name the request they publish for.
    """
    relay = OutboxRelay(data_access, create_publisher(data_access.settings))
    app.state.job_relay = relay
    app.add_middleware(RelayAfterResponse, relay=relay)
