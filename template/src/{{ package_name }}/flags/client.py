"""The OpenFeature client that call sites use, and its FastAPI dependency.

    @router.post("/orders")
    async def post_order(flags: FeatureFlags, context: FlagContext) -> ...:
        if flags.get_boolean_value("new-checkout-flow", False, context): ...

The client asks whichever provider is registered (`runtime.py` registers ours at start-up).
OpenFeature turns every failure into the caller's default; the hook below logs it, for this
provider or any other one a project swaps in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.exception import FlagNotFoundError
from openfeature.hook import Hook, HookContext, HookHints

from ..observability import get_logger

logger = get_logger(__name__)


class LogEvaluationErrors(Hook):
    """Log each evaluation that fell back to the caller's default because of an error."""

    def error(self, hook_context: HookContext, exception: Exception, hints: HookHints) -> None:
        # A flag not created yet is an operator's to-do, not a fault of the service.
        log = logger.warning if isinstance(exception, FlagNotFoundError) else logger.error
        log(
            "flag_evaluation_failed",
            flag=hook_context.flag_key,
            default=hook_context.default_value,
            error=f"{type(exception).__name__}: {exception}",
        )


# One client for the process: it looks the provider up on every call, so it follows
# whatever provider is registered, and its hook is built once.
_client = api.get_client()
_client.add_hooks([LogEvaluationErrors()])


def feature_flags() -> OpenFeatureClient:
    """The OpenFeature client (also usable outside requests: jobs, commands)."""
    return _client


FeatureFlags = Annotated[OpenFeatureClient, Depends(feature_flags)]
