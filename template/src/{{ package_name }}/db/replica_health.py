"""Whether eventual reads may use the replica: in rotation, or out for a cool-down.

A replica leaves the rotation when it cannot be reached or lags beyond the configured bound;
eventual reads go to the primary meanwhile. After the cool-down the next eventual read probes
it again, and a healthy answer puts it back. Each switch is one log event.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..observability import get_logger
from .wal import WalPosition

logger = get_logger(__name__)

# How often eventual reads refresh the replica's lag and replay position (one extra query per
# interval and process, on a connection the read already holds).
STATUS_REFRESH_SECONDS = 1.0


class ReplicaHealth:
    """The rotation state of one replica, fed by the observations of eventual reads."""

    def __init__(
        self,
        max_lag_seconds: float,
        cooldown_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_lag_seconds = max_lag_seconds
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self.in_service = True
        self.reason: str | None = None
        self._out_until = 0.0
        self._checked_at: float | None = None
        self.replayed: WalPosition | None = None

    def usable(self) -> bool:
        """True when eventual reads may try the replica: in rotation, or its cool-down is over."""
        return self.in_service or self._clock() >= self._out_until

    def status_due(self) -> bool:
        """True when the next read should refresh the lag: never checked, stale, or on probation."""
        if not self.in_service or self._checked_at is None:
            return True
        return self._clock() - self._checked_at >= STATUS_REFRESH_SECONDS

    def has_replayed(self, position: WalPosition) -> bool:
        """True when the replica was last seen past `position` (replay only moves forward)."""
        return self.replayed is not None and self.replayed >= position

    def observe(self, replayed: WalPosition | None, lag_seconds: float) -> None:
        """Record a status answer. `replayed` is None when the server is not in recovery."""
        self._checked_at = self._clock()
        self.replayed = replayed
        if lag_seconds > self.max_lag_seconds:
            self.take_out(f"lagging {lag_seconds:.1f} s, more than {self.max_lag_seconds:g} s")
            return
        if not self.in_service:
            logger.info("replica_back_in_rotation", after=self.reason)
        self.in_service = True
        self.reason = None

    def take_out(self, reason: str) -> None:
        """Send eventual reads to the primary for the cool-down."""
        now = self._clock()
        self._out_until = now + self.cooldown_seconds
        if self.in_service:
            logger.warning(
                "replica_out_of_rotation", reason=reason, cooldown_seconds=self.cooldown_seconds
            )
        else:
            logger.info("replica_still_out_of_rotation", reason=reason)
        self.in_service = False
        self.reason = reason

    def describe(self) -> str | None:
        """A note for `/ready` while out of rotation, else None."""
        if self.in_service:
            return None
        remaining = max(0.0, self._out_until - self._clock())
        return (
            f"out of rotation ({self.reason}); eventual reads use the primary,"
            f" next try in {remaining:.0f} s"
        )
