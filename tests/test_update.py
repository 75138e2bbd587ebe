"""Update tier: a project generated from an older release takes a newer one with `copier update`.

A temporary clone of the template's working tree is tagged v0.1.0. On top of it a checklist fix is
tagged v0.2.0: a changed docstring line in a generated module, a new generated file, and a
`_migrations` entry that moves files the template never rendered (decision records kept in
`docs/decisions/` go to `docs/adr/`). Projects generated from v0.1.0 then update, for each job
backend: untouched, with a user's edits, with a real conflict, and switching job backends.

Only the edited and the switched projects run their own suites (installing a project costs tens
of seconds on two cores); the others are compared file for file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import jinja2
import pytest
import yaml

from .conftest import JOBS, ROOT, copier_cli, run, uv_sync

OLD, NEW = "v0.1.0", "v0.2.0"
ANSWERS = {"project_name": "Acme Orders", "description": "Takes and tracks orders for Acme."}
PACKAGE = "acme_orders"
BACKENDS = {"celery": JOBS["celery-redis"], "rq": JOBS["rq"]}
OTHER_BACKEND = {"celery": "rq", "rq": "celery"}
BACKEND_MODULE = {"celery": "jobs/celery_app.py", "rq": "jobs/rq_queues.py"}
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Compound Tests",
    "GIT_AUTHOR_EMAIL": "tests@compound.invalid",
    "GIT_COMMITTER_NAME": "Compound Tests",
    "GIT_COMMITTER_EMAIL": "tests@compound.invalid",
}
# The generated suites run embedded here: the update, not the services, is under test.
SERVICE_VARIABLES = {
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "COMPOUND_REQUIRE_SERVICES",
}
# Built rather than written out, so that this file holds no conflict marker itself.
CONFLICT_MARKERS = (b"<" * 7 + b" ", b">" * 7 + b" ")
NOT_PROJECT_FILES = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}

FIXED_DOCSTRING = "Checked against the architecture checklist in v0.2.0."
USERS_DOCSTRING = "Owned by the Acme orders team."
USERS_PARAGRAPH = "Acme Orders takes orders from the shop and the call centre, in that order."
USERS_DEPENDENCY = '    "python-dateutil>=2.9",'
USERS_ROUTE_MODULE = '''"""Opening hours of the Acme shop: a route the Acme team added."""

from fastapi import APIRouter

router = APIRouter()


@router.get("/opening-hours")
async def opening_hours() -> dict[str, str]:
    return {"weekdays": "08:00-18:00", "saturday": "09:00-13:00"}
'''
USERS_DECISION = "# 1. Orders are stored in PostgreSQL\n\nAccepted.\n"
ADR_README = """# Architecture decision records of {{ project_name }}

One file per decision, numbered: `0001-short-title.md`, with context, decision, consequences.
"""
MIGRATION_COMMAND = (
    "test ! -d docs/decisions"
    " || { mkdir -p docs/adr && git mv docs/decisions/* docs/adr/ && rm -rf docs/decisions; }"
)
MIGRATION = """
_migrations:
  # v0.2.0 keeps decision records in docs/adr/, next to the template's README there; a project's
  # own records in docs/decisions/ move along (the template never rendered them, so only this can).
  - version: v0.2.0
    when: "{{ _stage == 'before' }}"
    command: "MIGRATION_COMMAND"
""".replace("MIGRATION_COMMAND", MIGRATION_COMMAND)


@dataclass(frozen=True)
class Releases:
    """The temporary template repository and the generated file its v0.2.0 fixes."""

    template: Path
    fixed_module: str  # path in a generated project of the module whose docstring v0.2.0 fixes
    fixed_line: str  # that docstring line after the fix
    original_line: str  # the same line in v0.1.0


def git(*args: str, cwd: Path) -> str:
    result = run(["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args], cwd)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def commit_all(repository: Path, message: str) -> None:
    git("add", "-A", cwd=repository)
    git("commit", "-q", "-m", message, cwd=repository)


def clone_working_tree(destination: Path) -> None:
    """Copy what copier would render from the working tree (tracked and untracked, not ignored)."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for name in sorted(set(filter(None, listed.split("\0")))):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git("init", "-q", cwd=destination)


