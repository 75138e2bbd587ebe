"""Read-your-writes: what one request knows (client, token) and what its accesses did.

A request that commits a write answers with `X-Consistency-Token`, the primary's WAL position
after the commit. A later eventual read that sends the token back is served by the replica only
once the replica has replayed past it. `http.ConsistencyMiddleware` creates one
`RequestConsistency` per request; `DataAccess` finds it through `current_request()`, consults
it and records the commit position and the routes taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum

from .wal import WalPosition

CONSISTENCY_TOKEN_HEADER = "X-Consistency-Token"


class DbRoute(StrEnum):
    """Where one database access went, and why; logged as `db_route`."""

    PRIMARY = "primary"  # a write or a consistent read
    REPLICA = "replica"  # an eventual read the replica may serve
    SINGLE_DATABASE = "primary:single-database"  # no separate replica is configured
    RECENT_WRITE = "primary:recent-write"  # no token, but this client wrote a moment ago
    REPLICA_BEHIND_TOKEN = "primary:replica-behind-token"  # the replica has not replayed it yet
    REPLICA_OUT = "primary:replica-out"  # unreachable or lagging: out of rotation


@dataclass
class RequestConsistency:
    """What one request brings (client, token) and what its database accesses did."""

    client: str
    token: WalPosition | None = None
    committed: WalPosition | None = None
    routes: list[DbRoute] = field(default_factory=list)

    def record_route(self, route: DbRoute) -> None:
        if route not in self.routes:
            self.routes.append(route)

    def record_commit(self, position: WalPosition) -> None:
        if self.committed is None or position > self.committed:
            self.committed = position


_current: ContextVar[RequestConsistency | None] = ContextVar("request_consistency", default=None)


def current_request() -> RequestConsistency | None:
    """The consistency record of the request being served, or None outside a request."""
    return _current.get()


@contextmanager
def bind_request(request: RequestConsistency) -> Iterator[RequestConsistency]:
    """Make `request` the current one for the code inside the block (and tasks it starts)."""
    reset = _current.set(request)
    try:
        yield request
    finally:
        _current.reset(reset)
