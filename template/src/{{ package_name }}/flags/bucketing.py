"""Percentage rollout: each targeting key lands in one of 100,000 buckets per flag.

The bucket depends only on the flag key, the flag's salt and the targeting key, so a client
keeps its answer across requests, processes and restarts. A client is in the rollout when its
bucket is below `percentage * 1000`: raising the percentage only adds buckets, so nobody who
had the feature loses it. The salt (random per flag) keeps two flags at 10 % from picking the
same 10 % of clients.
"""

from __future__ import annotations

import hashlib

BUCKETS = 100_000
BUCKETS_PER_PERCENT = BUCKETS // 100


def bucket(flag_key: str, salt: str, targeting_key: str) -> int:
    """The bucket of this targeting key for this flag, in [0, BUCKETS)."""
    digest = hashlib.sha256(f"{flag_key}\x00{salt}\x00{targeting_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_rollout(percentage: float, flag_key: str, salt: str, targeting_key: str) -> bool:
    """Whether the key is among the first `percentage` % of buckets (0.001 % steps)."""
    if percentage >= 100:
        return True
    if percentage <= 0:
        return False
    return bucket(flag_key, salt, targeting_key) < round(percentage * BUCKETS_PER_PERCENT)
