"""The tables of decision 3: the outbox, the state of every job, and the dead letter.

- `job_outbox`: a job waiting to be published to the broker. It is written in the transaction
  that enqueues the job, so the job exists if and only if that transaction commits. A retry
  puts the row back (unpublished, due later); its ID is the job's ID for its whole life.
- `job_states`: what the API and operators read (status, progress, error, attempts), kept in
  the database so that it outlives any result backend's expiry.
- `job_dead_letters`: jobs that used their last attempt, with payload and error, until an
  operator requeues or purges them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db.models import Base
from ..db.types import UtcDateTime

JobStatus = Literal["queued", "processing", "completed", "failed"]
FINISHED: tuple[JobStatus, ...] = ("completed", "failed")


class OutboxEntry(Base):
    """A job to publish once its transaction committed and `available_at` has come."""

    __tablename__ = "job_outbox"
    __table_args__ = (Index("ix_job_outbox_pending", "published_at", "available_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class JobState(Base):
    """The life of one job: queued, processing, completed or failed (in the dead letter)."""

    __tablename__ = "job_states"
    # For the retention purge, which deletes the longest finished first.
    __table_args__ = (Index("ix_job_states_finished_at", "finished_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[JobStatus] = mapped_column(String(20))
    progress: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    # The message that owns the current attempt: a redelivery of it (its worker died) resumes
    # the job, any other message for the job is a duplicate and is dropped.
    delivery: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeadLetter(Base):
    """A job that failed its last attempt: everything needed to understand and requeue it."""

    __tablename__ = "job_dead_letters"

    job_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int]
    request_id: Mapped[str | None] = mapped_column(String(128))
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime)
