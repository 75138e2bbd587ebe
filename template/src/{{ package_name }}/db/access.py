"""`DataAccess`: the one door to the database, with a write path and two read paths."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ..observability.health import DependencyCheck
from ..settings import Settings
from .engines import create_engine, is_sqlite


class DataAccess:
    """Sessions on the primary (writes, consistent reads) and the replica (eventual reads).

    With SQLite, or without `DATABASE_REPLICA_URL`, both paths use one engine: the code that
    calls `read_eventual()` stays correct when a real replica is configured later.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.primary: AsyncEngine = create_engine(settings.database_url, settings)
        self.has_replica = settings.replica_url != settings.database_url and not is_sqlite(
            settings.database_url
        )
        self.replica: AsyncEngine = (
            create_engine(settings.replica_url, settings) if self.has_replica else self.primary
        )
        self._primary_sessions = async_sessionmaker(self.primary, expire_on_commit=False)
        self._replica_sessions = async_sessionmaker(self.replica, expire_on_commit=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction on the primary: committed when the block ends, rolled back on error."""
        async with self._primary_sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read_consistent(self) -> AsyncIterator[AsyncSession]:
        """A read on the primary: sees every committed write."""
        async with self._primary_sessions() as session:
            yield session

    @asynccontextmanager
    async def read_eventual(self) -> AsyncIterator[AsyncSession]:
        """A read on the replica: may lag the primary by the replication delay."""
        async with self._replica_sessions() as session:
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection (at shutdown)."""
        await self.primary.dispose()
        if self.has_replica:
            await self.replica.dispose()

    def readiness_checks(self) -> list[DependencyCheck]:
        """The primary is critical; a failing replica only degrades reads to the primary."""
        checks = [DependencyCheck("database:primary", "datastore", self._ping_primary)]
        if self.has_replica:
            checks.append(
                DependencyCheck("database:replica", "datastore", self._ping_replica, critical=False)
            )
        return checks

    async def _ping_primary(self) -> str | None:
        async with self.primary.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return None

    async def _ping_replica(self) -> str | None:
        async with self.replica.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return None
