"""Generated-suite tier: each job backend's project runs its own tests, embedded and on the
machine's real PostgreSQL, Redis and RabbitMQ.

Only a few chosen combinations run here (the render and static tiers cover the rest): a full
suite installs a project and runs it, which costs tens of seconds on two cores.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import GENERATED_SUMMARIES, JOBS, REQUIRE_SERVICES, render, run, uv_sync

pytestmark = pytest.mark.generated

POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
RABBITMQ = ("127.0.0.1", 5672)
SERVICE_VARIABLES = ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "CELERY_BROKER_URL")

SUITES = [
    ("celery-redis", "embedded"),
    ("rq", "embedded"),
    ("celery-redis", "services"),
    ("celery-rabbitmq", "services"),
    ("rq", "services"),
]


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def need(address: tuple[str, int], name: str) -> None:
    if not reachable(address):
        message = f"{name} is not reachable at {address[0]}:{address[1]}"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message}, and COMPOUND_REQUIRE_SERVICES=1")
        pytest.skip(message)


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL, dropped afterwards."""
    need(POSTGRES, "PostgreSQL")
    name = f"compound_{uuid.uuid4().hex[:12]}"
    created = run(["createdb", "-h", POSTGRES[0], "-U", "postgres", name], tmp_path)
    assert created.returncode == 0, created.stderr
    yield f"postgresql+asyncpg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}"
    run(["dropdb", "-h", POSTGRES[0], "-U", "postgres", "--if-exists", "--force", name], tmp_path)


def summary_line(output: str) -> str:
    """pytest's closing line, e.g. '42 passed, 1 warning in 9.81s'."""
    closing = re.compile(r"\d+ (passed|failed)")
    lines = [line.strip("= ") for line in output.splitlines() if closing.search(line)]
    return lines[-1] if lines else "(no summary)"


@pytest.mark.parametrize(("jobs", "mode"), SUITES, ids=[f"{j}-{m}" for j, m in SUITES])
def test_generated_suite_passes(
    tmp_path: Path, request: pytest.FixtureRequest, jobs: str, mode: str
) -> None:
    project = render(tmp_path / "svc", **JOBS[jobs])
    uv_sync(project)
    # Embedded runs see no service variables at all, whatever the caller's environment holds,
    # and skip the tests that need a service (services runs below require them instead).
    unset = {*SERVICE_VARIABLES, "COMPOUND_REQUIRE_SERVICES"}
    env = {name: value for name, value in os.environ.items() if name not in unset}
    where = "embedded: SQLite, in-process jobs"
    if mode == "services":
        database_url = request.getfixturevalue("fresh_database")
        need(REDIS, "Redis")
        env.update(
            DATABASE_URL=database_url,
            REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/{1 + len(GENERATED_SUMMARIES) % 14}",
            COMPOUND_REQUIRE_SERVICES="1",
        )
        where = "services: PostgreSQL, Redis"
        if jobs == "celery-rabbitmq":
            need(RABBITMQ, "RabbitMQ")
            env["CELERY_BROKER_URL"] = f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}//"
            where += ", RabbitMQ"
    result = run([".venv/bin/pytest", "-q", "-p", "no:cacheprovider"], project, env, inherit=False)
    output = result.stdout + result.stderr
    summary = summary_line(output)
    GENERATED_SUMMARIES.append(f"{jobs} [{where}]: {summary}")
    assert result.returncode == 0, output[-6000:]
    if mode == "services":
        assert "skipped" not in summary, f"a services run skipped tests:\n{output[-4000:]}"
