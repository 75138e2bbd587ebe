"""Liveness and readiness, in the health check response format (application/health+json).

`/health` answers as long as the process serves HTTP: an orchestrator restarts the process
when it fails, so it must not depend on anything a restart cannot fix. `/ready` checks each
configured dependency with a short timeout: a load balancer stops sending traffic while it
fails. A non-critical dependency (a replica, a broker behind an outbox) that fails makes the
status `warn`, and the service stays ready.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .logs import get_logger

HEALTH_CONTENT_TYPE = "application/health+json"
Status = Literal["pass", "warn", "fail"]

logger = get_logger(__name__)


class HealthResponse(JSONResponse):
    """A JSON response served as `application/health+json`."""

    media_type = HEALTH_CONTENT_TYPE


@dataclass(frozen=True)
class DependencyCheck:
    """One named dependency that `/ready` probes.

    `probe` raises when the dependency is unusable; it may return a short note (for example
    "replica lagging, reads go to the primary") that turns a pass into a warn.
    """

    name: str
    component_type: str
    probe: Callable[[], Awaitable[str | None]]
    critical: bool = True


async def _run_one(check: DependencyCheck, timeout_seconds: float) -> dict[str, Any]:
    started = time.perf_counter()
    status: Status = "pass"
    output: str | None = None
    try:
        async with asyncio.timeout(timeout_seconds):
            note = await check.probe()
        if note:
            status, output = "warn", note
    except TimeoutError:
        status, output = "fail", f"no answer within {timeout_seconds:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure of a probe is a failed check
        status, output = "fail", f"{type(exc).__name__}: {exc}"
    if status == "fail" and not check.critical:
        status = "warn"
    result: dict[str, Any] = {
        "componentType": check.component_type,
        "status": status,
        "observedValue": round((time.perf_counter() - started) * 1000, 3),
        "observedUnit": "ms",
        "time": datetime.now(UTC).isoformat(),
    }
    if output is not None:
        result["output"] = output
    return result


async def run_checks(checks: Sequence[DependencyCheck], timeout_seconds: float) -> dict[str, Any]:
    """Probe every dependency concurrently and fold the results into one health document."""
    results = await asyncio.gather(*(_run_one(check, timeout_seconds) for check in checks))
    statuses = {result["status"] for result in results}
    overall: Status = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"
    body: dict[str, Any] = {"status": overall, "checks": {}}
    for check, result in zip(checks, results, strict=True):
        body["checks"][check.name] = [result]
        if result["status"] != "pass":
            logger.warning("dependency_check", check=check.name, **result)
    return body


router = APIRouter(tags=["health"])


@router.get("/health", response_class=HealthResponse, summary="Liveness")
async def health() -> HealthResponse:
    """Answers while the process serves HTTP; checks nothing else."""
    return HealthResponse({"status": "pass"})


@router.get("/ready", response_class=HealthResponse, summary="Readiness")
async def ready(request: Request) -> HealthResponse:
    """Checks each configured dependency; 503 when a critical one fails."""
    checks: Sequence[DependencyCheck] = request.app.state.readiness_checks
    timeout: float = request.app.state.settings.ready_timeout_seconds
    body = await run_checks(checks, timeout)
    return HealthResponse(body, status_code=503 if body["status"] == "fail" else 200)
