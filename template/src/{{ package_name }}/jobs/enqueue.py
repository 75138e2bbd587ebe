"""`enqueue()`: the one way code starts a background job.

    async with data_access.write() as session:
        order = await place_order(session, ...)
        await enqueue(session, send_receipt, order_id=str(order.id))

The job is written to the outbox in the caller's transaction: if that transaction rolls back,
no job exists; once it commits, the outbox relay publishes it (right after the response, from
the scheduler otherwise). Nothing reaches the broker before the data the job needs is committed.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from .context import utcnow
from .models import JobState, OutboxEntry
from .registry import JobDefinition
from .relay import request_relay


async def enqueue(session: AsyncSession, job: JobDefinition, **payload: Any) -> uuid.UUID:
    """Add `job` with `payload` (JSON values) to the outbox in `session`'s transaction.

    Returns the job ID: the key of its state (`job_states`) and of its outbox row.
    """
    try:
        json.dumps(payload)
    except TypeError as error:
        raise TypeError(f"the payload of job {job.name!r} must be JSON: {error}") from error
    job_id = uuid.uuid4()
    now = utcnow()
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    session.add(
        OutboxEntry(
            id=job_id,
            job_name=job.name,
            queue=job.queue,
            payload=payload,
            request_id=request_id,
            created_at=now,
            available_at=now,
            published_at=None,
        )
    )
    session.add(
        JobState(
            id=job_id,
            job_name=job.name,
            status="queued",
            progress=0,
            attempts=0,
            max_attempts=job.retry.attempts,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    request_relay()
    return job_id
