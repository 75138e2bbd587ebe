"""Decision 2: `POST /api/v1/orders` with its idempotency key against the same route without it.

One application, on PostgreSQL: the subject is `POST /api/v1/orders` (the key is parsed,
fingerprinted, claimed in its own transaction and completed inside the order's); the baseline is
the very same endpoint function mounted outside `/api/` on a plain route, which the mechanism
does not touch. Every other middleware runs for both. A third case replays a key: the stored
answer against a first execution. Requests go through `httpx.AsyncClient` on the ASGI app, one
at a time, subject and baseline alternating, so both see the same database and machine.

Latencies are per request; the table shows p50 and p99 of each side, so the added latency at
each is the difference of the two columns. BENCH_DATABASE_URL names the database (default: the
local `test` database); its tables of the service are created and dropped again.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _timing import Comparison

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
WARMUP = 200
REQUESTS = 2000
# The claim is one extra short write transaction per mutation (the completion rides in the
# route's own). The example route is itself one small transaction, so the mechanism may at most
# double it; on real routes, which do more, the ratio is lower.
TARGET_RATIO_P50 = 2.0

Request = Callable[[], Awaitable[Any]]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def latencies(subject: Request, baseline: Request) -> tuple[list[float], list[float]]:
    """Per-request microseconds of each side, alternating which one goes first."""
    for _ in range(WARMUP):
        await subject()
        await baseline()
    subject_us: list[float] = []
    baseline_us: list[float] = []
    for number in range(REQUESTS):
        order = ((subject, subject_us), (baseline, baseline_us))
        for request, samples in order if number % 2 == 0 else reversed(order):
            started = time.perf_counter()
            await request()
            samples.append((time.perf_counter() - started) * 1e6)
    return subject_us, baseline_us


def comparisons(
    case: str, subject: str, baseline: str, subject_us: list[float], baseline_us: list[float]
) -> list[Comparison]:
    rows = []
    for label, fraction in (("p50", 0.5), ("p99", 0.99)):
        ours, theirs = percentile(subject_us, fraction), percentile(baseline_us, fraction)
        rows.append(
            Comparison(
                case=f"{case}, {label}",
                subject=subject,
                baseline=baseline,
                subject_us=round(ours, 1),
                baseline_us=round(theirs, 1),
                ratio=round(ours / theirs, 3),
                target_ratio=TARGET_RATIO_P50 if label == "p50" and "replay" not in case else None,
            )
        )
    return rows


async def measure(package: str, url: str) -> list[Comparison]:
    import httpx

    settings_module = importlib.import_module(f"{package}.settings")
    schema = importlib.import_module(f"{package}.db.schema")
    app_module = importlib.import_module(f"{package}.app")
    orders = importlib.import_module(f"{package}.api.v1.orders")

    settings = settings_module.Settings(
        _env_file=None, database_url=url, log_level="WARNING", environment="production"
    )
    await schema.drop_schema(url)
    await schema.create_schema(url)
    app = app_module.create_app(settings)
    # The same endpoint, outside /api/ on a plain route: no key, no claim, no completion.
    app.add_api_route("/bench/orders", orders.post_order, methods=["POST"], status_code=201)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer bench-client"}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            product = await client.post(
                "/api/v1/products",
                json={"name": "Lamp", "price_cents": 1500},
                headers={"Idempotency-Key": "bench-product", **headers},
            )
            order = {"product_id": product.json()["id"], "quantity": 2}

            async def with_key() -> None:
                key = {"Idempotency-Key": uuid.uuid4().hex, **headers}
                response = await client.post("/api/v1/orders", json=order, headers=key)
                assert response.status_code == 201, response.text

            async def without_key() -> None:
                response = await client.post("/bench/orders", json=order, headers=headers)
                assert response.status_code == 201, response.text

            replayed_key = {"Idempotency-Key": "bench-replayed", **headers}
            await client.post("/api/v1/orders", json=order, headers=replayed_key)

            async def replay() -> None:
                response = await client.post("/api/v1/orders", json=order, headers=replayed_key)
                assert response.headers["Idempotent-Replayed"] == "true"

            with_us, without_us = await latencies(with_key, without_key)
            replay_us, original_us = await latencies(replay, with_key)
    finally:
        await app.state.data_access.dispose()
        await schema.drop_schema(url)

    return [
        *comparisons(
            "POST /api/v1/orders",
            "with Idempotency-Key (claim + completion)",
            "same route without the mechanism",
            with_us,
            without_us,
        ),
        *comparisons(
            "replay of a completed key",
            "replay (stored response)",
            "original request with a new key",
            replay_us,
            original_us,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", required=True)
    parser.add_argument("--output", required=True, type=Path)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    results = asyncio.run(measure(args.package, url))
    args.output.write_text(json.dumps([result.as_json() for result in results]), encoding="utf-8")


if __name__ == "__main__":
    main()
