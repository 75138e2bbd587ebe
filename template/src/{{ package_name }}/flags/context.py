"""The evaluation context of a request: who is asking (targeting key) and their attributes.

The targeting key is `identity.client_identity()`: the hashed bearer token, else the remote
address, so a client keeps its rollout bucket across requests. The attributes that targeting
conditions test come from these request headers:

    X-Plan     ->  plan     (e.g. "free", "pro")
    X-Region   ->  region   (e.g. "eu", "us")

Headers are what a client says about itself. That is fine for release and experiment flags;
for a permission flag, set the attribute from what your authentication established instead
(replace `CONTEXT_HEADERS` with a lookup of the authenticated account).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from openfeature.evaluation_context import EvaluationContext, EvaluationContextAttribute

from ..identity import client_identity

# Attribute name -> request header (lower case). Add a line to target on another attribute.
CONTEXT_HEADERS = {"plan": "x-plan", "region": "x-region"}
MAX_ATTRIBUTE_LENGTH = 100


def evaluation_context(request: Request) -> EvaluationContext:
    """The context for evaluating flags for this request's client."""
    attributes: dict[str, EvaluationContextAttribute] = {}
    for attribute, header in CONTEXT_HEADERS.items():
        value = request.headers.get(header, "").strip()
        if value:
            attributes[attribute] = value[:MAX_ATTRIBUTE_LENGTH]
    return EvaluationContext(targeting_key=client_identity(request.scope), attributes=attributes)


FlagContext = Annotated[EvaluationContext, Depends(evaluation_context)]
