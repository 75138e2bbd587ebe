"""Static tier: every pairwise render passes ruff, ruff format and strict mypy."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import PAIRWISE_IDS, run, uv_sync

pytestmark = pytest.mark.static

CHECKS = {
    "ruff check": [".venv/bin/ruff", "check", "--no-cache", "."],
    "ruff format": [".venv/bin/ruff", "format", "--check", "--no-cache", "."],
    "mypy": [".venv/bin/mypy"],
}


@pytest.mark.parametrize("combination_id", PAIRWISE_IDS)
def test_rendered_project_passes_lint_format_and_types(
    rendered: dict[str, Path], combination_id: str
) -> None:
    project = rendered[combination_id]
    uv_sync(project)
    failures = []
    for name, command in CHECKS.items():
        result = run(command, project)
        if result.returncode != 0:
            failures.append(f"--- {name} ---\n{result.stdout}{result.stderr}")
    assert not failures, "\n".join(failures)
