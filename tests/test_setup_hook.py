"""The set-up hook's step runner and plan, on tiny projects with real subprocesses.

The full hook, run by `copier copy` on a generated project, is exercised by
test_copy_with_tasks.py (slow); these tests pin down its behaviour at the edges: a failing
step, git inside an existing repository, an identity-less git, the pip fallback.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hooks import setup_project as hook

PYPROJECT = """\
[project]
name = "tiny"
version = "0.1.0"
requires-python = ">=3.11"
authors = [{ name = "Ada Lovelace", email = "ada@example.com" }]
dependencies = []

[dependency-groups]
lint = ["ruff>=0.6"]
typing = ["mypy>=1.11", { include-group = "lint" }]
dev = ["pytest>=8.2", { include-group = "typing" }, "httpx>=0.27"]
"""

PRINT_100_LINES_AND_FAIL = (
    "import sys; print(*(f'line {i}' for i in range(100)), sep='\\n'); sys.exit(3)"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny project, with git discovery stopped above it so the test machine's repos stay out."""
    directory = tmp_path / "tiny"
    directory.mkdir()
    (directory / "pyproject.toml").write_text(PYPROJECT)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return directory


def run_steps(steps: list[hook.Step], project: Path) -> tuple[int, str]:
    """Run steps as the hook does and return its exit status and what it printed."""
    out = io.StringIO()
    status = hook.run_steps(steps, project, hook.step_environment(project), out)
    return status, out.getvalue()


def git(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(("git", *args), cwd=project, capture_output=True, text=True, check=False)


def without_git_identity(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """A machine where git knows nobody: no config files, no GIT_* names, no guessing."""
    for variable in (
        "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL",
    ):  # fmt: skip
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "user.useConfigOnly")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "true")


# --- The step runner ------------------------------------------------------------------------


def test_failing_step_reports_its_name_output_tail_and_the_commands_left(project: Path) -> None:
    (project / ".copier-answers.yml").write_text("_src_path: /templates/compound\n")
    failing = (sys.executable, "-c", PRINT_100_LINES_AND_FAIL)
    never_run = (sys.executable, "-c", "open('never-run', 'w').close()")
    steps = [
        hook.Step("Printing and failing", (failing,)),
        hook.Step("Writing a marker", (never_run,)),
    ]

    status, output = run_steps(steps, project)

    assert status != 0
    assert re.search(r"^\[1/2\] Printing and failing \.\.\. failed after \d+\.\d s$", output, re.M)
    assert "Set-up stopped at step 1/2 (Printing and failing)" in output
    assert "exited with status 3" in output
    assert "line 70" in output and "line 99" in output  # the last 30 lines ...
    assert "line 69" not in output  # ... and nothing before them
    manual = output.split("To finish the set-up by hand")[1]
    assert f"cd {shlex.quote(str(project))}" in manual
    assert shlex.join(failing) in manual and shlex.join(never_run) in manual
    assert manual.index(shlex.join(failing)) < manual.index(shlex.join(never_run))
    regenerate = output.split("If the directory is gone")[1].splitlines()[1:]
    assert [line.strip() for line in regenerate] == [
        f"copier copy --trust --skip-tasks /templates/compound {shlex.quote(str(project))}",
        f"cd {shlex.quote(str(project))}",
        shlex.join(failing),
        shlex.join(never_run),
    ]
    assert "[2/2]" not in output
    assert not (project / "never-run").exists()


def test_successful_step_shows_its_time_and_summary_but_not_its_output(project: Path) -> None:
    noisy = (sys.executable, "-c", "print('noisy detail'); print('3 passed')")
    step = hook.Step("Talking", (noisy,), summarize=lambda output: output.splitlines()[-1])

    status, output = run_steps([step], project)

    assert status == 0
    assert re.search(r"^\[1/1\] Talking \.\.\. done in \d+\.\d s \(3 passed\)$", output, re.M)
    assert "noisy detail" not in output
    assert "Set-up finished" in output


def test_failed_step_removes_what_it_created_and_keeps_what_was_there(project: Path) -> None:
    (project / "kept").mkdir()
    make_then_fail = (
        sys.executable, "-c",
        "import pathlib; pathlib.Path('made/inner').mkdir(parents=True);"
        " pathlib.Path('kept/file').touch(); raise SystemExit(1)",
    )  # fmt: skip
    step = hook.Step("Half-making things", (make_then_fail,), creates=("made", "kept"))

    status, _ = run_steps([step], project)

    assert status != 0
    assert not (project / "made").exists()
    assert (project / "kept" / "file").exists()


def test_missing_executable_is_a_failed_step_not_a_crash(project: Path) -> None:
    status, output = run_steps([hook.suite_step()], project)

    assert status != 0
    assert "Set-up stopped at step 1/1 (Running the test suite)" in output
    assert f"cannot run {hook.venv_executable('pytest')}" in output


# --- The whole hook, stopped by a failed install ------------------------------------------


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")
def test_failed_install_stops_before_git_and_tests(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "dependencies = []", 'dependencies = ["missing @ file:///nonexistent/missing"]'
        )
        + "\n[tool.uv]\npackage = false\n"
    )
    out = io.StringIO()

    status = hook.main(["--project-dir", str(project), "--package", "tiny", "--slug", "tiny"], out)

    output = out.getvalue()
    assert status != 0
    assert "[1/4] Creating the virtual environment with uv ... done in" in output
    assert re.search(r"^\[2/4\] Installing .* \.\.\. failed after", output, re.M)
    assert "/nonexistent/missing" in output  # uv's own explanation, from the output's tail
    assert "[3/4]" not in output
    manual = output.split("To finish the set-up by hand")[1].splitlines()
    assert [line.strip() for line in manual[1:3]] == [f"cd {project}", "uv sync"]
    assert "    git init --quiet" in manual and "    .venv/bin/pytest -q" in manual
    assert not (project / ".git").exists()


