"""What a running job knows about itself, and how it reports progress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update

from ..db import DataAccess
from ..observability import get_logger
from .models import JobState

logger = get_logger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class JobContext:
    """Passed to every job: its identity, its attempt, the database, progress reporting."""

    job_id: uuid.UUID
    job_name: str
    queue: str
    attempt: int
    max_attempts: int
    request_id: str | None
    data_access: DataAccess

    async def progress(self, percent: int) -> None:
        """Record progress (0 to 100) where the status endpoint reads it, in its own commit."""
        percent = max(0, min(100, percent))
        async with self.data_access.write() as session:
            await session.execute(
                update(JobState)
                .where(JobState.id == self.job_id)
                .values(progress=percent, updated_at=utcnow())
            )
        logger.info("job_progress", progress=percent)
