"""Expiry: records older than `IDEMPOTENCY_TTL_HOURS` are deleted, a batch per transaction.

Run by the `idempotency purge` command and, daily, by the job scheduler. Small batches keep
each transaction (and its locks) short on a busy table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, tuple_

from ..db import DataAccess
from ..settings import Settings
from .models import IdempotencyRecord
from .store import utc_now

DEFAULT_BATCH_SIZE = 1000


async def purge_expired(
    data_access: DataAccess, now: datetime, batch_size: int = DEFAULT_BATCH_SIZE
) -> int:
    """Delete every record that expired at `now`; the number deleted."""
    total = 0
    while True:
        expired = (
            select(IdempotencyRecord.scope, IdempotencyRecord.key)
            .where(IdempotencyRecord.expires_at <= now)
            .order_by(IdempotencyRecord.expires_at)
            .limit(batch_size)
        )
        async with data_access.write() as session:
            deleted = await session.scalars(
                delete(IdempotencyRecord)
                .where(tuple_(IdempotencyRecord.scope, IdempotencyRecord.key).in_(expired))
                .returning(IdempotencyRecord.key)
            )
            count = len(deleted.all())
        total += count
        if count < batch_size:
            return total


async def purge_with_settings(settings: Settings, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """`purge_expired` now, on the database the settings name (the command line's entry)."""
    data_access = DataAccess(settings)
    try:
        return await purge_expired(data_access, utc_now(), batch_size)
    finally:
        await data_access.dispose()
