"""The outbox relay: publishes committed jobs to the broker in batches, then marks them sent.

On PostgreSQL with a real broker, a batch is locked (`FOR UPDATE SKIP LOCKED`), published and
marked in one transaction: relays running side by side (each API process after its responses,
the scheduler) take disjoint batches, and a relay that dies mid-batch leaves its rows for the
next one. A row can still be published twice (the broker took it, the commit failed); the
worker runs a job once whatever it receives (see `execution.py`).

In-process (no broker) or on SQLite the batch is read, published, then marked unless the job
rescheduled itself meanwhile: an in-process job runs inside `publish()` and writes too.
"""

from __future__ import annotations

import asyncio
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypedDict

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import DataAccess
from ..db.engines import is_sqlite
from ..observability import get_logger
from .context import utcnow
from .models import OutboxEntry

logger = get_logger(__name__)

BATCH_SIZE = 100


class JobMessage(TypedDict):
    """What travels through the broker: small, JSON, enough to run and to log the job."""

    job_id: str
    job_name: str
    queue: str
    payload: dict[str, Any]
    request_id: str | None
    # Unique per publication: tells a redelivery (same message) from a duplicate (another one).
    delivery: str


class Publisher(Protocol):
    """Hands messages to the job library (`backend.create_publisher`)."""

    # True when `publish` runs the job before it returns (no broker configured).
    inline: bool

    def publish(self, message: JobMessage) -> None: ...


@dataclass
class RelayRequest:
    """Set by `enqueue()` during a request; the relay runs after the response when set."""

    requested: bool = False


_relay_request: ContextVar[RelayRequest | None] = ContextVar("relay_request", default=None)


def request_relay() -> None:
    """Ask for the relay to run once the current request is answered (no-op outside one)."""
    pending = _relay_request.get()
    if pending is not None:
        pending.requested = True


def track_relay_requests() -> RelayRequest:
    """Start collecting `request_relay()` calls in the current context (one per request)."""
    pending = RelayRequest()
    _relay_request.set(pending)
    return pending


class OutboxRelay:
    """Publishes due outbox rows through a `Publisher`."""

    def __init__(self, data_access: DataAccess, publisher: Publisher) -> None:
        self.data_access = data_access
        self.publisher = publisher
        self._locking = not publisher.inline and not is_sqlite(data_access.settings.database_url)

    async def relay_due(self, limit: int = BATCH_SIZE) -> int:
        """Publish one batch of due rows; the number published."""
        if self._locking:
            async with self.data_access.write() as session:
                entries = await _due(session, limit, lock=True)
                for entry in entries:
                    await self._publish(entry)
                    entry.published_at = utcnow()
            return len(entries)

        async with self.data_access.read_consistent() as session:
            entries = await _due(session, limit, lock=False)
        for entry in entries:
            await self._publish(entry)
            async with self.data_access.write() as session:
                # Unless the job already rescheduled itself (an in-process retry).
                await session.execute(
                    update(OutboxEntry)
                    .where(
                        OutboxEntry.id == entry.id,
                        OutboxEntry.published_at.is_(None),
                        OutboxEntry.available_at == entry.available_at,
                    )
                    .values(published_at=utcnow())
                )
        return len(entries)

    async def relay_all(self) -> int:
        """Publish every due row, batch after batch."""
        total = 0
        while published := await self.relay_due():
            total += published
        return total

    async def drain(self, wait_seconds: float) -> int:
        """Publish every due row, and wait for rows falling due within `wait_seconds`.

        In-process, nothing else would publish a retry scheduled by a job that ran inline.
        """
        total = await self.relay_all()
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while (next_due := await self.next_due()) is not None:
            wait = (next_due - utcnow()).total_seconds()
            if asyncio.get_running_loop().time() + wait > deadline:
                break
            await asyncio.sleep(max(0.0, wait))
            total += await self.relay_all()
        return total

    async def next_due(self) -> datetime | None:
        """When the earliest unpublished row falls due, or None."""
        async with self.data_access.read_consistent() as session:
            return await session.scalar(
                select(func.min(OutboxEntry.available_at)).where(OutboxEntry.published_at.is_(None))
            )

    async def _publish(self, entry: OutboxEntry) -> None:
        message = message_of(entry)
        # The job libraries' publish calls block (and in-process, run the job): off the loop.
        await asyncio.to_thread(self.publisher.publish, message)
        logger.info(
            "job_published",
            request_id=entry.request_id,
            job_id=message["job_id"],
            job_name=entry.job_name,
            queue=entry.queue,
            delivery=message["delivery"],
        )


def message_of(entry: OutboxEntry) -> JobMessage:
    """The message for one publication of an outbox row."""
    return JobMessage(
        job_id=str(entry.id),
        job_name=entry.job_name,
        queue=entry.queue,
        payload=entry.payload,
        request_id=entry.request_id,
        delivery=uuid.uuid4().hex,
    )


async def _due(session: AsyncSession, limit: int, *, lock: bool) -> list[OutboxEntry]:
    query = (
        select(OutboxEntry)
        .where(OutboxEntry.published_at.is_(None), OutboxEntry.available_at <= utcnow())
        .order_by(OutboxEntry.available_at)
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list((await session.scalars(query)).all())
