"""The dead letter: jobs that failed their last attempt, kept until an operator acts.

`bury` moves a job there (its last attempt failed, or was lost). `requeue` gives a job a fresh
set of attempts under the same job ID (the status endpoint follows it), through the outbox like
any enqueue; `purge` forgets jobs for good.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import DataAccess
from ..observability import get_logger
from .context import utcnow
from .models import DeadLetter, JobState, OutboxEntry
from .relay import JobMessage

logger = get_logger(__name__)


async def bury(session: AsyncSession, state: JobState, message: JobMessage, error: str) -> None:
    """Mark the job failed and keep what it takes to requeue it (in the caller's transaction)."""
    now = utcnow()
    state.status, state.error = "failed", error
    state.updated_at = state.finished_at = now
    await session.merge(
        DeadLetter(
            job_id=state.id,
            job_name=state.job_name,
            queue=message["queue"],
            payload=message["payload"],
            error=error,
            attempts=state.attempts,
            request_id=message["request_id"],
            failed_at=now,
        )
    )
    logger.error("job_dead_lettered", attempts=state.attempts, error=error)


async def list_dead_letters(data_access: DataAccess, limit: int = 100) -> list[DeadLetter]:
    """The most recent dead letters first."""
    async with data_access.read_consistent() as session:
        query = select(DeadLetter).order_by(DeadLetter.failed_at.desc()).limit(limit)
        return list((await session.scalars(query)).all())


async def find_dead_letter(data_access: DataAccess, job_id: uuid.UUID) -> DeadLetter | None:
    async with data_access.read_consistent() as session:
        return await session.get(DeadLetter, job_id)


async def requeue(data_access: DataAccess, job_id: uuid.UUID) -> bool:
    """Queue a dead job again with all its attempts; False when it is not in the dead letter."""
    async with data_access.write() as session:
        letter = await session.get(DeadLetter, job_id, with_for_update=True)
        if letter is None:
            return False
        now = utcnow()
        state = await session.get(JobState, job_id, with_for_update=True)
        if state is not None:
            state.status, state.progress, state.attempts = "queued", 0, 0
            state.delivery, state.finished_at, state.updated_at = None, None, now
        entry = await session.get(OutboxEntry, job_id, with_for_update=True)
        if entry is None:
            session.add(
                OutboxEntry(
                    id=job_id,
                    job_name=letter.job_name,
                    queue=letter.queue,
                    payload=letter.payload,
                    request_id=letter.request_id,
                    created_at=now,
                    available_at=now,
                )
            )
        else:
            entry.published_at, entry.available_at = None, now
        await session.delete(letter)
    return True


async def purge(data_access: DataAccess, older_than: datetime | None = None) -> int:
    """Delete dead letters (all, or those that failed before `older_than`); how many."""
    async with data_access.write() as session:
        query = delete(DeadLetter)
        if older_than is not None:
            query = query.where(DeadLetter.failed_at < older_than)
        result = await session.execute(query.returning(DeadLetter.job_id))
        return len(result.all())
