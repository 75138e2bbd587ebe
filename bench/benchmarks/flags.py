"""Decision 5: a cached flag evaluation through OpenFeature against a database lookup per call.

The subject is what a request does: `client.get_boolean_value(key, default, context)` on the
service's OpenFeature client, answered by its provider from the in-process snapshot. Three
lines:

- the time per cached evaluation (target: under 10 µs), best of many tight rounds, against the
  SDK's stock `OpenFeatureClient` asking the same provider (what `FeatureFlagClient`'s short
  path saves);
- the cached evaluation against reading the flag row on every evaluation (what a service
  without the snapshot would do), then applying the same rules;
- the cached evaluation against calling the provider directly (what the client adds).

Runs on a fresh database on BENCH_DATABASE_URL's server (default: the local PostgreSQL),
dropped afterwards; without PostgreSQL, on SQLite. Run by bench/run.py with the generated
project's interpreter and working directory; the results go to the JSON file named by --output.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from _timing import Comparison, compare, compare_tight

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
FLAG = "new-checkout-flow"
TARGET_MICROSECONDS = 10.0


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, empty database on the PostgreSQL server (dropped afterwards), else SQLite."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    server_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    name = f"bench_flags_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # no PostgreSQL here (refused, unknown host, no rights): use SQLite
        await admin.dispose()
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite+aiosqlite:///{directory}/bench.sqlite3"
        return
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def measure(package: str, url: str) -> list[Comparison]:
    settings_module = importlib.import_module(f"{package}.settings")
    schema = importlib.import_module(f"{package}.db.schema")
    db = importlib.import_module(f"{package}.db")
    flags = importlib.import_module(f"{package}.flags")
    evaluation = importlib.import_module(f"{package}.flags.evaluation")
    rules = importlib.import_module(f"{package}.flags.rules")
    store_module = importlib.import_module(f"{package}.flags.store")
    from openfeature import api
    from openfeature.evaluation_context import EvaluationContext

    settings = settings_module.Settings(
        _env_file=None, database_url=url, redis_url=None, log_level="WARNING"
    )
    await schema.create_schema(url)
    data_access = db.DataAccess(settings)
    runtime = flags.FlagRuntime(settings, data_access)
    await runtime.start()
    targeting = rules.TargetingRules.model_validate(
        {"conditions": [{"attribute": "plan", "in": ["pro", "team"]}]}
    )
    changes = store_module.FlagChanges(enabled=True, rollout_percentage=50, targeting=targeting)
    await runtime.store.create(FLAG, changes, "bench")
    client = flags.feature_flags()
    stock_client = api.get_client()
    context = EvaluationContext("address:10.0.0.7", {"plan": "pro"})

    def cached() -> Any:
        return client.get_boolean_value(FLAG, False, context)

    def stock() -> Any:
        return stock_client.get_boolean_value(FLAG, False, context)

    def provider_only() -> Any:
        return runtime.provider.resolve_boolean_details(FLAG, False, context).value

    async def cached_awaited() -> Any:
        return cached()

    async def database_lookup() -> Any:
        flag = await runtime.store.get(FLAG)
        return evaluation.decide(flag, context.targeting_key, context.attributes).on

    assert cached() == stock() == provider_only() == await database_lookup()

    def line(
        case: str, baseline: str, timing: tuple[float, float, float], target_us: float | None = None
    ) -> Comparison:
        subject_us, baseline_us, ratio = timing
        return Comparison(
            case=case,
            subject="FeatureFlagClient, snapshot",
            baseline=baseline,
            subject_us=round(subject_us, 2),
            baseline_us=round(baseline_us, 2),
            ratio=round(ratio, 4),
            target_us=target_us,
        )

    try:
        return [
            line(
                "cached evaluation, best round",
                "the SDK's OpenFeatureClient, same provider",
                compare_tight(cached, stock),
                target_us=TARGET_MICROSECONDS,
            ),
            line(
                "cached evaluation against a read per call",
                "flag row read per call",
                await compare(cached_awaited, database_lookup),
            ),
            line(
                "what the client adds",
                "provider called directly",
                compare_tight(cached, provider_only),
            ),
        ]
    finally:
        await runtime.stop()
        await data_access.dispose()


async def run(package: str) -> list[Comparison]:
    async with fresh_database() as url:
        return await measure(package, url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", required=True)
    parser.add_argument("--output", required=True, type=Path)
    args = parser.parse_args()
    results = asyncio.run(run(args.package))
    args.output.write_text(json.dumps([result.as_json() for result in results]), encoding="utf-8")


if __name__ == "__main__":
    main()
