"""The table of idempotency keys: one row per (client, key), claimed, then completed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db.models import Base
from ..db.types import UtcDateTime


class KeyStatus(StrEnum):
    IN_FLIGHT = "in_flight"  # claimed; the request runs (or its process died: see the lease)
    COMPLETED = "completed"  # the response is stored and replayed to every retry


class IdempotencyRecord(Base):
    """A key a client sent, the fingerprint of its request and, once done, the response.

    The primary key (scope, key) is the unique index that serialises concurrent claims: of two
    inserts of one key, the database lets exactly one through.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (CheckConstraint("status IN ('in_flight', 'completed')", name="status"),)

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)  # the client identity
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    # Who holds the claim (a random token per attempt) and until when: a claim whose lease
    # ran out belongs to a process that died, and the next retry may take it over.
    owner: Mapped[str] = mapped_column(String(32))
    locked_until: Mapped[datetime] = mapped_column(UtcDateTime)
    response_status: Mapped[int | None]
    response_headers: Mapped[list[Any] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    consistency_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Indexed for the purge, which deletes the oldest first.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
