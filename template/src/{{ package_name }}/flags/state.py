"""`FlagState`: one flag as evaluation and administration see it, detached from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from .rules import TargetingRules

# Lower-case words joined by `-`, `_` or `.`: safe in URLs, shells and log queries.
FLAG_KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}$"


class FlagKind(StrEnum):
    """Why a flag exists, which says how long it should live (see docs: decision 5)."""

    RELEASE = "release"  # hides unfinished work; removed once the feature is out
    OPS = "ops"  # a kill switch for a costly or risky path; long-lived
    EXPERIMENT = "experiment"  # an A/B split; removed when the experiment is decided
    PERMISSION = "permission"  # a feature for some customers (plan, allow list); permanent


@dataclass(frozen=True)
class FlagState:
    """A flag's settings; `enabled` is the kill switch, checked before any rule."""

    key: str
    description: str
    kind: FlagKind
    enabled: bool
    rollout_percentage: float
    targeting: TargetingRules
    salt: str
    created_at: datetime
    updated_at: datetime

    @property
    def on_for_everyone(self) -> bool:
        """Enabled at 100 % with no condition: every client gets the feature."""
        return self.enabled and self.rollout_percentage >= 100 and not self.targeting.conditions

    def as_json(self) -> dict[str, Any]:
        """The settings an operator changes: what the admin API shows and the audit log keeps."""
        return {
            "key": self.key,
            "description": self.description,
            "kind": self.kind.value,
            "enabled": self.enabled,
            "rollout_percentage": self.rollout_percentage,
            "targeting": self.targeting.as_json(),
        }
