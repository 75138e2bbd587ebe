"""`IdempotencyMiddleware`: every POST, PUT, PATCH and DELETE under `/api/` runs at most once
per key.

A pure ASGI middleware keyed on the method and the path, so a new route is covered the moment
it exists. For each such request it

1. parses `Idempotency-Key` (missing or invalid: 400),
2. fingerprints the request (method, route template, parameters, body, client identity),
3. claims the key in the database (`store.py`): a completed key is replayed, a running one
   answers 409 with `Retry-After`, a key reused for another request answers 422,
4. runs the route with the claim bound to the request, and stores the outcome: inside the
   route's write transaction when the route writes through `WriteSession` (`transaction.py`),
   else right after the route, before the response leaves. A 5xx or an exception releases
   the key, so that the retry runs again.

It sits inside the consistency middleware (a replay returns the original write's
`X-Consistency-Token`) and inside the API life-cycle middleware (a retired version claims no
key; a replay carries the deprecation headers of today).
"""

from __future__ import annotations

import anyio
from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..api.problems import PROBLEM_TYPE_BASE, problem_response
from ..db.consistency import current_request
from ..db.errors import DatabaseUnavailable
from ..db.wal import WalPosition
from ..identity import client_identity
from ..observability import get_logger
from .fingerprint import request_fingerprint
from .keys import IDEMPOTENCY_KEY_HEADER, InvalidKeyError, parse_key
from .responses import StoredResponse
from .routing import MUTATION_METHODS, route_template
from .store import Claim, Claimed, Completed, IdempotencyStore, InFlight, Mismatch
from .transaction import bind_claim

logger = get_logger(__name__)

API_PREFIX = "/api/"
# A retry of a running request should come back soon: most requests end within a second.
IN_FLIGHT_RETRY_AFTER_SECONDS = 1


def install_idempotency(app: FastAPI) -> None:
    """Create the key store and add the middleware; call it before `install_api` so that the
    life-cycle and consistency middlewares stay outside it."""
    settings = app.state.settings
    app.state.idempotency_store = IdempotencyStore(
        app.state.data_access,
        lease_seconds=settings.idempotency_lease_seconds,
        ttl_hours=settings.idempotency_ttl_hours,
    )
    app.add_middleware(IdempotencyMiddleware)


def guards(scope: Scope) -> bool:
    """Whether the request is a mutation under `/api/`: the requests that need a key."""
    return (
        scope["type"] == "http"
        and scope["method"] in MUTATION_METHODS
        and scope["path"].startswith(API_PREFIX)
    )


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        template = route_template(scope["app"], scope) if guards(scope) else None
        if template is None:
            # Not a mutation, or no route for it: the app answers (404, 405) without a key.
            await self.app(scope, receive, send)
            return
        instance = scope["path"]
        try:
            key = parse_key(Headers(scope=scope).getlist(IDEMPOTENCY_KEY_HEADER))
        except InvalidKeyError as error:
            await problem_response(
                400,
                str(error),
                instance=instance,
                type_=PROBLEM_TYPE_BASE + "idempotency-key-invalid",
            )(scope, receive, send)
            return

        body = await _read_body(receive)
        client = client_identity(scope)
        fingerprint = request_fingerprint(
            method=scope["method"],
            route_template=template,
            path=scope["path"],
            query_string=scope.get("query_string", b""),
            body=body,
            client=client,
        )
        store: IdempotencyStore = scope["app"].state.idempotency_store
        try:
            outcome = await store.claim(client, key, fingerprint)
        except DatabaseUnavailable as error:
            retry_after = {"Retry-After": str(error.retry_after_seconds)}
            await problem_response(503, str(error), instance=instance, headers=retry_after)(
                scope, receive, send
            )
            return

        if isinstance(outcome, Completed):
            request = current_request()
            if outcome.consistency_token is not None and request is not None:
                request.record_commit(WalPosition.parse(outcome.consistency_token))
            await outcome.response.replay()(scope, receive, send)
        elif isinstance(outcome, InFlight):
            await problem_response(
                409,
                "A request with this Idempotency-Key is still being processed; retry shortly",
                instance=instance,
                type_=PROBLEM_TYPE_BASE + "idempotency-key-in-use",
                headers={"Retry-After": str(IN_FLIGHT_RETRY_AFTER_SECONDS)},
            )(scope, receive, send)
        elif isinstance(outcome, Mismatch):
            await problem_response(
                422,
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new request",
                instance=instance,
                type_=PROBLEM_TYPE_BASE + "idempotency-key-reused",
            )(scope, receive, send)
        else:
            assert isinstance(outcome, Claimed)
            await self._run(outcome.claim, store, scope, _replaying(body, receive), send)

    async def _run(
        self, claim: Claim, store: IdempotencyStore, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Run the route as the key's one execution, and store or release its outcome."""
        recorder = _ResponseRecorder(claim, send)
        try:
            with bind_claim(claim):
                await self.app(scope, receive, recorder.send)
        except BaseException:
            # Shielded: a cancelled request (the client went away) still frees its key.
            with anyio.CancelScope(shield=True):
                await store.release(claim)
            raise
        if not claim.completed:
            response = recorder.response()
            if response is not None and response.storable:
                if not await store.complete(claim, response):
                    logger.warning("idempotency_lease_lost", key=claim.key)
            else:
                await store.release(claim)
        await recorder.flush()
        request = current_request()
        if claim.completed and request is not None and request.committed is not None:
            await store.keep_consistency_token(claim, str(request.committed))


class _ResponseRecorder:
    """Passes a response through once its key is completed; buffers it until then.

    A route that completed its key in its write transaction has committed before the response
    starts, so its response streams through untouched. Any other response is held until its
    outcome is stored: a client never sees an answer that a retry would not get again.
    """

    def __init__(self, claim: Claim, send: Send) -> None:
        self.claim = claim
        self._send = send
        self._passing_through = False
        self._start: Message | None = None
        self._body: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and self.claim.completed:
            self._passing_through = True
        if self._passing_through:
            await self._send(message)
        elif message["type"] == "http.response.start":
            self._start = message
        elif message["type"] == "http.response.body":
            self._body.append(message.get("body", b""))
        else:
            await self._send(message)

    def response(self) -> StoredResponse | None:
        if self._start is None:
            return None
        return StoredResponse.of(
            self._start["status"], self._start.get("headers", []), b"".join(self._body)
        )

    async def flush(self) -> None:
        if self._passing_through or self._start is None:
            return
        await self._send(self._start)
        await self._send({"type": "http.response.body", "body": b"".join(self._body)})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the route the body this middleware has read already."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
