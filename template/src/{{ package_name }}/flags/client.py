"""The OpenFeature client that call sites use, and its FastAPI dependency.

    @router.post("/orders")
    async def post_order(flags: FeatureFlags, context: FlagContext) -> ...:
        if flags.get_boolean_value("new-checkout-flow", False, context): ...

The client asks whichever provider is registered (`runtime.py` registers ours at start-up).
OpenFeature turns every failure into the caller's default; our provider logs it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from openfeature import api
from openfeature.client import OpenFeatureClient

# One client for the process: it looks the provider up on every call, so it follows
# whatever provider is registered.
_client = api.get_client()


def feature_flags() -> OpenFeatureClient:
    """The OpenFeature client (also usable outside requests: jobs, commands)."""
    return _client


FeatureFlags = Annotated[OpenFeatureClient, Depends(feature_flags)]
