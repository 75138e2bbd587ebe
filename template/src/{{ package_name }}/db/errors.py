"""The database errors a client sees: an unreachable database is a 503, not a crash."""

from __future__ import annotations

from typing import Literal

# Long enough for a pool to reconnect or a failover to finish, short enough to keep clients busy.
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(Exception):  # noqa: N818 - raised as "the database is unavailable"
    """The primary (or, mid-read, the replica) cannot be reached: answered 503 problem+json."""

    def __init__(self, role: Literal["primary", "replica"]) -> None:
        super().__init__(f"The {role} database cannot be reached; try again shortly.")
        self.role = role
        self.retry_after_seconds = RETRY_AFTER_SECONDS
