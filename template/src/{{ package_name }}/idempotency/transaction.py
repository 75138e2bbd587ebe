"""One transaction for the business write and the key's completion.

A route that writes through `WriteSession` commits when its function-scoped dependencies end:
after FastAPI built the response, before a byte of it is sent. The route (an `IdempotentRoute`)
hands that response to the request's claim (`hold_for_commit`); when the write session then
commits, the `before_commit` listener below completes the key, with the response, inside that
same transaction. Either both commit (an order and the key that replays it) or neither does (no
order, and the key is released for the retry). If another request took the key over meanwhile
(this one's lease ran out), the completion matches no row and the commit is refused: the write
is rolled back and this request answers 409, so a key runs its request exactly once.

The claim reaches the listener through a context variable that the middleware binds for the
request; SQLAlchemy runs the listener in the request's context.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.responses import Response

from ..api.problems import PROBLEM_TYPE_BASE, Problem
from .responses import StoredResponse
from .store import Claim, completion, utc_now

_current: ContextVar[Claim | None] = ContextVar("idempotency_claim", default=None)
_COMPLETING = "idempotency_claim"


class LeaseLostError(Problem):
    """The key was taken over while this request ran: its write must not commit."""

    def __init__(self) -> None:
        super().__init__(
            409,
            "This request took longer than its idempotency lease and a retry took the key "
            "over; its changes were not saved. Retry with the same key for the outcome.",
            type_=PROBLEM_TYPE_BASE + "idempotency-key-in-use",
            headers={"Retry-After": "1"},
        )


@contextmanager
def bind_claim(claim: Claim) -> Iterator[Claim]:
    """Make `claim` the current request's claim for the code inside the block."""
    reset = _current.set(claim)
    try:
        yield claim
    finally:
        _current.reset(reset)


def hold_for_commit(response: Response) -> None:
    """Give the route's response to the current claim, to be completed with the write.

    A streaming response has no body yet: the middleware stores it once it has been sent.
    """
    claim = _current.get()
    body = getattr(response, "body", None)
    if claim is not None and isinstance(body, bytes):
        claim.held_response = StoredResponse.of(response.status_code, response.raw_headers, body)


@event.listens_for(Session, "before_commit")
def _complete_with_the_write(session: Session) -> None:
    claim = _current.get()
    if claim is None or claim.completed or claim.held_response is None:
        return
    if not claim.held_response.storable:
        return  # a 5xx is not stored; the middleware releases the key
    done = session.execute(completion(claim, claim.held_response, utc_now())).scalar()
    if done is None:
        raise LeaseLostError()
    session.info[_COMPLETING] = claim


@event.listens_for(Session, "after_commit")
def _completed(session: Session) -> None:
    claim = session.info.pop(_COMPLETING, None)
    if isinstance(claim, Claim):
        claim.completed = True


@event.listens_for(Session, "after_rollback")
def _not_completed(session: Session) -> None:
    session.info.pop(_COMPLETING, None)