def docstring_line(line: str, text: str) -> str:
    """`line` (a module's opening docstring line) with its text replaced, still valid Python."""
    closes = line.rstrip().endswith('"""') and len(line.strip()) > 6
    return f'"""{text}"""' if closes else f'"""{text}'


def module_to_fix(template: Path) -> Path:
    """A plain (not Jinja) generated module opening with a docstring, whose line v0.2.0 changes."""
    source = template / "template" / "src" / "{{ package_name }}"
    for module in sorted(source.rglob("*.py")):
        if "{" not in str(module.relative_to(source)) and module.read_text().startswith('"""'):
            return module
    raise AssertionError(f"no plain module opening with a docstring under {source}")


def with_migration(copier_yml: str) -> str:
    """copier.yml with the v0.2.0 migration appended to its `_migrations` (created if absent)."""
    lines = copier_yml.rstrip("\n").splitlines()
    if "_migrations:" not in lines:
        return "\n".join(lines) + "\n" + MIGRATION
    start = lines.index("_migrations:") + 1
    end = start
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " -#"):
        end += 1
    entry = MIGRATION.split("_migrations:\n", 1)[1].rstrip("\n").splitlines()
    items = [line for line in lines[start:end] if line.lstrip().startswith("- ")]
    indent = len(items[0]) - len(items[0].lstrip()) if items else 2
    entry = [line[2 - indent :] if indent < 2 else " " * (indent - 2) + line for line in entry]
    return "\n".join([*lines[:end], *entry, *lines[end:]]) + "\n"


def release_fix(template: Path) -> Releases:
    """Commit and tag v0.2.0: a docstring fix, a new generated file and a migration."""
    module = module_to_fix(template)
    lines = module.read_text().splitlines(keepends=True)
    original_line = lines[0].rstrip("\n")
    fixed_line = docstring_line(original_line, FIXED_DOCSTRING)
    module.write_text("".join([fixed_line + "\n", *lines[1:]]))
    adr_readme = template / "template" / "docs" / "adr" / "README.md.jinja"
    assert not adr_readme.exists(), "the v0.2.0 fix must add a file that v0.1.0 did not render"
    adr_readme.parent.mkdir(parents=True, exist_ok=True)
    adr_readme.write_text(ADR_README)
    copier_yml = template / "copier.yml"
    copier_yml.write_text(with_migration(copier_yml.read_text()))
    commit_all(template, "Checklist fix: docstring, ADR folder, migration of decision records")
    git("tag", NEW, cwd=template)
    relative = module.relative_to(template / "template" / "src" / "{{ package_name }}")
    return Releases(template, f"src/{PACKAGE}/{relative}", fixed_line, original_line)