# --- git -----------------------------------------------------------------------------------


def test_git_is_left_alone_inside_an_existing_work_tree(tmp_path: Path) -> None:
    outer = tmp_path / "monorepo"
    project = outer / "services" / "tiny"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    assert git(outer, "init", "--quiet").returncode == 0

    step = hook.git_step(project, "tiny")
    status, output = run_steps([step], project)

    assert status == 0
    assert f"skipped: already inside the git work tree at {outer}" in output
    assert not (project / ".git").exists()
    assert git(outer, "rev-parse", "--verify", "--quiet", "HEAD").returncode != 0  # no commit


def test_first_commit_holds_every_file_but_the_ignored_ones(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_git_identity(monkeypatch, tmp_path)
    (project / ".gitignore").write_text(".env\n")
    (project / ".env").write_text("ADMIN_TOKEN=secret\n")

    step = hook.git_step(project, "tiny")
    status, output = run_steps([step], project)

    assert status == 0, output
    committed = git(project, "ls-files").stdout.split()
    assert sorted(committed) == [".gitignore", "pyproject.toml"]
    log = git(project, "log", "--format=%an <%ae>|%s").stdout.splitlines()
    assert log == ["Ada Lovelace <ada@example.com>|Generate tiny with Compound"]
    assert git(project, "config", "user.name").stdout == ""  # the fallback is not persisted


def test_configured_identity_is_used_as_it_is(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_git_identity(monkeypatch, tmp_path)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Grace Hopper")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "grace@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Grace Hopper")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "grace@example.com")

    commit = hook.git_step(project, "tiny").commands[-1]

    assert commit[:2] == ("git", "commit")


def test_failed_commit_leaves_no_repository_behind(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = hook.git_step(project, "tiny")
    # The identity is planned before the commit runs; taking it away makes the commit fail.
    without_git_identity(monkeypatch, tmp_path)
    step = hook.Step(step.title, (*step.commands[:2], ("git", "commit", "-m", "x")), step.creates)

    status, output = run_steps([step], project)

    assert status != 0
    assert "Author identity unknown" in output or "no email was given" in output
    assert not (project / ".git").exists()


# --- Planning: uv, or venv and pip -----------------------------------------------------------


def test_pip_fallback_installs_the_project_editable_with_its_dev_group(project: Path) -> None:
    steps = hook.plan_steps(project, "tiny", "tiny", uv=None, python="/usr/bin/python3.11")

    create, install = steps[0], steps[1]
    assert create.title == "Creating the virtual environment with venv"
    assert create.commands == (("/usr/bin/python3.11", "-m", "venv", ".venv"),)
    pip_install, import_check = install.commands
    assert pip_install == (
        hook.venv_executable("python"), "-m", "pip", "install", "--disable-pip-version-check",
        "--editable", ".", "pytest>=8.2", "mypy>=1.11", "ruff>=0.6", "httpx>=0.27",
    )  # fmt: skip
    assert import_check == (hook.venv_executable("python"), "-c", "import tiny")


def test_uv_syncs_the_project_into_its_own_venv(project: Path) -> None:
    steps = hook.plan_steps(project, "tiny", "tiny", uv="/usr/bin/uv", python=sys.executable)

    assert [step.commands[0] for step in steps[:2]] == [("uv", "venv", ".venv"), ("uv", "sync")]
    assert steps[-1].commands == ((hook.venv_executable("pytest"), "-q"),)


def test_an_existing_venv_is_kept(project: Path) -> None:
    (project / ".venv").mkdir()

    creation = hook.plan_steps(project, "tiny", "tiny", uv="uv", python=sys.executable)[0]

    assert creation.skip_reason == ".venv already exists"


def test_uv_is_pointed_at_the_project_venv_not_the_callers(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/else/.venv")
    monkeypatch.setenv("UV_PROJECT_ENVIRONMENT", "/somewhere/else/.venv")

    env = hook.step_environment(project)

    assert "VIRTUAL_ENV" not in env
    assert env["UV_PROJECT_ENVIRONMENT"] == str(project / ".venv")


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ({"dev": ["pytest", {"include-group": "dev"}]}, "includes itself"),
        ({"test": ["pytest"]}, "no dependency group 'dev'"),
        ({"dev": [{"path": "."}]}, "entry pip cannot use"),
    ],
)
def test_unusable_dependency_groups_are_refused_with_a_reason(
    groups: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        hook.dependency_group({"dependency-groups": groups}, "dev")


def test_unusable_pyproject_stops_the_hook_before_any_step(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text("[project\n")
    monkeypatch.setenv("PATH", str(project))  # no uv: the pip path reads pyproject.toml first
    out = io.StringIO()

    status = hook.main(["--project-dir", str(project), "--package", "tiny", "--slug", "tiny"], out)

    assert status != 0
    assert out.getvalue().startswith("Set-up cannot start:")
    assert not (project / ".venv").exists()
