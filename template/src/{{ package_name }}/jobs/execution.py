"""Running one delivered message: claim the job, run it once, record the outcome.

The job libraries deliver at least once: a message can arrive twice (published twice, or
redelivered after its worker died). The claim, a locked read of the job's state, decides:

- finished, or running under another message: a duplicate, dropped;
- running under this very message: its worker died mid-job (SIGKILL, OOM); the job runs again
  as a new attempt, or goes to the dead letter when no attempt is left, so a job that keeps
  killing its worker stops;
- queued: this message starts the next attempt.

A failed attempt is retried by putting the outbox row back, due after the job's backoff; the
last failed attempt moves the job to the dead letter.
"""

from __future__ import annotations

import asyncio
import os
import traceback
import uuid
from contextvars import ContextVar
from datetime import timedelta

import structlog

from ..db import DataAccess
from ..observability import get_logger
from ..settings import Settings, get_settings
from .context import JobContext, utcnow
from .dead_letter import bury
from .models import FINISHED, JobState, OutboxEntry
from .registry import RetryPolicy, find_job, load_jobs
from .relay import JobMessage

logger = get_logger(__name__)

# Set when jobs run in-process, so they use the settings of the app that enqueued them.
inline_settings: ContextVar[Settings | None] = ContextVar("inline_settings", default=None)


def run_delivery(message: JobMessage) -> None:
    """The function the job library calls with each message, in a worker or in-process."""
    settings = inline_settings.get() or get_settings()
    asyncio.run(execute(settings, message))


async def execute(settings: Settings, message: JobMessage) -> None:
    """Run the job a message delivers, with a database connection of its own."""
    data_access = DataAccess(settings)
    job_id = uuid.UUID(message["job_id"])
    with structlog.contextvars.bound_contextvars(
        request_id=message["request_id"],
        job_id=message["job_id"],
        job_name=message["job_name"],
        queue=message["queue"],
    ):
        try:
            context = await _claim(data_access, job_id, message)
            if context is not None:
                with structlog.contextvars.bound_contextvars(attempt=context.attempt):
                    await _run(context, message)
        finally:
            await data_access.dispose()


async def _claim(
    data_access: DataAccess, job_id: uuid.UUID, message: JobMessage
) -> JobContext | None:
    async with data_access.write() as session:
        state = await session.get(JobState, job_id, with_for_update=True)
        if state is None:
            logger.warning("job_unknown")
            return None
        if state.status in FINISHED:
            logger.info("job_duplicate_dropped", status=state.status)
            return None
        if state.status == "processing":
            if state.delivery != message["delivery"]:
                logger.info("job_duplicate_dropped", status=state.status)
                return None
            logger.warning("job_redelivered", attempts=state.attempts)
            if state.attempts >= state.max_attempts:
                await bury(session, state, message, f"worker lost during attempt {state.attempts}")
                return None
        state.status = "processing"
        state.attempts += 1
        state.delivery = message["delivery"]
        state.updated_at = utcnow()
        return JobContext(
            job_id=job_id,
            job_name=state.job_name,
            queue=message["queue"],
            attempt=state.attempts,
            max_attempts=state.max_attempts,
            request_id=message["request_id"],
            data_access=data_access,
        )


async def _run(context: JobContext, message: JobMessage) -> None:
    logger.info("job_started", max_attempts=context.max_attempts, pid=os.getpid())
    definition = find_job(context.job_name)
    if definition is None:
        load_jobs()
        definition = find_job(context.job_name)
    try:
        if definition is None:
            raise LookupError(f"no job is declared as {context.job_name!r}")
        await definition(context, **message["payload"])
    except Exception as error:
        logger.warning("job_attempt_failed", exc_info=True)
        policy = definition.retry if definition is not None else RetryPolicy()
        await _record_failure(context, message, policy, error)
        return
    async with context.data_access.write() as session:
        state = await session.get(JobState, context.job_id, with_for_update=True)
        if state is not None:
            now = utcnow()
            state.status, state.progress, state.error = "completed", 100, None
            state.updated_at = state.finished_at = now
    logger.info("job_completed")


async def _record_failure(
    context: JobContext, message: JobMessage, policy: RetryPolicy, error: Exception
) -> None:
    description = "".join(traceback.format_exception_only(error)).strip()
    async with context.data_access.write() as session:
        state = await session.get(JobState, context.job_id, with_for_update=True)
        if state is None or state.delivery != message["delivery"]:
            return
        if state.attempts >= state.max_attempts:
            await bury(session, state, message, description)
            return
        delay = policy.delay_after(state.attempts)
        now = utcnow()
        state.status, state.error, state.updated_at = "queued", description, now
        entry = await session.get(OutboxEntry, context.job_id, with_for_update=True)
        if entry is not None:
            entry.published_at = None
            entry.available_at = now + timedelta(seconds=delay)
    logger.info("job_retry_scheduled", delay_seconds=round(delay, 3))
