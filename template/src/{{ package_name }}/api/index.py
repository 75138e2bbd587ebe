"""`GET /api`: which versions exist, their status and dates, and where their contracts are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from .versions import ApiVersion, VersionStatus


class VersionSummary(BaseModel):
    name: str
    status: VersionStatus
    prefix: str
    openapi: str
    docs: str
    deprecated_on: datetime | None
    sunset_on: datetime | None
    successor: str | None


class VersionIndex(BaseModel):
    versions: list[VersionSummary]


def summarize(version: ApiVersion, now: datetime) -> VersionSummary:
    return VersionSummary(
        name=version.name,
        status=version.status(now),
        prefix=version.prefix,
        openapi=f"{version.prefix}/openapi.json",
        docs=f"{version.prefix}/docs",
        deprecated_on=version.deprecated_on,
        sunset_on=version.sunset_on,
        successor=version.successor,
    )


def version_index_router(versions: Sequence[ApiVersion]) -> APIRouter:
    """The router of `GET /api`; outside every version, so in no version's contract."""
    router = APIRouter()

    @router.get("/api", include_in_schema=False)
    async def list_versions() -> VersionIndex:
        now = datetime.now(UTC)
        return VersionIndex(versions=[summarize(version, now) for version in versions])

    return router
