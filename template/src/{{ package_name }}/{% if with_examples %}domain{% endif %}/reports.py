"""Reports: accepted at once, built by a background job that reports its progress.

The report ID is the job's ID, so its status is the job's state (`jobs/models.py`), read
from the database whatever the job library keeps.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..jobs import JobContext, enqueue, job
from ..jobs.context import utcnow
from ..jobs.models import JobState
from ..observability import get_logger
from .models import Order

logger = get_logger(__name__)

STAGES = 4
# Stands in for the expensive part of a real report; a real one has no sleep.
STAGE_PAUSE_SECONDS = 0.1


@job("reports.sales", queue="low")
async def build_sales_report(context: JobContext, *, period_days: int) -> None:
    """Sum the orders of the period, one stage at a time, reporting progress after each."""
    since = utcnow() - timedelta(days=period_days)
    totals: dict[str, int] = {}
    for stage in range(1, STAGES + 1):
        await asyncio.sleep(STAGE_PAUSE_SECONDS)
        async with context.data_access.read_eventual() as session:
            count, cents = (
                await session.execute(
                    select(
                        func.count(Order.id), func.coalesce(func.sum(Order.total_cents), 0)
                    ).where(Order.created_at >= since)
                )
            ).one()
        totals = {"orders": int(count), "total_cents": int(cents)}
        await context.progress(stage * 100 // STAGES)
    logger.info("report_built", **totals)


async def request_report(session: AsyncSession, period_days: int) -> uuid.UUID:
    """Queue a sales report in the caller's transaction; its ID."""
    return await enqueue(session, build_sales_report, period_days=period_days)


async def find_report(session: AsyncSession, report_id: uuid.UUID) -> JobState | None:
    """The state of the report's job, or None when no such report was requested."""
    state = await session.get(JobState, report_id)
    if state is None or state.job_name != build_sales_report.name:
        return None
    return state
