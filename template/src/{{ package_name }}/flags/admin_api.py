"""The admin API: `GET|PUT|DELETE /admin/flags[/{key}]`, bearer ADMIN_TOKEN, every change audited.

It is operational, not part of a versioned contract: it stays out of the OpenAPI documents.

    curl -H "Authorization: Bearer $ADMIN_TOKEN" http://127.0.0.1:8000/admin/flags
    curl -X PUT -H "Authorization: Bearer $ADMIN_TOKEN" -H 'X-Admin-Actor: ada' \\
         -d '{"enabled": true, "rollout_percentage": 10}' http://127.0.0.1:8000/admin/flags/KEY

PUT changes the fields it is given and keeps the others; on a key that does not exist it
creates the flag (201), off and at 0 % unless the body says otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..api.problems import Problem
from .admin_auth import AdminActor, require_admin
from .rules import TargetingRules
from .state import FlagKind, FlagState
from .store import AuditEntry, FlagChanges, FlagNotFoundError, FlagStore, InvalidFlagKeyError


def flag_store(request: Request) -> FlagStore:
    store: FlagStore = request.app.state.flags.store
    return store


Store = Annotated[FlagStore, Depends(flag_store)]

router = APIRouter(
    prefix="/admin/flags",
    tags=["admin"],
    include_in_schema=False,
    dependencies=[Depends(require_admin)],
)


class FlagOut(BaseModel):
    key: str
    description: str
    kind: FlagKind
    enabled: bool
    rollout_percentage: float
    targeting: dict[str, Any]
    on_for_everyone: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, flag: FlagState) -> FlagOut:
        return cls(
            **flag.as_json(),
            on_for_everyone=flag.on_for_everyone,
            created_at=flag.created_at,
            updated_at=flag.updated_at,
        )


class FlagIn(BaseModel):
    """The settings to change; a field left out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=500)
    kind: FlagKind | None = None
    enabled: bool | None = None
    rollout_percentage: float | None = Field(default=None, ge=0, le=100)
    targeting: TargetingRules | None = None

    def changes(self) -> FlagChanges:
        return FlagChanges(
            description=self.description,
            kind=self.kind,
            enabled=self.enabled,
            rollout_percentage=self.rollout_percentage,
            targeting=self.targeting,
        )


class AuditOut(BaseModel):
    action: str
    actor: str
    changed_at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(
            action=entry.action,
            actor=entry.actor,
            changed_at=entry.changed_at,
            before=entry.before,
            after=entry.after,
        )


@router.get("")
async def list_flags(store: Store) -> dict[str, list[FlagOut]]:
    return {"flags": [FlagOut.of(flag) for flag in await store.all()]}


@router.get("/{key}")
async def get_flag(key: str, store: Store) -> FlagOut:
    try:
        return FlagOut.of(await store.get(key))
    except FlagNotFoundError as error:
        raise Problem(404, str(error)) from error


@router.get("/{key}/audit")
async def get_flag_audit(key: str, store: Store) -> dict[str, list[AuditOut]]:
    """The flag's changes, newest first; kept after the flag is deleted."""
    return {"audit": [AuditOut.of(entry) for entry in await store.history(key)]}


@router.put("/{key}")
async def put_flag(
    key: str, body: FlagIn, store: Store, actor: AdminActor, response: Response
) -> FlagOut:
    try:
        flag, created = await store.put(key, body.changes(), actor)
    except InvalidFlagKeyError as error:
        raise Problem(422, str(error)) from error
    response.status_code = 201 if created else 200
    return FlagOut.of(flag)


@router.delete("/{key}", status_code=204)
async def delete_flag(key: str, store: Store, actor: AdminActor) -> None:
    try:
        await store.delete(key, actor)
    except FlagNotFoundError as error:
        raise Problem(404, str(error)) from error
