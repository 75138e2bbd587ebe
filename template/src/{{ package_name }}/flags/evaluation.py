"""One flag, one evaluation context: on or off, and why (an OpenFeature reason)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from openfeature.flag_evaluation import Reason

from .bucketing import in_rollout
from .state import FlagState


class Decision(NamedTuple):
    on: bool
    reason: Reason


def decide(
    flag: FlagState, targeting_key: str | None, attributes: Mapping[str, object]
) -> Decision:
    """In order: the kill switch, the allow list, the conditions, the percentage rollout."""
    if not flag.enabled:
        return Decision(False, Reason.DISABLED)
    if flag.targeting.allows(targeting_key):
        return Decision(True, Reason.TARGETING_MATCH)
    if not flag.targeting.admits(attributes):
        return Decision(False, Reason.TARGETING_MATCH)
    if flag.rollout_percentage >= 100:
        reason = Reason.TARGETING_MATCH if flag.targeting.conditions else Reason.STATIC
        return Decision(True, reason)
    if targeting_key is None:
        # Nothing to bucket on: a partial rollout stays off rather than flip per request.
        return Decision(False, Reason.DEFAULT)
    on = in_rollout(flag.rollout_percentage, flag.key, flag.salt, targeting_key)
    return Decision(on, Reason.SPLIT)
