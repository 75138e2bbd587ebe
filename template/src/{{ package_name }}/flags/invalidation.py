"""Telling every process that a flag changed: one Redis pub/sub channel.

Without REDIS_URL there is nothing to tell: other processes see the change at their next
interval refresh. The message carries the flag key for the logs only; a receiver reloads the
whole snapshot, which is one small query.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..observability import get_logger

logger = get_logger(__name__)

# Named after the package: two services sharing one Redis do not hear each other.
CHANNEL = f"{__name__.split('.')[0]}:flags:changed"
RECONNECT_SECONDS = 1.0
# How long one wait for a message lasts: the listener checks `stopping` in between. A message
# is handled the moment it arrives; this only bounds how long shutdown waits.
POLL_SECONDS = 0.1


async def publish_change(redis: Redis, key: str) -> None:
    """Announce a change; a failure is logged, the interval refresh still catches up."""
    try:
        await redis.publish(CHANNEL, key)
    except (RedisError, OSError):
        logger.warning("flag_change_not_published", flag=key, exc_info=True)


async def listen_for_changes(
    redis: Redis, on_change: Callable[[str], Awaitable[None]], stopping: asyncio.Event
) -> None:
    """Call `on_change(key)` for every announced change until `stopping` is set, reconnecting
    after errors.

    After a (re)subscription `on_change("*")` runs too: changes announced while this process
    was not listening are read then. The loop ends by checking `stopping`, not by being
    cancelled: redis-py's pub/sub can hang when cancelled in the middle of a subscription.
    """
    while not stopping.is_set():
        try:
            async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.subscribe(CHANNEL)
                await on_change("*")
                while not stopping.is_set():
                    message = await pubsub.get_message(timeout=POLL_SECONDS)
                    if message is not None:
                        data = message["data"]
                        await on_change(data.decode() if isinstance(data, bytes) else str(data))
        except (RedisError, OSError):
            logger.warning("flag_change_listener_lost", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), RECONNECT_SECONDS)
