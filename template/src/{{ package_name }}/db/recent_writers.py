"""Clients that wrote a moment ago: their token-less eventual reads go to the primary.

The map lives in one process. A client whose next request lands on another process (another
worker, another pod) is covered by the consistency token instead, which carries the position
itself; this map only rescues clients that drop the token.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class RecentWriters:
    """Client identities with the time their read-your-writes window closes."""

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_seconds = window_seconds
        self._clock = clock
        # Insertion order is expiry order (one window for everyone), so expired entries are
        # always at the front and pruning never scans live ones.
        self._expiries: OrderedDict[str, float] = OrderedDict()

    def record(self, client: str) -> None:
        """`client` has just committed a write."""
        now = self._clock()
        self._prune(now)
        self._expiries.pop(client, None)
        self._expiries[client] = now + self.window_seconds

    def wrote_recently(self, client: str) -> bool:
        """True while `client`'s last write is younger than the window."""
        expiry = self._expiries.get(client)
        return expiry is not None and self._clock() < expiry

    def __len__(self) -> int:
        return len(self._expiries)

    def _prune(self, now: float) -> None:
        while self._expiries:
            client, expiry = next(iter(self._expiries.items()))
            if expiry > now:
                break
            del self._expiries[client]
