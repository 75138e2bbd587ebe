"""Decision 3: `POST /api/v1/reports` latency with idle workers against busy workers.

The claim: a route that enqueues answers as fast whatever work it triggers, because the work
runs elsewhere. The service runs as a real process (`serve`), with a real worker and scheduler
on Redis and PostgreSQL; a steady stream of report requests is timed twice in one run: first
while the workers are idle, then while they are kept busy with 2-second jobs (queued ahead of
the reports, at high priority). The table shows p50 and p99 of the busy phase against the
idle one.

Needs Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/15) and PostgreSQL: a database
of its own is created on BENCH_POSTGRES_URL's server (default the local one) and dropped after.
Run by bench/run.py with the generated project's interpreter and working directory.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _timing import Comparison

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUESTS_PER_SECOND = 5
PHASE_SECONDS = 12.0
WORKER_CONCURRENCY = 2
BUSY_JOB_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def fresh_database() -> Iterator[str]:
    """A database of its own, dropped afterwards (through the server's `postgres` database)."""
    import asyncpg

    name = f"bench_jobs_{uuid.uuid4().hex[:10]}"
    server = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(f"{server}/postgres")
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_URL}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def processes(commands: list[list[str]], env: dict[str, str]) -> Iterator[None]:
    """Run the service's commands in the background; SIGTERM (then SIGKILL) at the end."""
    started = [
        subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for command in commands
    ]
    try:
        yield
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


async def wait_until_serving(base_url: str) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(200):
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the service did not start")


async def steady_posts(base_url: str, seconds: float) -> list[float]:
    """POST a report every 1/REQUESTS_PER_SECOND s for `seconds`; each latency in µs."""
    import httpx

    latencies: list[float] = []

    async def one(client: httpx.AsyncClient) -> None:
        started = time.perf_counter()
        response = await client.post(
            "/api/v1/reports",
            json={"period_days": 1},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        latencies.append((time.perf_counter() - started) * 1e6)
        if response.status_code != 202:
            raise RuntimeError(f"POST /api/v1/reports answered {response.status_code}")

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        tasks: list[asyncio.Task[None]] = []
        interval = 1 / REQUESTS_PER_SECOND
        begin = time.perf_counter()
        for n in range(int(seconds * REQUESTS_PER_SECOND)):
            await asyncio.sleep(max(0.0, begin + n * interval - time.perf_counter()))
            tasks.append(asyncio.create_task(one(client)))
        await asyncio.gather(*tasks)
    return latencies


async def keep_workers_busy(package: str, database_url: str, seconds: float) -> None:
    """Queue enough 2-second jobs (high priority) to keep every worker busy for `seconds`."""
    settings_module = importlib.import_module(f"{package}.settings")
    db = importlib.import_module(f"{package}.db")
    jobs = importlib.import_module(f"{package}.jobs")
    relay_module = importlib.import_module(f"{package}.jobs.relay")
    backend = importlib.import_module(f"{package}.jobs.backend")
    busy_job = importlib.import_module("tests.test_jobs").steps
    settings = settings_module.Settings(
        _env_file=None, database_url=database_url, redis_url=REDIS_URL
    )
    data_access = db.DataAccess(settings)
    count = int(seconds / BUSY_JOB_SECONDS + 2) * WORKER_CONCURRENCY
    try:
        async with data_access.write() as session:
            for _ in range(count):
                await jobs.enqueue(session, busy_job, count=10, pause_seconds=BUSY_JOB_SECONDS / 10)
        relay = relay_module.OutboxRelay(data_access, backend.create_publisher(settings))
        await relay.relay_all()
    finally:
        await data_access.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(package: str, slug_command: str) -> list[Comparison]:
    sys.path.insert(0, str(Path.cwd()))
    schema = importlib.import_module(f"{package}.db.schema")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with fresh_database() as database_url:
        asyncio.run(schema.create_schema(database_url))
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(Path.cwd()),
        }
        env.pop("CELERY_BROKER_URL", None)
        commands = [
            [slug_command, "serve", "--port", str(port)],
            [
                *(slug_command, "worker", "--concurrency", str(WORKER_CONCURRENCY)),
                *("--include", "tests.test_jobs"),
            ],
            [slug_command, "scheduler"],
        ]
        with processes(commands, env):
            asyncio.run(wait_until_serving(base_url))
            time.sleep(3)  # the worker's start-up
            asyncio.run(steady_posts(base_url, 2))  # warm-up
            idle = asyncio.run(steady_posts(base_url, PHASE_SECONDS))
            asyncio.run(keep_workers_busy(package, database_url, PHASE_SECONDS + 2))
            time.sleep(1)
            busy = asyncio.run(steady_posts(base_url, PHASE_SECONDS))
    results = []
    for case, share in (("p50", 0.5), ("p99", 0.99)):
        idle_us, busy_us = percentile(idle, share), percentile(busy, share)
        results.append(
            Comparison(
                case=f"POST /api/v1/reports {case}, {REQUESTS_PER_SECOND} req/s",
                subject=f"workers busy with {BUSY_JOB_SECONDS:.0f} s jobs",
                baseline="idle workers",
                subject_us=round(busy_us, 1),
                baseline_us=round(idle_us, 1),
                ratio=round(busy_us / idle_us, 3),
            )
        )
    print(f"idle mean {statistics.mean(idle):.0f} µs, busy mean {statistics.mean(busy):.0f} µs")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", required=True)
    parser.add_argument("--output", required=True, type=Path)
    args = parser.parse_args()
    scripts = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    command = str(Path(sys.executable).parent / next(iter(scripts)))
    results: list[Any] = [result.as_json() for result in measure(args.package, command)]
    args.output.write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main()
