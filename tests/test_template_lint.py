"""The template's own Python (hooks, tests, scripts, benchmarks) is held to the standard it
sets for generated projects: ruff's lint rules and its formatter."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import ROOT, run

SOURCES = [name for name in ("hooks", "tests", "scripts", "bench") if (ROOT / name).is_dir()]
RUFF = str(Path(sys.executable).parent / "ruff")


@pytest.mark.parametrize(
    "command", [["check"], ["format", "--check"]], ids=["ruff check", "ruff format"]
)
def test_template_python_is_clean(command: list[str]) -> None:
    result = run([RUFF, *command, "--no-cache", *SOURCES], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
