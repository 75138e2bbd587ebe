"""The flag tables: the flags themselves, and an audit row for every change to one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db.models import Base
from ..db.types import UtcDateTime


def _now() -> datetime:
    return datetime.now(UTC)


class FeatureFlag(Base):
    """One flag. Evaluation reads these rows through the in-process snapshot, never per call."""

    __tablename__ = "feature_flags"
    __table_args__ = (
        CheckConstraint(
            "rollout_percentage >= 0 AND rollout_percentage <= 100", name="rollout_percentage"
        ),
    )

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    description: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    # The kill switch: off means off for everyone, whatever the rules say.
    enabled: Mapped[bool]
    rollout_percentage: Mapped[float]
    targeting: Mapped[dict[str, Any]] = mapped_column(JSON)
    salt: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)


class FeatureFlagAudit(Base):
    """Who changed which flag when, and its settings before and after (no row: none)."""

    __tablename__ = "feature_flag_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the history of a deleted flag stays.
    flag_key: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
