"""Timing shared by the benchmarks: subject and baseline interleaved, ratios per round.

Each round times the subject and the baseline back to back (in alternating order) and yields
one ratio; the result is the median ratio. Drift of a busy machine (another process, a warming
cache) moves both sides of a round alike, so the ratio stays meaningful on a noisy laptop.

`compare` times awaitables (a database read, a request) and reports median times.
`compare_tight` times plain calls of a few microseconds in a tight loop and reports the best
round, as `timeit` does: on a shared machine a slower round measures the neighbours, not the
code, and an absolute target (flags: under 10 µs) needs the code's own time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

Operation = Callable[[], Awaitable[object]]
Call = Callable[[], object]


@dataclass(frozen=True)
class Comparison:
    """One line of the result table (the runner adds the benchmark's name)."""

    case: str
    subject: str
    baseline: str
    subject_us: float
    baseline_us: float
    ratio: float
    target_ratio: float | None = None
    target_us: float | None = None  # an absolute target for the subject, where there is one

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def _per_call_us(operation: Operation, iterations: int) -> float:
    started = time.perf_counter()
    for _ in range(iterations):
        await operation()
    return (time.perf_counter() - started) / iterations * 1e6


async def compare(
    subject: Operation,
    baseline: Operation,
    *,
    rounds: int = 41,
    iterations: int = 100,
    warmup: int = 200,
) -> tuple[float, float, float]:
    """Median microseconds per call of `subject` and `baseline`, and the median round ratio."""
    for _ in range(warmup):
        await subject()
        await baseline()
    subject_times: list[float] = []
    baseline_times: list[float] = []
    ratios: list[float] = []
    for round_number in range(rounds):
        # Alternate which side goes first, so neither always runs on a warmer machine.
        if round_number % 2 == 0:
            subject_us = await _per_call_us(subject, iterations)
            baseline_us = await _per_call_us(baseline, iterations)
        else:
            baseline_us = await _per_call_us(baseline, iterations)
            subject_us = await _per_call_us(subject, iterations)
        subject_times.append(subject_us)
        baseline_times.append(baseline_us)
        ratios.append(subject_us / baseline_us)
    return (
        statistics.median(subject_times),
        statistics.median(baseline_times),
        statistics.median(ratios),
    )


def _tight_loop_us(call: Call, iterations: int) -> float:
    started = time.perf_counter()
    for _ in range(iterations):
        call()
    return (time.perf_counter() - started) / iterations * 1e6


def compare_tight(
    subject: Call,
    baseline: Call,
    *,
    rounds: int = 31,
    iterations: int = 10_000,
) -> tuple[float, float, float]:
    """Best microseconds per call of `subject` and `baseline`, and the median round ratio."""
    for _ in range(iterations):
        subject()
        baseline()
    subject_times: list[float] = []
    baseline_times: list[float] = []
    ratios: list[float] = []
    for round_number in range(rounds):
        if round_number % 2 == 0:
            subject_us = _tight_loop_us(subject, iterations)
            baseline_us = _tight_loop_us(baseline, iterations)
        else:
            baseline_us = _tight_loop_us(baseline, iterations)
            subject_us = _tight_loop_us(subject, iterations)
        subject_times.append(subject_us)
        baseline_times.append(baseline_us)
        ratios.append(subject_us / baseline_us)
    return min(subject_times), min(baseline_times), statistics.median(ratios)
