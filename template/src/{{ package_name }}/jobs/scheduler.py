"""`scheduler`: the periodic work of the service, in one small loop of its own.

A loop rather than Celery beat or RQ's cron: the same code for both libraries, nothing to
persist, and each task runs in this process against the database, so a broker outage delays
publication but loses nothing. Run exactly one scheduler per deployment; the relay is safe
with more (batches are locked), the purges are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..db import DataAccess
from ..idempotency.purge import purge_expired
from ..observability import get_logger
from ..settings import Settings
from .backend import create_publisher
from .context import utcnow
from .recovery import recover_lost_jobs_now
from .relay import OutboxRelay
from .retention import purge_finished, retention_cutoff

logger = get_logger(__name__)

DAY_SECONDS = 24 * 60 * 60
# Lost jobs are looked for every minute: JOB_LOST_AFTER_SECONDS already bounds how late.
LOST_JOB_SWEEP_SECONDS = 60


@dataclass
class PeriodicTask:
    """A coroutine run every `interval_seconds`; the first run is at start-up."""

    name: str
    interval_seconds: float
    run: Callable[[], Awaitable[object]]
    next_run: float = 0.0


def periodic_tasks(settings: Settings, data_access: DataAccess) -> list[PeriodicTask]:
    """What the scheduler runs: the outbox relay, the lost-job sweep, and the daily purges."""
    relay = OutboxRelay(data_access, create_publisher(settings))

    async def recover_lost() -> int:
        return await recover_lost_jobs_now(data_access)

    async def purge_idempotency_records() -> int:
        return await purge_expired(data_access, utcnow())

    async def purge_job_history() -> int:
        return await purge_finished(data_access, retention_cutoff(settings.job_retention_days))

    return [
        PeriodicTask("outbox_relay", settings.job_relay_interval_seconds, relay.relay_all),
        PeriodicTask("lost_job_recovery", LOST_JOB_SWEEP_SECONDS, recover_lost),
        PeriodicTask("idempotency_purge", DAY_SECONDS, purge_idempotency_records),
        PeriodicTask("job_history_purge", DAY_SECONDS, purge_job_history),
    ]


async def run_scheduler(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run the periodic tasks until `stop` is set (SIGTERM and SIGINT set it)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    data_access = DataAccess(settings)
    tasks = periodic_tasks(settings, data_access)
    logger.info("scheduler_started", tasks=[task.name for task in tasks])
    try:
        while not stop.is_set():
            for task in tasks:
                if loop.time() >= task.next_run:
                    task.next_run = loop.time() + task.interval_seconds
                    await _run_once(task)
            wait = max(0.0, min(task.next_run for task in tasks) - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
    finally:
        await data_access.dispose()
        logger.info("scheduler_stopped")


async def _run_once(task: PeriodicTask) -> None:
    try:
        result = await task.run()
    except Exception:
        # A failed run (database restarting) is retried at the next interval.
        logger.exception("scheduled_task_failed", task=task.name)
        return
    if result:
        logger.info("scheduled_task_ran", task=task.name, result=result)
