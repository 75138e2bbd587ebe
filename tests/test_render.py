"""Render tier: every answer value, pairwise, renders a clean project (seconds, no installs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .conftest import FACTORS, PAIRWISE, PAIRWISE_IDS, answers_for, combination_id
from .pairwise import pairwise, uncovered_pairs

# Jinja's own constructs, not any doubled brace: Python format strings use `{{` legitimately.
JINJA_SYNTAX = re.compile(
    r"\{\{-?\s*[A-Za-z_][\w.]*\s*(\|[^}]*)?-?\}\}"
    r"|\{%-?\s*(if|elif|else|endif|for|endfor|set|raw|endraw|include|from|import|macro)\b"
    r"|\{#"
)
# Files in which braces are legitimate: GitHub expressions and HTML templates.
JINJA_ALLOWED = {".github", "templates"}


# What tools and installs add to a rendered project; not part of the render.
NOT_RENDERED = {".git", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"}


def project_files(project: Path) -> list[Path]:
    return [
        path
        for path in sorted(project.rglob("*"))
        if path.is_file()
        and not NOT_RENDERED & set(path.relative_to(project).parts)
        and path.name != "uv.lock"
    ]


def test_pairwise_covers_every_pair_of_answer_values() -> None:
    covered = {
        (first, FACTORS[first].index(combo[first]), second, FACTORS[second].index(combo[second]))
        for combo in PAIRWISE
        for first in FACTORS
        for second in FACTORS
        if list(FACTORS).index(first) < list(FACTORS).index(second)
    }
    assert uncovered_pairs(FACTORS) <= covered
    # Fewer renders than the full product, or the helper is pointless.
    full_product = 1
    for values in FACTORS.values():
        full_product *= len(values)
    assert len(PAIRWISE) < full_product


def test_pairwise_builder_on_a_known_case() -> None:
    # Three binary factors are covered by four combinations (an orthogonal array).
    combos = pairwise({"a": [0, 1], "b": [0, 1], "c": [0, 1]})
    assert len(combos) == 4
    for first, second in (("a", "b"), ("a", "c"), ("b", "c")):
        assert {(c[first], c[second]) for c in combos} == {(0, 0), (0, 1), (1, 0), (1, 1)}


@pytest.mark.parametrize("combination_id", PAIRWISE_IDS)
def test_render_is_clean(rendered: dict[str, Path], combination_id: str) -> None:
    project = rendered[combination_id]
    leftovers = []
    blank_runs = []
    for path in project_files(project):
        relative = path.relative_to(project)
        assert not path.name.endswith(".jinja"), f"{relative} kept its .jinja suffix"
        text = path.read_text(encoding="utf-8")
        if not JINJA_ALLOWED & set(relative.parts) and JINJA_SYNTAX.search(text):
            leftovers.append(str(relative))
        if "\n\n\n\n" in text or (path.suffix == ".py" and text.startswith("\n")):
            blank_runs.append(str(relative))
        assert text.endswith("\n") or not text, f"{relative} does not end with a newline"
    assert not leftovers, f"Jinja syntax left in: {leftovers}"
    assert not blank_runs, f"runs of blank lines in: {blank_runs}"


@pytest.mark.parametrize("combination", PAIRWISE, ids=PAIRWISE_IDS)
def test_only_the_chosen_backend_is_rendered(
    rendered: dict[str, Path], combination: dict[str, object]
) -> None:
    answers = answers_for(combination)
    project = rendered[combination_id(combination)]
    package = project / "src" / str(answers.get("package_name", "my_service"))
    assert package.is_dir()
    celery = answers["job_backend"] == "celery"
    assert (package / "jobs" / "celery_app.py").exists() is celery
    assert (package / "jobs" / "rq_queues.py").exists() is not celery
    pyproject = (project / "pyproject.toml").read_text()
    assert ('"celery[redis]' in pyproject) is celery
    assert ('"rq>=' in pyproject) is not celery
    backend_source = "\n".join(p.read_text() for p in (package / "jobs").glob("*.py"))
    assert ("import rq" in backend_source or "from rq" in backend_source) is not celery
    assert ("from celery" in backend_source) is celery


@pytest.mark.parametrize("combination", PAIRWISE, ids=PAIRWISE_IDS)
def test_answers_file_records_answers_and_no_secret(
    rendered: dict[str, Path], combination: dict[str, object]
) -> None:
    project = rendered[combination_id(combination)]
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    for name, value in answers_for(combination).items():
        assert answers[name] == value
    assert answers["job_backend"] in {"celery", "rq"}
    if answers["job_backend"] == "rq":
        # Asked for Celery only, so it is not an answer of an RQ project.
        assert "celery_broker" not in answers
    env = (project / ".env").read_text()
    token = re.search(r"^ADMIN_TOKEN=([0-9a-f]{64})$", env, re.MULTILINE)
    assert token, env
    assert token.group(1) not in (project / ".copier-answers.yml").read_text()
    assert ".env" in (project / ".gitignore").read_text().splitlines()


def test_each_copy_gets_its_own_secret(rendered: dict[str, Path]) -> None:
    tokens = {(project / ".env").read_text() for project in rendered.values()}
    assert len(tokens) == len(rendered)


def test_every_setting_is_listed_in_env_example(rendered: dict[str, Path]) -> None:
    # The names of design.md's settings contract.
    contract = [
        "DATABASE_URL",
        "DATABASE_REPLICA_URL",
        "REDIS_URL",
        "ADMIN_TOKEN",
        "LOG_FORMAT",
        "LOG_LEVEL",
        "IDEMPOTENCY_TTL_HOURS",
        "READ_YOUR_WRITES_SECONDS",
    ]
    for name, project in rendered.items():
        example = (project / ".env.example").read_text()
        missing = [setting for setting in contract if setting not in example]
        assert not missing, f"{name}: .env.example lacks {missing}"
        if name.startswith("celery"):
            assert "CELERY_BROKER_URL" in example
