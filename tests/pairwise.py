"""All-pairs combinations of answers: every pair of values of any two answers appears in at
least one combination, with far fewer renders than the full product.

A small greedy builder (in the spirit of AETG) is enough for a handful of answers and keeps
the template's tests free of one more dependency.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

Combination = dict[str, Any]


def uncovered_pairs(factors: Mapping[str, Sequence[Any]]) -> set[tuple[str, Any, str, Any]]:
    """Every (answer, value, other answer, other value) pair that a suite must cover."""
    names = list(factors)
    pairs = set()
    for first, second in itertools.combinations(names, 2):
        for a, b in itertools.product(range(len(factors[first])), range(len(factors[second]))):
            pairs.add((first, a, second, b))
    return pairs


def pairwise(factors: Mapping[str, Sequence[Any]]) -> list[Combination]:
    """Combinations (as index-free dicts of values) that cover every pair of values."""
    names = list(factors)
    todo = uncovered_pairs(factors)
    chosen: list[dict[str, int]] = []
    while todo:
        best: dict[str, int] | None = None
        best_gain = -1
        # The candidate space is tiny (a few answers of two or three values): try it all.
        for indexes in itertools.product(*(range(len(factors[name])) for name in names)):
            candidate = dict(zip(names, indexes, strict=True))
            gain = sum(
                (first, candidate[first], second, candidate[second]) in todo
                for first, second in itertools.combinations(names, 2)
            )
            if gain > best_gain:
                best, best_gain = candidate, gain
        assert best is not None
        chosen.append(best)
        todo -= {
            (first, best[first], second, best[second])
            for first, second in itertools.combinations(names, 2)
        }
    return [{name: factors[name][index] for name, index in combo.items()} for combo in chosen]
