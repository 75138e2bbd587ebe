"""Claiming, completing and releasing keys: the race is settled by the database, not in memory.

A claim is an `INSERT ... ON CONFLICT DO NOTHING` on the (scope, key) primary key: of any number
of concurrent requests with one key, in one process or many, exactly one insert succeeds. The
others read the row and learn what to answer. Every later change is guarded by the claimant's
`owner` token, so a request whose lease was taken over can no longer complete or release it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Update, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from ..db import DataAccess
from .models import IdempotencyRecord, KeyStatus
from .responses import StoredResponse

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Claim:
    """A key this request holds: it runs the request and stores (or releases) the outcome."""

    scope: str
    key: str
    owner: str
    # Set by the route once its response exists, before the write transaction commits.
    held_response: StoredResponse | None = None
    # True once the key's completion committed (with the route's write, or on its own).
    completed: bool = False


@dataclass(frozen=True)
class Claimed:
    claim: Claim


@dataclass(frozen=True)
class Completed:
    response: StoredResponse
    consistency_token: str | None = None


@dataclass(frozen=True)
class InFlight:
    """Another request holds the key and its lease still runs."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used for another request (another fingerprint)."""


Outcome = Claimed | Completed | InFlight | Mismatch


def completion(claim: Claim, response: StoredResponse, now: datetime) -> Update:
    """The statement that completes a claim; it matches no row once the claim was taken over."""
    return (
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.scope == claim.scope,
            IdempotencyRecord.key == claim.key,
            IdempotencyRecord.owner == claim.owner,
            IdempotencyRecord.status == KeyStatus.IN_FLIGHT,
        )
        .values(
            status=KeyStatus.COMPLETED,
            response_status=response.status,
            response_headers=[list(header) for header in response.headers],
            response_body=response.body,
            locked_until=now,
        )
        .returning(IdempotencyRecord.key)
    )


class IdempotencyStore:
    """The idempotency records, reached through `DataAccess` on the primary."""

    # A claim that lost a race against a release (the row vanished in between) tries again.
    _CLAIM_ATTEMPTS = 3

    def __init__(
        self,
        data_access: DataAccess,
        *,
        lease_seconds: float,
        ttl_hours: float,
        clock: Clock = utc_now,
    ) -> None:
        self.data_access = data_access
        self.lease = timedelta(seconds=lease_seconds)
        self.ttl = timedelta(hours=ttl_hours)
        self.clock = clock

    async def claim(self, scope: str, key: str, fingerprint: str) -> Outcome:
        """Claim `key` for this request, or say why not: done already, running, or reused."""
        for _ in range(self._CLAIM_ATTEMPTS):
            outcome = await self._try_claim(scope, key, fingerprint)
            if outcome is not None:
                return outcome
        return InFlight()

    async def _try_claim(self, scope: str, key: str, fingerprint: str) -> Outcome | None:
        now = self.clock()
        owner = uuid.uuid4().hex
        fresh = {
            "fingerprint": fingerprint,
            "status": KeyStatus.IN_FLIGHT,
            "owner": owner,
            "locked_until": now + self.lease,
            "response_status": None,
            "response_headers": None,
            "response_body": None,
            "consistency_token": None,
            "created_at": now,
            "expires_at": now + self.ttl,
        }
        claimed = Claimed(Claim(scope=scope, key=key, owner=owner))
        async with self.data_access.write() as session:
            insert = self._insert_ignoring_conflicts().values(scope=scope, key=key, **fresh)
            if await session.scalar(insert.returning(IdempotencyRecord.key)) is not None:
                return claimed
            record = await session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
                )
            )
            if record is None:
                return None  # released between our insert and our read
            expired = record.expires_at <= now
            if not expired and record.fingerprint != fingerprint:
                return Mismatch()
            if not expired and record.status == KeyStatus.COMPLETED:
                return Completed(_stored(record), record.consistency_token)
            if not expired and record.locked_until > now:
                return InFlight()
            # Expired, or a claim whose process died: take it over, unless another retry did.
            taken = await session.scalar(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.scope == scope,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.owner == record.owner,
                    or_(
                        IdempotencyRecord.expires_at <= now,
                        and_(
                            IdempotencyRecord.status == KeyStatus.IN_FLIGHT,
                            IdempotencyRecord.locked_until <= now,
                        ),
                    ),
                )
                .values(**fresh)
                .returning(IdempotencyRecord.key)
            )
            return claimed if taken is not None else InFlight()

    async def complete(self, claim: Claim, response: StoredResponse) -> bool:
        """Store the outcome of a route that did not write through `WriteSession`.

        False when the claim was taken over meanwhile (its lease ran out).
        """
        async with self.data_access.write() as session:
            done = await session.scalar(completion(claim, response, self.clock()))
        claim.completed = done is not None
        return claim.completed

    async def release(self, claim: Claim) -> None:
        """Forget an unfinished claim (a 5xx, an exception): the next retry runs again."""
        async with self.data_access.write() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.scope == claim.scope,
                    IdempotencyRecord.key == claim.key,
                    IdempotencyRecord.owner == claim.owner,
                    IdempotencyRecord.status == KeyStatus.IN_FLIGHT,
                )
            )

    async def keep_consistency_token(self, claim: Claim, token: str) -> None:
        """Store the write's consistency token for replays: it exists only after the commit."""
        async with self.data_access.write() as session:
            await session.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.scope == claim.scope,
                    IdempotencyRecord.key == claim.key,
                    IdempotencyRecord.owner == claim.owner,
                )
                .values(consistency_token=token)
            )

    def _insert_ignoring_conflicts(self) -> Insert:
        on_postgresql = self.data_access.primary.dialect.name == "postgresql"
        dialect: Any = postgresql if on_postgresql else sqlite
        insert: Insert = dialect.insert(IdempotencyRecord).on_conflict_do_nothing(
            index_elements=[IdempotencyRecord.scope, IdempotencyRecord.key]
        )
        return insert


def _stored(record: IdempotencyRecord) -> StoredResponse:
    return StoredResponse(
        status=record.response_status or 0,
        headers=[(str(name), str(value)) for name, value in record.response_headers or []],
        body=record.response_body or b"",
    )
