"""Bad answers are refused with a message that says what is allowed, and leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import copier_cli, render


def test_bad_slug_is_refused_by_the_command_line(tmp_path: Path) -> None:
    destination = tmp_path / "service"
    result = copier_cli(
        "copy",
        "--trust",
        "--defaults",
        "--data",
        "project_slug=Bad Slug!",
        str(Path(__file__).resolve().parents[1]),
        str(destination),
        cwd=tmp_path,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "project_slug 'Bad Slug!' is not allowed" in output
    assert "lowercase letters, digits and single hyphens" in output
    assert not destination.exists()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project_slug": "Bad Slug!"}, "use lowercase letters, digits and single hyphens"),
        ({"project_slug": "9lives"}, "starting with a letter"),
        ({"project_slug": "double--hyphen"}, "single hyphens"),
        ({"project_slug": "trailing-"}, "not ending with a hyphen"),
        ({"package_name": "my-service"}, "is not a valid Python identifier"),
        ({"package_name": "1st_service"}, "is not a valid Python identifier"),
        ({"package_name": "class"}, "is a Python keyword"),
        ({"package_name": "match"}, "is a Python keyword"),
        ({"package_name": "json"}, "would shadow the standard library module"),
        ({"package_name": "asyncio"}, "would shadow the standard library module"),
        ({"package_name": "celery"}, "would shadow a dependency"),
        ({"project_name": "  "}, "project_name must not be empty"),
        ({"author_email": "not-an-email"}, "is not an email address"),
        ({"job_backend": "dramatiq"}, "dramatiq"),
    ],
)
def test_bad_answer_is_refused_with_its_message(
    tmp_path: Path, answers: dict[str, str], message: str
) -> None:
    destination = tmp_path / "service"
    with pytest.raises(ValueError, match=message):
        render(destination, **answers)
    assert not destination.exists()


@pytest.mark.parametrize(
    "answers",
    [
        {"project_slug": "a"},
        {"project_slug": "payments-v2", "package_name": "payments_v2"},
        {"package_name": "_private_service"},
        {"project_name": "Ünïcode Façade Service"},
    ],
)
def test_good_answers_are_accepted(tmp_path: Path, answers: dict[str, str]) -> None:
    project = render(tmp_path / "service", **answers)
    assert (project / "pyproject.toml").exists()


def test_slug_and_package_default_from_the_project_name(tmp_path: Path) -> None:
    project = render(tmp_path / "service", project_name="Acme  Payments (EU)")
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "acme-payments-eu"' in pyproject
    assert (project / "src" / "acme_payments_eu").is_dir()
