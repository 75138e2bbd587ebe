"""Lost jobs: a job whose message the broker lost is published again.

Delivery is at least once only while the broker keeps its messages. A Redis that restarts
without persistence, or a queue purged by hand, loses them, and the job would wait forever:
`queued` (published, never claimed) or `processing` (its worker died and nothing redelivers
it). The scheduler looks for both every minute:

- queued, and published more than JOB_LOST_AFTER_SECONDS ago: published again. If the first
  message was only waiting in a long backlog, whichever arrives first runs the job and the
  other is dropped as a duplicate (see `execution.py`).
- processing, with no sign of life (claim, progress) for JOB_TIMEOUT_SECONDS plus
  JOB_LOST_AFTER_SECONDS: the library's time limit has ended that attempt by then, and the
  broker's own redelivery would have come. The attempt counts as failed, as when a worker
  dies: the job is retried at once through the outbox, or dead-lettered after its last
  attempt. A late redelivery of the lost message is then dropped as a duplicate.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import DataAccess
from ..observability import get_logger
from .context import utcnow
from .dead_letter import bury
from .models import JobState, OutboxEntry
from .relay import message_of

logger = get_logger(__name__)

BATCH_SIZE = 100


async def recover_lost_jobs(
    data_access: DataAccess, now: datetime, *, timeout_seconds: float, lost_after_seconds: float
) -> int:
    """Publish again, retry or dead-letter the jobs found lost at `now`; how many.

    The scheduler's relay then publishes them (the `jobs recover-lost` command relays too).
    """
    unclaimed_since = now - timedelta(seconds=lost_after_seconds)
    silent_since = now - timedelta(seconds=timeout_seconds + lost_after_seconds)
    async with data_access.write() as session:
        unclaimed = await _lost_batch(
            session, JobState.status == "queued", OutboxEntry.published_at < unclaimed_since
        )
        for state, entry in unclaimed:
            logger.warning(
                "job_lost_republished",
                job_id=str(state.id),
                job_name=state.job_name,
                published_at=entry.published_at.isoformat() if entry.published_at else None,
            )
            entry.published_at, entry.available_at = None, now
        silent = await _lost_batch(
            session, JobState.status == "processing", JobState.updated_at < silent_since
        )
        for state, entry in silent:
            error = f"attempt {state.attempts} lost: no worker finished it"
            logger.warning(
                "job_attempt_lost",
                job_id=str(state.id),
                job_name=state.job_name,
                attempt=state.attempts,
                last_sign_of_life=state.updated_at.isoformat(),
            )
            if state.attempts >= state.max_attempts:
                await bury(session, state, message_of(entry), error)
            else:
                # Like a failed attempt: queued again, and the next message may claim it.
                state.status, state.error, state.delivery = "queued", error, None
                state.updated_at = now
                entry.published_at, entry.available_at = None, now
    return len(unclaimed) + len(silent)


async def recover_lost_jobs_now(data_access: DataAccess) -> int:
    """`recover_lost_jobs` now, with the bounds of the service's settings."""
    settings = data_access.settings
    return await recover_lost_jobs(
        data_access,
        utcnow(),
        timeout_seconds=settings.job_timeout_seconds,
        lost_after_seconds=settings.job_lost_after_seconds,
    )


async def _lost_batch(
    session: AsyncSession, *conditions: ColumnElement[bool]
) -> list[tuple[JobState, OutboxEntry]]:
    """A batch of job states that meet `conditions`, with their outbox rows.

    Locked, and locked rows skipped: a worker claiming one of them right now wins.
    """
    rows = await session.execute(
        select(JobState, OutboxEntry)
        .join(OutboxEntry, OutboxEntry.id == JobState.id)
        .where(*conditions)
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
    )
    return [(state, entry) for state, entry in rows]
