"""Decision 5: feature flags in the database, evaluated through OpenFeature.

    from .flags import FeatureFlags, FlagContext

    async def endpoint(flags: FeatureFlags, context: FlagContext) -> ...:
        if flags.get_boolean_value("new-checkout-flow", False, context): ...

Declare every key in `registry.py`; operate flags with `<slug> flags ...`, the admin API
(`/admin/flags`) or the admin page (`/admin/flags/ui`).
"""

from .client import FeatureFlags, feature_flags
from .context import FlagContext
from .runtime import FlagRuntime

__all__ = ["FeatureFlags", "FlagContext", "FlagRuntime", "feature_flags"]
