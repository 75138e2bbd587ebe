"""`DataAccess`: the one door to the database, with a write path and two read paths."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import Literal, cast

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ..observability import get_logger
from ..observability.health import DependencyCheck
from ..settings import Settings
from .consistency import DbRoute, RequestConsistency, current_request
from .engines import create_engine, is_sqlite
from .errors import DatabaseUnavailable
from .recent_writers import RecentWriters
from .replica_health import ReplicaHealth
from .routed_session import FirstStatementRoutedSession
from .wal import WalPosition

logger = get_logger(__name__)

# Read on the primary right after a commit: a position at or past the commit record.
_CURRENT_WAL_POSITION = text("SELECT pg_current_wal_lsn()::text")
# Read on the replica: how far it has replayed, and how stale that is. When it has replayed all
# it received the lag is 0 (an idle primary sends nothing, which is not lag). On a server that
# is not in recovery both answers are trivial: it is its own primary.
_REPLICA_STATUS = text(
    """
    SELECT pg_last_wal_replay_lsn()::text,
           CASE
               WHEN NOT pg_is_in_recovery() THEN 0
               WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
               ELSE COALESCE(
                   EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0
               )
           END::float8
    """
)
# What a lost server looks like: a connection refused or reset, a pool that cannot hand one out.
_UNREACHABLE = (SQLAlchemyError, OSError)


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
        self.replica_health = ReplicaHealth(
            max_lag_seconds=settings.database_replica_max_lag_seconds,
            cooldown_seconds=settings.database_replica_cooldown_seconds,
        )
        self.recent_writers = RecentWriters(settings.read_your_writes_seconds)
        self._primary_sessions = async_sessionmaker(self.primary, expire_on_commit=False)
        # Eventual reads pick the replica or the primary at their first statement. The session
        # takes full control of the transaction a replica status query may have begun.
        self._eventual_sessions = async_sessionmaker(
            sync_session_class=FirstStatementRoutedSession,
            expire_on_commit=False,
            join_transaction_mode="control_fully",
        )

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction on the primary: committed when the block ends, rolled back on error.

        In a request, the commit also issues the client's consistency token and marks the
        client as a recent writer.
        """
        request = current_request()
        if request is not None:
            request.record_route(DbRoute.PRIMARY)
        async with self._primary_sessions() as session:
            async with session.begin():
                await _connect(session, "primary")
                with _primary_loss_is_unavailable():
                    yield session
            if request is not None and self.has_replica:
                await self._after_commit(session, request)

    @asynccontextmanager
    async def read_consistent(self) -> AsyncIterator[AsyncSession]:
        """A read on the primary: sees every committed write."""
        request = current_request()
        if request is not None:
            request.record_route(DbRoute.PRIMARY)
        async with self._primary_read() as session:
            yield session

    @asynccontextmanager
    async def read_eventual(self) -> AsyncIterator[AsyncSession]:
        """A read that the replica serves when it can; see `_eventual_connection` for when not."""
        request = current_request()
        route = self._primary_route_known_ahead(request)
        if route is not None:
            if request is not None:
                request.record_route(route)
            async with self._primary_read() as primary_session:
                yield primary_session
            return
        session = self._eventual_sessions(connect=partial(self._eventual_connection, request))
        async with session:
            try:
                yield session
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
                chosen = cast(FirstStatementRoutedSession, session.sync_session).chosen
                if chosen is not None and chosen.engine is self.primary.sync_engine:
                    raise DatabaseUnavailable("primary") from error
                self.replica_health.take_out(f"connection lost: {error.orig!r}")
                raise DatabaseUnavailable("replica") from error

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

    def _primary_route_known_ahead(self, request: RequestConsistency | None) -> DbRoute | None:
        """The primary route of an eventual read when no replica query is needed to decide it.

        No separate replica; the replica out of rotation; a token-less client that wrote within
        READ_YOUR_WRITES_SECONDS. None: ask the replica (`_eventual_connection`).
        """
        if not self.has_replica:
            return DbRoute.SINGLE_DATABASE
        if not self.replica_health.usable():
            return DbRoute.REPLICA_OUT
        if (
            request is not None
            and request.token is None
            and self.recent_writers.wrote_recently(request.client)
        ):
            return DbRoute.RECENT_WRITE
        return None

    def _eventual_connection(self, request: RequestConsistency | None) -> Connection:
        """The connection for an eventual read, checked out at its first statement.

        Runs inside SQLAlchemy's greenlet, hence the synchronous API. Lag and replay position
        are read on the connection the read then uses, so a replica found past the token serves
        a snapshot that contains the client's write.
        """
        connection, route = self._replica_connection(request.token if request else None)
        if request is not None:
            request.record_route(route)
        if connection is not None:
            return connection
        try:
            return self.primary.sync_engine.connect()
        except _UNREACHABLE as error:
            raise _unavailable("primary", error) from error

    def _replica_connection(self, token: WalPosition | None) -> tuple[Connection | None, DbRoute]:
        """A replica connection that may serve the read, or None and the reason it may not."""
        try:
            connection = self.replica.sync_engine.connect()
        except _UNREACHABLE as error:
            self.replica_health.take_out(f"unreachable: {type(error).__name__}: {error}")
            return None, DbRoute.REPLICA_OUT
        try:
            if self.replica_health.status_due() or (
                token is not None and not self.replica_health.has_replayed(token)
            ):
                replayed, lag_seconds = connection.execute(_REPLICA_STATUS).one()
                self.replica_health.observe(
                    WalPosition.parse(replayed) if replayed else None, float(lag_seconds)
                )
        except _UNREACHABLE as error:
            connection.close()
            self.replica_health.take_out(f"unreachable: {type(error).__name__}: {error}")
            return None, DbRoute.REPLICA_OUT
        if not self.replica_health.in_service:
            connection.close()
            return None, DbRoute.REPLICA_OUT
        replayed = self.replica_health.replayed
        # No replay position: the "replica" is not in recovery, so it has every commit.
        if token is not None and replayed is not None and replayed < token:
            connection.close()
            return None, DbRoute.REPLICA_BEHIND_TOKEN
        return connection, DbRoute.REPLICA

    @asynccontextmanager
    async def _primary_read(self) -> AsyncIterator[AsyncSession]:
        async with self._primary_sessions() as session:
            await _connect(session, "primary")
            with _primary_loss_is_unavailable():
                yield session

    async def _after_commit(self, session: AsyncSession, request: RequestConsistency) -> None:
        """Issue the consistency token and remember the writer (PostgreSQL with a replica)."""
        self.recent_writers.record(request.client)
        try:
            position = await session.scalar(_CURRENT_WAL_POSITION)
        except _UNREACHABLE:
            # The write is committed; without a token the recent-writer window still applies.
            logger.warning("consistency_token_unavailable", exc_info=True)
            return
        if position is not None:
            request.record_commit(WalPosition.parse(position))

    async def _ping_primary(self) -> str | None:
        async with self.primary.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return None

    async def _ping_replica(self) -> str | None:
        async with self.replica.connect() as connection:
            _, lag_seconds = (await connection.execute(_REPLICA_STATUS)).one()
        if float(lag_seconds) > self.replica_health.max_lag_seconds:
            return f"lagging {float(lag_seconds):.1f} s; eventual reads use the primary"
        return self.replica_health.describe()


@contextmanager
def _primary_loss_is_unavailable() -> Iterator[None]:
    """A primary connection lost mid-request answers 503 problem+json, not a 500."""
    try:
        yield
    except DBAPIError as error:
        if error.connection_invalidated:
            raise DatabaseUnavailable("primary") from error
        raise


async def _connect(session: AsyncSession, role: Literal["primary", "replica"]) -> None:
    """Check out the connection now, so an unreachable server is a 503 before any work."""
    try:
        await session.connection()
    except _UNREACHABLE as error:
        raise _unavailable(role, error) from error


def _unavailable(role: Literal["primary", "replica"], error: Exception) -> DatabaseUnavailable:
    """Log a server that cannot be reached; the error to raise in its place (a 503)."""
    logger.warning("database_unreachable", role=role, error=f"{type(error).__name__}: {error}")
    return DatabaseUnavailable(role)
