"""The in-process snapshot of every flag: what evaluation reads, so it never waits on I/O.

`FlagSnapshot.refresh()` replaces the whole mapping at once (readers see the old or the new
one, never a mix). It runs at start-up, every FLAGS_REFRESH_SECONDS, and at once when a flag
changes (this process's admin API, or another process through Redis; see `invalidation.py`).
When the store cannot be read the last snapshot keeps serving: a database outage must not
flip features on or off.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from ..observability import get_logger
from .state import FlagState

logger = get_logger(__name__)

LoadFlags = Callable[[], Awaitable[list[FlagState]]]


class FlagSnapshot:
    """The flags by key, as last read from the store."""

    def __init__(self, load: LoadFlags) -> None:
        self._load = load
        self._flags: Mapping[str, FlagState] = MappingProxyType({})
        self.loaded_at: float | None = None  # time.monotonic() of the last good read
        self._lock = asyncio.Lock()

    def get(self, key: str) -> FlagState | None:
        return self._flags.get(key)

    @property
    def flags(self) -> Mapping[str, FlagState]:
        return self._flags

    async def refresh(self) -> bool:
        """Read every flag; on failure log it and keep the last snapshot. True when read."""
        # One read at a time: a burst of invalidations must not pile up queries.
        async with self._lock:
            try:
                flags = await self._load()
            except Exception:
                # Whatever failed (server down, table missing, a bad row), the old one serves.
                logger.exception(
                    "flag_snapshot_refresh_failed",
                    flags=len(self._flags),
                    age_seconds=self.age_seconds(),
                )
                return False
            self._flags = MappingProxyType({flag.key: flag for flag in flags})
            self.loaded_at = time.monotonic()
            return True

    def age_seconds(self) -> float | None:
        """Seconds since the last good read, or None before the first."""
        return None if self.loaded_at is None else round(time.monotonic() - self.loaded_at, 3)

    async def refresh_every(self, interval_seconds: float) -> None:
        """Refresh forever (a background task, cancelled at shutdown)."""
        while True:
            await asyncio.sleep(interval_seconds)
            await self.refresh()
