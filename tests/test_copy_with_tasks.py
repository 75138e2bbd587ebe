"""`copier copy` as a user runs it, tasks included: the project ends installed, committed, green.

One full copy (the default answers) is shared by the checks; it installs the generated project
from uv's cache and runs its suite, which is why the module is marked slow.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TEMPLATE = Path(__file__).resolve().parents[1]
# A fresh laptop: the generated suite runs embedded, without the services CI may point at.
SERVICE_VARIABLES = (
    "DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "CELERY_BROKER_URL",
    "COMPOUND_REQUIRE_SERVICES",
)  # fmt: skip


def copier_copy(destination: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """The copier command line with the default answers, its output captured."""
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    # git must not find a repository above the temporary directory and skip its step.
    env["GIT_CEILING_DIRECTORIES"] = str(destination.parent)
    return subprocess.run(
        # --vcs-ref HEAD: the code under test, not the latest release tag.
        [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
         *options, str(TEMPLATE), str(destination)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip


def in_project(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def copied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The project generated with its tasks, and everything copier and the hook printed."""
    project = tmp_path_factory.mktemp("copy-with-tasks") / "svc"
    result = copier_copy(project)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return project, output


def test_output_shows_each_step_and_a_passing_test_run(copied: tuple[Path, str]) -> None:
    _, output = copied
    assert re.search(
        r"^\[1/4\] Creating the virtual environment with uv \.\.\. done in", output, re.M
    )
    assert re.search(r"^\[2/4\] Installing .* \.\.\. done in", output, re.M)
    assert re.search(r"^\[3/4\] Creating the git repository .* \.\.\. done in", output, re.M)
    assert re.search(
        r"^\[4/4\] Running the test suite \.\.\. done in .* \(\d+ passed", output, re.M
    )
    assert "Set-up stopped" not in output


def test_package_is_installed_editable_in_the_project_venv(copied: tuple[Path, str]) -> None:
    project, _ = copied
    python = project / ".venv" / "bin" / "python"
    result = in_project(project, str(python), "-c", "import my_service; print(my_service.__file__)")
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(project / "src" / "my_service")
    assert (project / "uv.lock").is_file()


def test_first_commit_holds_the_project_and_the_lock_but_not_the_secrets(
    copied: tuple[Path, str],
) -> None:
    project, _ = copied
    assert in_project(project, "git", "rev-list", "--count", "HEAD").stdout.strip() == "1"
    committed = in_project(project, "git", "ls-files").stdout.splitlines()
    assert {"pyproject.toml", ".copier-answers.yml", "uv.lock", "src/my_service/app.py"} <= set(
        committed
    )
    assert (project / ".env").is_file()
    assert ".env" not in committed
    assert in_project(project, "git", "check-ignore", "--quiet", ".env").returncode == 0
    assert in_project(project, "git", "status", "--porcelain").stdout == ""  # nothing left over


def test_skip_tasks_renders_without_environment_or_repository(tmp_path: Path) -> None:
    project = tmp_path / "svc"

    result = copier_copy(project, "--skip-tasks")

    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "pyproject.toml").is_file()
    assert not (project / ".venv").exists()
    assert not (project / ".git").exists()
    assert not (project / "uv.lock").exists()
    assert "[1/4]" not in result.stdout + result.stderr
