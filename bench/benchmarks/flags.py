"""Decision 5: a cached flag evaluation through OpenFeature against a database lookup per call.

The subject is what a request does: `client.get_boolean_value(key, default, context)` on the
OpenFeature client, answered by the service's provider from the in-process snapshot. The
baseline reads the flag row on every evaluation (what a service without the snapshot would
do), then applies the same rules. A second line shows what the OpenFeature SDK adds over
calling the provider directly. The target is under 10 microseconds per cached evaluation.

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

from _timing import Comparison, compare

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
    context = EvaluationContext("address:10.0.0.7", {"plan": "pro"})

    async def cached() -> Any:
        return client.get_boolean_value(FLAG, False, context)

    async def provider_only() -> Any:
        return runtime.provider.resolve_boolean_details(FLAG, False, context).value

    async def database_lookup() -> Any:
        flag = await runtime.store.get(FLAG)
        return evaluation.decide(flag, context.targeting_key, context.attributes).on

    assert await cached() == await database_lookup() == await provider_only()
    results: list[Comparison] = []
    try:
        for case, subject, subject_name, baseline, baseline_name in (
            (
                f"boolean evaluation (target < {TARGET_MICROSECONDS:g} us cached)",
                cached,
                "OpenFeature client, snapshot",
                database_lookup,
                "flag row read per call",
            ),
            (
                "what the OpenFeature SDK adds",
                cached,
                "OpenFeature client, snapshot",
                provider_only,
                "provider called directly",
            ),
        ):
            subject_us, baseline_us, ratio = await compare(subject, baseline)
            results.append(
                Comparison(
                    case=case,
                    subject=subject_name,
                    baseline=baseline_name,
                    subject_us=round(subject_us, 2),
                    baseline_us=round(baseline_us, 2),
                    ratio=round(ratio, 3),
                )
            )
    finally:
        await runtime.stop()
        await data_access.dispose()
    return results


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
