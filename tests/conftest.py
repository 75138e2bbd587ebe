"""Shared helpers of the template's own tests: rendering, answer combinations, services."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import copier
import pytest

from .pairwise import pairwise

ROOT = Path(__file__).resolve().parents[1]
REQUIRE_SERVICES = os.environ.get("COMPOUND_REQUIRE_SERVICES") == "1"

# The answers whose values change what is rendered. A "jobs" factor joins job_backend and
# celery_broker, since the broker is only asked for Celery.
JOBS = {
    "celery-redis": {"job_backend": "celery", "celery_broker": "redis"},
    "celery-rabbitmq": {"job_backend": "celery", "celery_broker": "rabbitmq"},
    "rq": {"job_backend": "rq"},
}
NAMING = {
    "defaults": {},
    "custom": {
        "project_name": "Acme Billing API",
        "project_slug": "acme-billing",
        "package_name": "acme_billing_core",
        "description": "Bills customers of Acme.",
        "author_name": "Acme Platform Team",
        "author_email": "platform@acme.test",
    },
}
FACTORS = {"jobs": list(JOBS), "with_examples": [True, False], "naming": list(NAMING)}


def answers_for(combination: dict[str, Any]) -> dict[str, Any]:
    """The copier data of one combination of factors."""
    return {
        **JOBS[combination["jobs"]],
        **NAMING[combination["naming"]],
        "with_examples": combination["with_examples"],
    }


def combination_id(combination: dict[str, Any]) -> str:
    examples = "examples" if combination["with_examples"] else "bare"
    return f"{combination['jobs']}-{examples}-{combination['naming']}"


PAIRWISE = pairwise(FACTORS)
PAIRWISE_IDS = [combination_id(combination) for combination in PAIRWISE]


def render(destination: Path, **data: Any) -> Path:
    """Render the working tree of the template with `data` (defaults for the rest), no tasks.

    `vcs_ref="HEAD"`: without it copier renders the latest release tag, not the code under test;
    with it, uncommitted changes of a local checkout are included too.
    """
    copier.run_copy(
        str(ROOT),
        str(destination),
        vcs_ref="HEAD",
        data=data,
        defaults=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
    )
    return destination


def run(
    command: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 900,
    inherit: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; the caller asserts on the result.

    `env` adds to this process's environment, or replaces it when `inherit` is false.
    """
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})} if inherit else dict(env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def uv_sync(project: Path) -> None:
    """Install a rendered project's dependencies into its own .venv (uv's cache makes it fast)."""
    env = {"VIRTUAL_ENV": "", "UV_PROJECT_ENVIRONMENT": str(project / ".venv")}
    result = run(["uv", "sync", "--quiet"], project, env)
    assert result.returncode == 0, result.stdout + result.stderr


def copier_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The copier command line, as a user runs it."""
    return run([sys.executable, "-m", "copier", *args], cwd)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """One render per pairwise combination, shared by the render and static tiers."""
    base = tmp_path_factory.mktemp("pairwise")
    projects = {
        combination_id(combination): render(
            base / combination_id(combination), **answers_for(combination)
        )
        for combination in PAIRWISE
    }
    yield projects
    shutil.rmtree(base, ignore_errors=True)


GENERATED_SUMMARIES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Show, at the end of the run, what each generated project's own suite did and where."""
    if GENERATED_SUMMARIES:
        terminalreporter.section("generated project suites")
        for line in GENERATED_SUMMARIES:
            terminalreporter.write_line(line)
