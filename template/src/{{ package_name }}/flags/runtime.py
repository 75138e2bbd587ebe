"""`FlagRuntime`: the flag machinery of one process, started and stopped with the app.

It loads the snapshot, registers the OpenFeature provider, refreshes on an interval and, with
REDIS_URL, listens for changes made by other processes. To move to a hosted provider, register
that provider here instead of `SnapshotProvider`; call sites do not change.
"""

from __future__ import annotations

import asyncio
import contextlib

from openfeature import api
from openfeature.provider.no_op_provider import NoOpProvider
from redis.asyncio import Redis

from ..db import DataAccess
from ..observability import get_logger
from ..settings import Settings
from .client import feature_flags
from .invalidation import listen_for_changes, publish_change
from .provider import SnapshotProvider
from .registry import DECLARED_FLAGS
from .snapshot import FlagSnapshot
from .store import FlagStore

logger = get_logger(__name__)

STOP_TIMEOUT_SECONDS = 2.0


class FlagRuntime:
    """Snapshot, provider, refresh loop and change listener of one running service."""

    def __init__(self, settings: Settings, data_access: DataAccess) -> None:
        self.settings = settings
        self.redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        self.store = FlagStore(data_access, on_change=self.flag_changed)
        self.snapshot = FlagSnapshot(self.store.all)
        self.provider = SnapshotProvider(self.snapshot)
        self._refresh: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Load the flags, register the provider, start the refresh loop and the listener."""
        if await self.snapshot.refresh():
            missing = sorted(set(DECLARED_FLAGS) - set(self.snapshot.flags))
            if missing:
                logger.warning("flags_not_created", flags=missing, answer="the caller's default")
        # Our provider has no start-up work of its own: it is ready once registered.
        api.set_provider_and_wait(self.provider)
        self._stopping.clear()
        interval = self.settings.flags_refresh_seconds
        self._refresh = asyncio.create_task(self.snapshot.refresh_every(interval))
        if self.redis is not None:
            self._listener = asyncio.create_task(
                listen_for_changes(self.redis, self._heard, self._stopping)
            )

    async def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            # It ends within a poll; a listener stuck on an unreachable Redis is cancelled.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listener, STOP_TIMEOUT_SECONDS)
            self._listener = None
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh
            self._refresh = None
        if self.redis is not None:
            await self.redis.aclose()
        # Another app in this process (tests) may have registered its own provider since.
        if feature_flags().provider is self.provider:
            api.set_provider(NoOpProvider())

    async def flag_changed(self, key: str) -> None:
        """A flag changed here: serve the change at once and tell the other processes."""
        await self.snapshot.refresh()
        if self.redis is not None:
            await publish_change(self.redis, key)

    async def _heard(self, key: str) -> None:
        await self.snapshot.refresh()