@pytest.fixture(scope="module", autouse=True)
def git_identity() -> Iterator[None]:
    """Commits in temporary repositories need an author, whatever the machine's git config."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in GIT_IDENTITY.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory, git_identity: None) -> Releases:
    template = tmp_path_factory.mktemp("template")
    clone_working_tree(template)
    commit_all(template, "Release 0.1.0")
    git("tag", OLD, cwd=template)
    return release_fix(template)


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def generate(releases: Releases, destination: Path, version: str | None, **data: Any) -> Path:
    """`copier copy` of one release (the newest with `version=None`), committed as a user would."""
    copier.run_copy(
        str(releases.template),
        str(destination),
        data={**ANSWERS, **data},
        vcs_ref=version,
        defaults=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
    )
    git("init", "-q", cwd=destination)
    commit_all(destination, "Generated with Compound")
    return destination


def update(project: Path, conflict: str = "inline", **data: Any) -> Path:
    """`copier update --defaults` to the newest release, as the docs tell a user to run it."""
    copier.run_update(
        str(project),
        data=data,
        defaults=True,
        overwrite=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
        conflict=conflict,  # type: ignore[arg-type]
    )
    return project


def project_files(project: Path) -> dict[str, bytes]:
    """Every file of a project by relative path, without git's and tools' state."""
    files = {}
    for directory, subdirectories, names in os.walk(project):
        subdirectories[:] = [name for name in subdirectories if name not in NOT_PROJECT_FILES]
        for name in names:
            path = Path(directory, name)
            files[path.relative_to(project).as_posix()] = path.read_bytes()
    return files


def leftovers(project: Path) -> list[str]:
    """Files holding conflict markers, and `.rej` files: what an update leaves to resolve."""
    found = []
    for name, content in project_files(project).items():
        marked = any(line.startswith(CONFLICT_MARKERS) for line in content.splitlines())
        if marked or name.endswith(".rej"):
            found.append(name)
    return sorted(found)


def dependency_names(project: Path) -> set[str]:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    names = set()
    for requirement in pyproject["project"]["dependencies"]:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert name, requirement
        names.add(name.group().lower())
    return names


def run_project_suite(project: Path) -> None:
    uv_sync(project)
    embedded = {name: value for name, value in os.environ.items() if name not in SERVICE_VARIABLES}
    result = subprocess.run(
        [".venv/bin/pytest", "-q", "-x", "-p", "no:cacheprovider"],
        cwd=project,
        env=embedded,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]


def run_conflict_check(project: Path) -> tuple[int, str]:
    """The generated project's own check, alone: it needs only pytest and the standard library."""
    command = [sys.executable, "-m", "pytest", "-q", "--noconftest", "-p", "no:cacheprovider"]
    result = run([*command, "tests/test_no_conflicts.py"], project)
    return result.returncode, result.stdout + result.stderr


# --- the template's promises about updates, read from copier.yml --------------------------------


def copier_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / "copier.yml").read_text())
    return config


def test_every_question_has_a_default() -> None:
    """`copier update --defaults` never stops on a question, even one added by a later release."""
    questions = {name: spec for name, spec in copier_config().items() if not name.startswith("_")}
    assert questions
    missing = [name for name, spec in questions.items() if "default" not in spec]
    assert not missing, f"questions without a default: {missing}"


def test_tasks_run_on_copy_only() -> None:
    """An update runs no set-up script: every task's `when` is false for the update operation."""
    tasks = copier_config().get("_tasks", [])
    for task in tasks:
        assert isinstance(task, dict) and "when" in task, f"task without a `when`: {task}"
        for operation, expected in (("copy", True), ("update", False)):
            rendered = jinja2.Template(task["when"]).render(_copier_operation=operation).strip()
            assert (rendered.lower() not in ("", "false")) is expected, (operation, task["when"])


def test_migrations_use_the_current_format() -> None:
    """copier 9.3 replaced `before`/`after` lists with one `command` per entry."""
    for migration in copier_config().get("_migrations", []):
        assert isinstance(migration, str | list) or "command" in migration, migration
        assert not isinstance(migration, dict) or not {"before", "after"} & migration.keys()


# --- update without edits --------------------------------------------------------------------


