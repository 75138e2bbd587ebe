"""Decision 1: an eventual read through `DataAccess` against the same query on a bare session.

Both sides run on PostgreSQL, on one engine: the baseline is a bare session on the replica
engine of the `DataAccess` it is compared with. With the PostgreSQL binaries at hand the
benchmark starts its own primary and streaming replica (the generated project's test
harness), so the subject takes the real replica path: rotation check, periodic status query,
token comparison. Without them it uses BENCH_DATABASE_URL (default: the local `test` database)
as primary and, through a second URL to the same server, as "replica".

Run by bench/run.py with the generated project's interpreter and working directory; the
results go to the JSON file named by --output.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from _timing import Comparison, compare

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
ROWS = 20
TARGET_RATIO = 1.05
# Many short rounds: a read takes about a millisecond, and the median of 200 alternating
# 20-read rounds moves by about 1 % between runs, against 2-3 % for 40 rounds of 100.
ROUNDS = 201
ITERATIONS = 20


def database_urls(stack: ExitStack) -> tuple[str, str, Callable[[], None]]:
    """(primary, replica, wait until the replica caught up): a harness-started pair, or the
    configured server twice."""
    sys.path.insert(0, str(Path.cwd()))
    harness = importlib.import_module("tests.pg_replica")
    bindir = harness.find_bindir()
    if bindir is not None and "BENCH_DATABASE_URL" not in os.environ:
        cluster = harness.ReplicatedPostgres(bindir)
        stack.callback(cluster.stop)
        cluster.start()
        return cluster.primary.url, cluster.replica.url, cluster.wait_for_replay
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    # A different spelling of the same server: DataAccess then runs its replica path.
    return url, url.replace("127.0.0.1", "localhost"), lambda: None


async def measure(
    package: str, primary_url: str, replica_url: str, wait_for_replica: Callable[[], None]
) -> list[Comparison]:
    settings_module = importlib.import_module(f"{package}.settings")
    db = importlib.import_module(f"{package}.db")
    consistency = importlib.import_module(f"{package}.db.consistency")
    wal = importlib.import_module(f"{package}.db.wal")
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
    from sqlalchemy.ext.asyncio import async_sessionmaker

    settings = settings_module.Settings(
        _env_file=None, database_url=primary_url, database_replica_url=replica_url
    )
    data_access = db.DataAccess(settings)
    items = Table(
        "bench_items",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
    )
    async with data_access.write() as session:
        await session.run_sync(lambda sync: items.create(sync.connection(), checkfirst=True))
        await session.execute(insert(items), [{"name": f"item {n}"} for n in range(ROWS)])
    await asyncio.to_thread(wait_for_replica)
    query = select(items).order_by(items.c.id).limit(ROWS)

    # The baseline: what a service without decision 1 would do, on the very engine (pool,
    # pooled connection, server process) the subject reads from, so that only the routing
    # differs between the two sides.
    bare_sessions = async_sessionmaker(data_access.replica, expire_on_commit=False)

    async def bare_read() -> object:
        async with bare_sessions() as session:
            return (await session.execute(query)).all()

    async def eventual_read() -> object:
        async with data_access.read_eventual() as session:
            return (await session.execute(query)).all()

    # A request that carries a token the replica has replayed: the common case after a write.
    async with data_access.write() as session:
        position = await session.scalar(text("SELECT pg_current_wal_lsn()::text"))
    token = wal.WalPosition.parse(position)
    await asyncio.to_thread(wait_for_replica)

    async def eventual_read_with_token() -> object:
        request = consistency.RequestConsistency(client="bench", token=token)
        with consistency.bind_request(request):
            async with data_access.read_eventual() as session:
                return (await session.execute(query)).all()

    results: list[Comparison] = []
    try:
        for case, subject, subject_name, target in (
            ("eventual read", eventual_read, "DataAccess.read_eventual()", TARGET_RATIO),
            (
                "eventual read with a consistency token",
                eventual_read_with_token,
                "DataAccess.read_eventual()",
                TARGET_RATIO,
            ),
            # The baseline against itself: how far apart two identical sides land on this
            # machine in this run. A ratio above is only meaningful beyond this spread.
            ("noise floor", bare_read, "bare AsyncSession", None),
        ):
            subject_us, baseline_us, ratio = await compare(
                subject, bare_read, rounds=ROUNDS, iterations=ITERATIONS
            )
            results.append(
                Comparison(
                    case=case,
                    subject=subject_name,
                    baseline="bare AsyncSession",
                    subject_us=round(subject_us, 1),
                    baseline_us=round(baseline_us, 1),
                    ratio=round(ratio, 3),
                    target_ratio=target,
                )
            )
    finally:
        async with data_access.write() as session:
            await session.run_sync(lambda sync: items.drop(sync.connection(), checkfirst=True))
        await data_access.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", required=True)
    parser.add_argument("--output", required=True, type=Path)
    args = parser.parse_args()
    with ExitStack() as stack:
        primary_url, replica_url, wait_for_replica = database_urls(stack)
        results = asyncio.run(measure(args.package, primary_url, replica_url, wait_for_replica))
    args.output.write_text(json.dumps([result.as_json() for result in results]), encoding="utf-8")


if __name__ == "__main__":
    main()
