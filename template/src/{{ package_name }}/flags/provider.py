"""`SnapshotProvider`: the OpenFeature provider that answers from the in-process snapshot.

Call sites only know OpenFeature (`client.get_boolean_value(key, default, context)`), so a
project can register another provider (flagd, LaunchDarkly, Unleash) in `runtime.py` without
touching them. Resolution is a dictionary lookup and a hash: no I/O, no await.

The provider never raises: an unknown flag, a non-boolean request or a bug in a rule answers
the caller's default with an error code, and is logged here. (Logging from an OpenFeature hook
would cover any provider, but the SDK's hook machinery costs more than the evaluation itself.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata

from ..observability import get_logger
from .evaluation import decide
from .snapshot import FlagSnapshot

logger = get_logger(__name__)

PROVIDER_NAME = "compound-database-flags"
ObjectValue = Sequence[FlagValueType] | Mapping[str, FlagValueType]
T = TypeVar("T")


class SnapshotProvider(AbstractProvider):
    """Boolean flags from the database, evaluated against the in-process snapshot."""

    def __init__(self, snapshot: FlagSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def get_metadata(self) -> Metadata:
        return Metadata(name=PROVIDER_NAME)

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        try:
            flag = self.snapshot.get(flag_key)
            if flag is None:
                return _error(flag_key, default_value, ErrorCode.FLAG_NOT_FOUND, "not created")
            context = evaluation_context or EvaluationContext()
            decision = decide(flag, context.targeting_key, context.attributes)
        except Exception as error:  # noqa: BLE001 - evaluation never raises into a request
            message = f"{type(error).__name__}: {error}"
            return _error(flag_key, default_value, ErrorCode.GENERAL, message)
        return FlagResolutionDetails(
            value=decision.on,
            reason=decision.reason,
            variant="on" if decision.on else "off",
            flag_metadata={"kind": flag.kind.value},
        )

    # The flags are on/off switches; any other type is the caller's mistake, not a crash.

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        return _not_boolean(flag_key, default_value)

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        return _not_boolean(flag_key, default_value)

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        return _not_boolean(flag_key, default_value)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: ObjectValue,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[ObjectValue]:
        return _not_boolean(flag_key, default_value)


def _error(
    flag_key: str, default_value: T, code: ErrorCode, message: str
) -> FlagResolutionDetails[T]:
    """The caller's default, with the reason; logged, since the caller will not look."""
    # A flag not created yet is an operator's to-do, not a fault of the service.
    log = logger.warning if code == ErrorCode.FLAG_NOT_FOUND else logger.error
    log("flag_evaluation_failed", flag=flag_key, default=default_value, error=f"{code}: {message}")
    return FlagResolutionDetails(
        value=default_value, reason=Reason.ERROR, error_code=code, error_message=message
    )


def _not_boolean(flag_key: str, default_value: T) -> FlagResolutionDetails[T]:
    return _error(flag_key, default_value, ErrorCode.TYPE_MISMATCH, "the flag is boolean")