@pytest.fixture(scope="module")
def unedited(
    releases: Releases, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A v0.1.0 project updated untouched, and a fresh copy of v0.2.0 with the same answers.

    The update is the command line the docs give, tasks included: they must not run on update.
    """
    base = tmp_path_factory.mktemp(f"unedited-{backend}")
    updated = generate(releases, base / "updated", OLD, **BACKENDS[backend])
    result = copier_cli("update", "--trust", "--defaults", cwd=updated)
    assert result.returncode == 0, result.stdout + result.stderr
    ran = [line for line in result.stderr.splitlines() if "Running task" in line]
    assert ran == [f" > Running task 1 of 1: {MIGRATION_COMMAND}"], "only the migration runs"
    fresh = generate(releases, base / "fresh", None, **BACKENDS[backend])
    return updated, fresh


@pytest.mark.slow
def test_update_without_edits_equals_fresh_copy(
    unedited: tuple[Path, Path], releases: Releases
) -> None:
    updated, fresh = (project_files(project) for project in unedited)
    for files in (updated, fresh):
        del files[".env"]  # secrets drawn at random on each copy; an update never rewrites it
    assert sorted(updated) == sorted(fresh)
    differing = [name for name in sorted(updated) if updated[name] != fresh[name]]
    assert not differing, f"files that differ from a fresh copy of {NEW}: {differing}"
    answers = yaml.safe_load(updated[".copier-answers.yml"])
    assert answers["_commit"] == NEW
    assert updated[releases.fixed_module].decode().startswith(releases.fixed_line + "\n")
    assert "docs/adr/README.md" in updated


# --- update with a user's edits --------------------------------------------------------------


def make_users_edits(project: Path) -> None:
    """What a team does in the weeks after `copier copy`, committed."""
    route_module = project / "src" / PACKAGE / "api" / "v1" / "opening_hours.py"
    route_module.write_text(USERS_ROUTE_MODULE)
    readme = project / "README.md"
    text = readme.read_text()
    assert ANSWERS["description"] + "\n" in text, "README.md renders the description on a line"
    readme.write_text(text.replace(ANSWERS["description"], USERS_PARAGRAPH, 1))
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert "dependencies = [\n" in text
    pyproject.write_text(
        text.replace("dependencies = [\n", f"dependencies = [\n{USERS_DEPENDENCY}\n", 1)
    )
    decision = project / "docs" / "decisions" / "0001-orders-in-postgresql.md"
    decision.parent.mkdir(parents=True)
    decision.write_text(USERS_DECISION)
    commit_all(project, "Opening hours route, README, python-dateutil, first decision record")


@pytest.fixture(scope="module")
def edited(releases: Releases, backend: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = generate(
        releases, tmp_path_factory.mktemp(f"edited-{backend}") / "svc", OLD, **BACKENDS[backend]
    )
    make_users_edits(project)
    secrets = (project / ".env").read_bytes()
    update(project)
    assert (project / ".env").read_bytes() == secrets, "the update rewrote .env"
    return project


@pytest.mark.slow
def test_template_fix_arrives_in_an_edited_project(edited: Path, releases: Releases) -> None:
    assert (edited / releases.fixed_module).read_text().startswith(releases.fixed_line + "\n")
    assert (
        "Architecture decision records of Acme Orders"
        in (edited / "docs" / "adr" / "README.md").read_text()
    )
    assert yaml.safe_load((edited / ".copier-answers.yml").read_text())["_commit"] == NEW


@pytest.mark.slow
def test_users_edits_stay_after_update(edited: Path) -> None:
    route_module = edited / "src" / PACKAGE / "api" / "v1" / "opening_hours.py"
    assert route_module.read_text() == USERS_ROUTE_MODULE
    readme = (edited / "README.md").read_text()
    assert USERS_PARAGRAPH in readme and ANSWERS["description"] not in readme
    assert USERS_DEPENDENCY in (edited / "pyproject.toml").read_text()
    assert "python-dateutil" in dependency_names(edited)


@pytest.mark.slow
def test_migration_moves_the_users_decision_records(edited: Path) -> None:
    assert not (edited / "docs" / "decisions").exists()
    moved = edited / "docs" / "adr" / "0001-orders-in-postgresql.md"
    assert moved.read_text() == USERS_DECISION
    tracked = git("ls-files", "docs", cwd=edited).split()
    assert "docs/adr/0001-orders-in-postgresql.md" in tracked, "git mv keeps the record's history"


@pytest.mark.slow
def test_edited_update_leaves_no_conflict(edited: Path) -> None:
    assert leftovers(edited) == []
    assert git("diff", "--name-only", "--diff-filter=U", cwd=edited) == ""


@pytest.mark.slow
def test_edited_project_passes_its_tests_after_update(edited: Path) -> None:
    run_project_suite(edited)


# --- a real conflict: the user and the template changed the same line -------------------------


def conflicted_project(releases: Releases, destination: Path, backend: str, mode: str) -> Path:
    project = generate(releases, destination, OLD, **BACKENDS[backend])
    module = project / releases.fixed_module
    text = module.read_text()
    assert text.startswith(releases.original_line + "\n")
    users_line = docstring_line(releases.original_line, USERS_DOCSTRING)
    module.write_text(users_line + text[len(releases.original_line) :])
    commit_all(project, "Our own module docstring")
    return update(project, conflict=mode)


@pytest.fixture(scope="module")
def conflicted_inline(
    releases: Releases, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    base = tmp_path_factory.mktemp(f"conflict-inline-{backend}")
    return conflicted_project(releases, base / "svc", backend, "inline")


@pytest.fixture(scope="module")
def conflicted_rej(
    releases: Releases, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    base = tmp_path_factory.mktemp(f"conflict-rej-{backend}")
    return conflicted_project(releases, base / "svc", backend, "rej")


@pytest.mark.slow
def test_inline_conflict_is_marked_in_the_file(conflicted_inline: Path, releases: Releases) -> None:
    text = (conflicted_inline / releases.fixed_module).read_text()
    assert "<" * 7 + " before updating" in text and ">" * 7 + " after updating" in text
    assert USERS_DOCSTRING in text and FIXED_DOCSTRING in text
    assert leftovers(conflicted_inline) == [releases.fixed_module]
    unmerged = git("diff", "--name-only", "--diff-filter=U", cwd=conflicted_inline).split()
    assert unmerged == [releases.fixed_module], "git status must list the conflict as unmerged"
    assert (conflicted_inline / "docs" / "adr" / "README.md").exists(), "the rest still arrives"


@pytest.mark.slow
def test_rejected_change_is_left_in_a_rej_file(conflicted_rej: Path, releases: Releases) -> None:
    assert leftovers(conflicted_rej) == [f"{releases.fixed_module}.rej"]
    assert USERS_DOCSTRING in (conflicted_rej / f"{releases.fixed_module}.rej").read_text()


@pytest.mark.slow
def test_generated_check_fails_on_conflict_markers(
    conflicted_inline: Path, releases: Releases
) -> None:
    returncode, output = run_conflict_check(conflicted_inline)
    assert returncode == 1, output
    assert f"conflict markers left by `copier update` in: {releases.fixed_module}" in output


@pytest.mark.slow
def test_generated_check_fails_on_rej_files(conflicted_rej: Path, releases: Releases) -> None:
    returncode, output = run_conflict_check(conflicted_rej)
    assert returncode == 1, output
    assert f"could not apply: {releases.fixed_module}.rej" in output


@pytest.mark.slow
def test_pre_commit_declares_both_conflict_checks(conflicted_inline: Path) -> None:
    config = yaml.safe_load((conflicted_inline / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    merge_conflict = hooks.get("check-merge-conflict")
    assert merge_conflict is not None, "check-merge-conflict hook missing"
    # Outside `git merge` the hook checks nothing unless told that a merge is under way.
    assert "--assume-in-merge" in merge_conflict.get("args", [])
    rejects = hooks.get("no-copier-conflicts")
    assert rejects is not None, "no-copier-conflicts hook missing"
    assert rejects["language"] == "fail"
    assert re.search(rejects["files"], "src/app.py.rej")
    assert not re.search(rejects["files"], "src/app.py")


# --- switching the job backend ----------------------------------------------------------------


@pytest.fixture(scope="module")
def switched(
    releases: Releases, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """A project of `backend`, updated in place to the other backend with `--data`."""
    other = OTHER_BACKEND[backend]
    project = generate(
        releases, tmp_path_factory.mktemp(f"switch-{backend}") / "svc", None, **BACKENDS[backend]
    )
    update(project, job_backend=other)
    return project, other


@pytest.mark.slow
def test_backend_switch_replaces_the_backends_files(
    switched: tuple[Path, str], backend: str
) -> None:
    project, other = switched
    package = project / "src" / PACKAGE
    assert not (package / BACKEND_MODULE[backend]).exists()
    assert (package / BACKEND_MODULE[other]).is_file()
    dependencies = dependency_names(project)
    assert other in dependencies and backend not in dependencies
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["job_backend"] == other
    assert ("celery_broker" in answers) is (other == "celery")
    assert leftovers(project) == []


@pytest.mark.slow
def test_switched_project_passes_its_tests(switched: tuple[Path, str]) -> None:
    run_project_suite(switched[0])
