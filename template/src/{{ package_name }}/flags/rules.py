"""Targeting: who a flag applies to, decided from the evaluation context.

Rules are stored as JSON on the flag:

    {"allow": ["bearer:3f2a...", "address:10.0.0.7"],
     "conditions": [{"attribute": "plan", "in": ["pro", "team"]},
                    {"attribute": "region", "equals": "eu"}]}

`allow` names targeting keys that always get the flag while it is enabled; every condition
must hold for anyone else, who then still goes through the percentage rollout.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Condition(BaseModel):
    """One attribute test: the attribute is one of `in`, or equals `equals`."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    attribute: str = Field(min_length=1, max_length=100)
    in_: tuple[str, ...] | None = Field(default=None, alias="in", min_length=1)
    equals: str | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> Condition:
        if (self.in_ is None) == (self.equals is None):
            raise ValueError("a condition has exactly one of 'in' and 'equals'")
        return self

    def holds(self, attributes: Mapping[str, object]) -> bool:
        """An absent attribute matches nothing: a rule never applies by accident."""
        value = attributes.get(self.attribute)
        if not isinstance(value, str):
            return False
        if self.in_ is not None:
            return value in self.in_
        return value == self.equals

    def describe(self) -> str:
        if self.in_ is not None:
            return f"{self.attribute} in {', '.join(self.in_)}"
        return f"{self.attribute} = {self.equals}"


class TargetingRules(BaseModel):
    """The allow list and the conditions of one flag (both empty: no targeting)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allow: tuple[str, ...] = Field(default=(), max_length=10_000)
    conditions: tuple[Condition, ...] = Field(default=(), max_length=50)

    def allows(self, targeting_key: str | None) -> bool:
        return targeting_key is not None and targeting_key in self.allow

    def admits(self, attributes: Mapping[str, object]) -> bool:
        return all(condition.holds(attributes) for condition in self.conditions)

    def as_json(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
