"""Job history: the rows of a finished job are deleted once JOB_RETENTION_DAYS have passed.

Every job leaves an outbox row and a state row behind; without a purge both tables grow with
every job the service ever ran. A finished job (completed, or failed) keeps both for the
retention period, so clients can still poll its status and operators can look it up. Then the
scheduler deletes them, daily, a batch per transaction. A job in the dead letter is kept
whatever its age, since an operator may still requeue it: `jobs dead-letter purge` is the
operator's decision. A message that arrives for a purged job is dropped as unknown.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select

from ..db import DataAccess
from .context import utcnow
from .models import DeadLetter, JobState, OutboxEntry

DEFAULT_BATCH_SIZE = 1000


def retention_cutoff(retention_days: float) -> datetime:
    """Jobs that finished before this moment are past their retention."""
    return utcnow() - timedelta(days=retention_days)


async def purge_finished(
    data_access: DataAccess, finished_before: datetime, batch_size: int = DEFAULT_BATCH_SIZE
) -> int:
    """Delete the state and outbox rows of jobs finished before `finished_before`; how many."""
    total = 0
    while True:
        expired = (
            select(JobState.id)
            .where(JobState.finished_at < finished_before)
            .where(~exists().where(DeadLetter.job_id == JobState.id))
            .order_by(JobState.finished_at)
            .limit(batch_size)
        )
        async with data_access.write() as session:
            job_ids = list((await session.scalars(expired)).all())
            if job_ids:
                await session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(job_ids)))
                await session.execute(delete(JobState).where(JobState.id.in_(job_ids)))
        total += len(job_ids)
        if len(job_ids) < batch_size:
            return total
