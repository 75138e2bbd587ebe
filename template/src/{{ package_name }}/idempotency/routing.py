"""Which routes are mutations, and the route class that documents and completes their keys.

`IdempotentRoute` is the `route_class` of every router in `api/`. On a POST, PUT, PATCH or
DELETE route it adds the required `Idempotency-Key` header to the operation (so each version's
OpenAPI contract shows it, with the expiry policy), documents the 400/409/422 answers, and hands
the route's response to the key's claim before the write session commits (`transaction.py`).
The key itself is checked and claimed by `IdempotencyMiddleware`, for every mutation under
`/api/` whatever its route class: a route that forgets the class is still protected, but not
atomically, and the fitness test in `tests/test_architecture.py` names it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Coroutine
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from ..api.problems import PROBLEM_CONTENT_TYPE
from .keys import IDEMPOTENCY_KEY_HEADER, MAX_KEY_LENGTH
from .transaction import hold_for_commit

MUTATION_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

KEY_DESCRIPTION = f"""\
Required on every mutation: a value unique to this operation (a UUID, say), sent again unchanged
with every retry of it. Either a bare token or an RFC 8941 quoted string (`"..."`), 1 to
{MAX_KEY_LENGTH} printable ASCII characters.

A retry of a finished request gets the stored response again, byte for byte, with
`Idempotent-Replayed: true` (2xx and 4xx outcomes are stored; after a 5xx the retry runs again).
While the first request still runs, a retry gets 409 with `Retry-After`; the same key with a
different request gets 422. Keys are scoped to the client and kept for `IDEMPOTENCY_TTL_HOURS`
(72 hours by default) from their first use; after that the key is forgotten and may be reused.
"""
# Documented, not enforced by FastAPI: the middleware parses the key and answers 400 itself.
# Concatenated rather than f-strings: regex braces stay single and readable.
_BARE = r"[!#-~](?:[ -~]{0," + str(MAX_KEY_LENGTH - 2) + r"}[!-~])?"
_QUOTED = r'"[ !#-\[\]-~]{1,' + str(MAX_KEY_LENGTH) + r'}"'
KEY_SCHEMA_PATTERN = f"^(?:{_BARE}|{_QUOTED})$"


def idempotency_key_header(
    key: Annotated[
        str,
        Header(
            alias=IDEMPOTENCY_KEY_HEADER,
            description=KEY_DESCRIPTION,
            json_schema_extra={"minLength": 1, "pattern": KEY_SCHEMA_PATTERN},
        ),
    ],
) -> None:
    """Puts the header in the contract; `IdempotencyMiddleware` has checked it already."""


def _problem(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/ProblemDetails"}
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": schema}}}


IDEMPOTENCY_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("The Idempotency-Key header is missing or invalid"),
    409: _problem("A request with this Idempotency-Key is still running: retry after Retry-After"),
    422: _problem(
        "The request does not match its schema, or its Idempotency-Key was used for another request"
    ),
}


def is_mutation(methods: Collection[str] | None) -> bool:
    return bool(methods) and not MUTATION_METHODS.isdisjoint(methods or ())


class IdempotentRoute(APIRoute):
    """An `APIRoute` that gives mutations the idempotency contract and transactional completion."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        if is_mutation(options.get("methods")):
            options["dependencies"] = [
                *(options.get("dependencies") or ()),
                Depends(idempotency_key_header),
            ]
            options["responses"] = {**IDEMPOTENCY_RESPONSES, **(options.get("responses") or {})}
        super().__init__(path, endpoint, **options)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not is_mutation(self.methods):
            return handler

        async def handle_then_hold(request: Request) -> Response:
            response = await handler(request)
            # The function-scoped dependencies (the write session) end after this returns.
            hold_for_commit(response)
            return response

        return handle_then_hold


def route_template(app: FastAPI, scope: Scope) -> str | None:
    """The path template of the route that will serve this request (`/api/v1/orders/{id}`)."""
    for route in iter_route_contexts(app.routes):
        if not is_mutation(route.methods):
            continue
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(route.path)
    return None
