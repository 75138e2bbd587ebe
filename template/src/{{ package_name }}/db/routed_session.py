"""A session that picks its connection at its first statement, through `Session.get_bind`.

An eventual read must know, before its query runs, whether the replica can serve it (reachable,
in rotation, past the client's consistency token), and go to the primary when not, without an
error. Checking out a connection ahead of the query would cost every read an extra trip through
SQLAlchemy's greenlet bridge. `get_bind`, SQLAlchemy's hook for routing a session, runs inside
the greenlet of the first statement, so the choice costs nothing beyond the work it does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session


class FirstStatementRoutedSession(Session):
    """A session whose connection `connect()` picks and checks out at the first statement.

    The session does not own a connection handed to it through `get_bind`, so `close()` returns
    it to its pool once the session's own transaction has ended.
    """

    def __init__(self, *args: Any, connect: Callable[[], Connection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connect = connect
        self.chosen: Connection | None = None

    def get_bind(self, mapper: Any = None, **kwargs: Any) -> Connection:
        if self.chosen is None:
            self.chosen = self._connect()
        return self.chosen

    def close(self) -> None:
        try:
            super().close()
        finally:
            chosen, self.chosen = self.chosen, None
            if chosen is not None:
                chosen.close()
