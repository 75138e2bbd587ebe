"""`FlagStore`: create, change and delete flags through `DataAccess`, each change audited.

The audit row is written in the same transaction as the change, so there is no change without
its record and no record of a change that was rolled back. After the commit `on_change` runs
(the running service reloads its snapshot and tells the other processes).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ..db import DataAccess
from .models import FeatureFlag, FeatureFlagAudit
from .rules import TargetingRules
from .state import FLAG_KEY_PATTERN, FlagKind, FlagState

OnChange = Callable[[str], Awaitable[None]]
MAX_ACTOR_LENGTH = 200
# `/admin/flags/ui` is the admin page: a flag of that name could not be read through the API.
RESERVED_KEYS = frozenset({"ui"})


class FlagNotFoundError(LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(f"flag {key!r} does not exist")
        self.key = key


class FlagExistsError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"flag {key!r} exists already")
        self.key = key


class InvalidFlagKeyError(ValueError):
    def __init__(self, key: str, reason: str | None = None) -> None:
        super().__init__(reason or f"flag key {key!r} does not match {FLAG_KEY_PATTERN}")
        self.key = key


@dataclass(frozen=True)
class FlagChanges:
    """The settings to change; None keeps the current value (or the default, for a new flag)."""

    description: str | None = None
    kind: FlagKind | None = None
    enabled: bool | None = None
    rollout_percentage: float | None = None
    targeting: TargetingRules | None = None

    def __post_init__(self) -> None:
        if self.rollout_percentage is not None and not 0 <= self.rollout_percentage <= 100:
            raise ValueError("rollout_percentage is between 0 and 100")


@dataclass(frozen=True)
class AuditEntry:
    flag_key: str
    action: str
    actor: str
    changed_at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class FlagStore:
    """The flags table, for administration; evaluation reads the snapshot instead."""

    def __init__(self, data_access: DataAccess, on_change: OnChange | None = None) -> None:
        self.data_access = data_access
        self.on_change = on_change

    async def all(self) -> list[FlagState]:
        """Every flag, by key, read on the primary: administration shows the latest state."""
        async with self.data_access.read_consistent() as session:
            rows = await session.scalars(select(FeatureFlag).order_by(FeatureFlag.key))
            return [_state(row) for row in rows]

    async def get(self, key: str) -> FlagState:
        async with self.data_access.read_consistent() as session:
            row = await session.get(FeatureFlag, key)
            if row is None:
                raise FlagNotFoundError(key)
            return _state(row)

    async def create(self, key: str, changes: FlagChanges, actor: str) -> FlagState:
        """A new flag: off, at 0 %, without targeting, unless `changes` says otherwise."""
        _check_key(key)
        async with self.data_access.write() as session:
            if await session.get(FeatureFlag, key) is not None:
                raise FlagExistsError(key)
            row = _new_row(key, changes)
            session.add(row)
            await session.flush()
            after = _state(row)
            session.add(_audit(key, "created", actor, None, after))
        await self._changed(key)
        return after

    async def update(self, key: str, changes: FlagChanges, actor: str) -> FlagState:
        async with self.data_access.write() as session:
            row = await session.get(FeatureFlag, key, with_for_update=True)
            if row is None:
                raise FlagNotFoundError(key)
            before = _state(row)
            _apply(row, changes)
            await session.flush()
            after = _state(row)
            session.add(_audit(key, "updated", actor, before, after))
        await self._changed(key)
        return after

    async def put(self, key: str, changes: FlagChanges, actor: str) -> tuple[FlagState, bool]:
        """Update the flag, or create it when it does not exist; True when it was created."""
        _check_key(key)
        async with self.data_access.write() as session:
            row = await session.get(FeatureFlag, key, with_for_update=True)
            created = row is None
            if row is None:
                row = _new_row(key, changes)
                session.add(row)
                before = None
            else:
                before = _state(row)
                _apply(row, changes)
            await session.flush()
            after = _state(row)
            session.add(_audit(key, "created" if created else "updated", actor, before, after))
        await self._changed(key)
        return after, created

    async def delete(self, key: str, actor: str) -> FlagState:
        """Remove the flag; evaluation then answers the caller's default again."""
        async with self.data_access.write() as session:
            row = await session.get(FeatureFlag, key, with_for_update=True)
            if row is None:
                raise FlagNotFoundError(key)
            before = _state(row)
            await session.delete(row)
            session.add(_audit(key, "deleted", actor, before, None))
        await self._changed(key)
        return before

    async def history(self, key: str, limit: int = 50) -> list[AuditEntry]:
        """The latest changes of a flag, newest first (kept after the flag is deleted)."""
        async with self.data_access.read_consistent() as session:
            rows = await session.scalars(
                select(FeatureFlagAudit)
                .where(FeatureFlagAudit.flag_key == key)
                .order_by(FeatureFlagAudit.id.desc())
                .limit(limit)
            )
            return [
                AuditEntry(
                    row.flag_key, row.action, row.actor, row.changed_at, row.before, row.after
                )
                for row in rows
            ]

    async def _changed(self, key: str) -> None:
        if self.on_change is not None:
            await self.on_change(key)


def _check_key(key: str) -> None:
    if not re.fullmatch(FLAG_KEY_PATTERN, key):
        raise InvalidFlagKeyError(key)
    if key in RESERVED_KEYS:
        raise InvalidFlagKeyError(key, f"flag key {key!r} is reserved (/admin/flags/{key})")


def _new_row(key: str, changes: FlagChanges) -> FeatureFlag:
    now = datetime.now(UTC)
    return FeatureFlag(
        key=key,
        description=changes.description or "",
        kind=(changes.kind or FlagKind.RELEASE).value,
        enabled=bool(changes.enabled),
        rollout_percentage=changes.rollout_percentage or 0.0,
        targeting=(changes.targeting or TargetingRules()).as_json(),
        salt=secrets.token_hex(8),
        created_at=now,
        updated_at=now,
    )


def _apply(row: FeatureFlag, changes: FlagChanges) -> None:
    for field in fields(changes):
        value = getattr(changes, field.name)
        if value is None:
            continue
        if isinstance(value, FlagKind):
            value = value.value
        elif isinstance(value, TargetingRules):
            value = value.as_json()
        setattr(row, field.name, value)
    row.updated_at = datetime.now(UTC)


def _state(row: FeatureFlag) -> FlagState:
    return FlagState(
        key=row.key,
        description=row.description,
        kind=FlagKind(row.kind),
        enabled=row.enabled,
        rollout_percentage=row.rollout_percentage,
        targeting=TargetingRules.model_validate(row.targeting),
        salt=row.salt,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _audit(
    key: str, action: str, actor: str, before: FlagState | None, after: FlagState | None
) -> FeatureFlagAudit:
    return FeatureFlagAudit(
        flag_key=key,
        action=action,
        actor=actor[:MAX_ACTOR_LENGTH],
        changed_at=datetime.now(UTC),
        before=before.as_json() if before is not None else None,
        after=after.as_json() if after is not None else None,
    )
