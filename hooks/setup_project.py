"""Set up a freshly generated Compound project: environment, first commit, first test run.

copier runs this script as a task after `copier copy` (never after `copier update`), with the
new project as the working directory:

    python hooks/setup_project.py --package my_service --slug my-service

It uses the standard library only, because it runs with copier's own interpreter before the
project has an environment of its own. Each step is shown with its elapsed time; the first
failing step stops the run with its output's tail and the commands that finish the set-up by
hand, so a user is never left guessing what state the project is in.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

VENV_DIR = ".venv"
OUTPUT_TAIL_LINES = 30
# Used for the first commit only when git has no identity of its own, so that a fresh machine
# still ends with a commit; the project's author (from pyproject.toml) is preferred.
FALLBACK_AUTHOR = ("Compound", "compound@localhost")

Command = tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """One user-visible stage of the set-up; its commands run in order in the project."""

    title: str
    commands: tuple[Command, ...] = ()
    # Paths (relative to the project) this step brings into being: removed again when the
    # step fails, so a half-made .venv or .git never passes for a finished one.
    creates: tuple[str, ...] = ()
    # When set, the step is shown with this reason and nothing runs.
    skip_reason: str | None = None
    # Turns the captured output of a successful step into a short note (e.g. "21 passed").
    summarize: Callable[[str], str] | None = None


@dataclass(frozen=True)
class Failure:
    """What went wrong in a step: the command that failed, its exit status and the output."""

    command: Command
    returncode: int
    output: str


# --- Planning: which steps, with which commands -------------------------------------------


def venv_executable(name: str) -> str:
    """Path of an executable inside the project's .venv, relative so it reads well when printed."""
    scripts = "Scripts" if os.name == "nt" else "bin"
    return str(Path(VENV_DIR, scripts, name))


def dependency_group(pyproject: Mapping[str, object], group: str) -> list[str]:
    """The requirements of a PEP 735 dependency group, `include-group` entries expanded.

    pip understands `--group` only from 25.1 on, and a new venv may ship an older pip, so the
    pip path passes the requirements themselves.
    """
    groups = pyproject.get("dependency-groups", {})
    if not isinstance(groups, dict):
        raise ValueError("[dependency-groups] in pyproject.toml is not a table")
    return _expand_group(groups, group, seen=())


def _expand_group(groups: Mapping[str, object], group: str, seen: tuple[str, ...]) -> list[str]:
    """Resolve one group recursively; `seen` is the include chain, to refuse cycles."""
    if group in seen:
        raise ValueError(f"dependency group {group!r} includes itself: {' -> '.join(seen)}")
    entries = groups.get(group)
    if not isinstance(entries, list):
        raise ValueError(f"pyproject.toml has no dependency group {group!r}")
    requirements: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            requirements.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("include-group"), str):
            requirements += _expand_group(groups, entry["include-group"], (*seen, group))
        else:
            raise ValueError(f"dependency group {group!r} has an entry pip cannot use: {entry!r}")
    return requirements


def read_pyproject(project_dir: Path) -> dict[str, object]:
    """The project's pyproject.toml as a dict."""
    with (project_dir / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def import_check(package: str) -> Command:
    """Importing the package from the venv proves the project itself got installed."""
    return (venv_executable("python"), "-c", f"import {package}")


def uv_install_steps(package: str) -> list[Step]:
    """Environment and install with uv: `uv sync` installs the dev group and writes uv.lock."""
    return [
        Step("Creating the virtual environment with uv", (("uv", "venv", VENV_DIR),), (VENV_DIR,)),
        Step(
            "Installing the project and its dev group with uv (writes uv.lock)",
            (("uv", "sync"), import_check(package)),
        ),
    ]


def pip_install_steps(project_dir: Path, package: str, python: str) -> list[Step]:
    """Environment and install without uv: the stdlib venv, then pip in editable mode."""
    requirements = dependency_group(read_pyproject(project_dir), "dev")
    pip_install = (
        venv_executable("python"), "-m", "pip", "install", "--disable-pip-version-check",
        "--editable", ".", *requirements,
    )  # fmt: skip
    return [
        Step(
            "Creating the virtual environment with venv",
            ((python, "-m", "venv", VENV_DIR),),
            (VENV_DIR,),
        ),
        Step(
            "Installing the project and its dev group with pip",
            (pip_install, import_check(package)),
        ),
    ]


def install_steps(project_dir: Path, package: str, uv: str | None, python: str) -> list[Step]:
    """uv when it is available (fast, and it locks); otherwise what every Python ships."""
    steps = uv_install_steps(package) if uv else pip_install_steps(project_dir, package, python)
    if (project_dir / VENV_DIR).exists():
        # A rerun keeps the environment it finds: neither `uv venv` nor a user wants it replaced.
        creation = steps[0]
        steps[0] = Step(creation.title, skip_reason=f"{VENV_DIR} already exists")
    return steps


def git_output(project_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a read-only git query in the project, never failing on its exit status."""
    return subprocess.run(
        ("git", *args), cwd=project_dir, capture_output=True, text=True, check=False
    )


def enclosing_work_tree(project_dir: Path) -> str | None:
    """The top of the git work tree that already holds the project, if any."""
    result = git_output(project_dir, "rev-parse", "--is-inside-work-tree", "--show-toplevel")
    lines = result.stdout.split()
    return lines[1] if result.returncode == 0 and lines[:1] == ["true"] else None


def git_has_identity(project_dir: Path) -> bool:
    """Whether `git commit` would find an author and committer (config or GIT_* variables)."""
    return all(
        git_output(project_dir, "var", variable).returncode == 0
        for variable in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT")
    )


def project_author(project_dir: Path) -> tuple[str, str]:
    """The first author of pyproject.toml, the natural name for a first commit."""
    project = read_pyproject(project_dir).get("project")
    authors = project.get("authors") if isinstance(project, dict) else None
    first = authors[0] if isinstance(authors, list) and authors else None
    if isinstance(first, dict):
        name, email = first.get("name"), first.get("email")
        if isinstance(name, str) and isinstance(email, str) and name and email:
            return name, email
    return FALLBACK_AUTHOR


def git_step(project_dir: Path, slug: str) -> Step:
    """git init and a first commit of every file, unless git already owns this directory."""
    title = "Creating the git repository and its first commit"
    if shutil.which("git") is None:
        return Step(title, skip_reason="git is not on PATH")
    toplevel = enclosing_work_tree(project_dir)
    if toplevel is not None:
        # The project was generated inside someone's repository: committing there is theirs to do.
        return Step(title, skip_reason=f"already inside the git work tree at {toplevel}")
    identity: Command = ()
    if not git_has_identity(project_dir):
        name, email = project_author(project_dir)
        identity = ("-c", f"user.name={name}", "-c", f"user.email={email}")
    commit = ("git", *identity, "commit", "--quiet", "--message", f"Generate {slug} with Compound")
    return Step(
        title,
        (("git", "init", "--quiet"), ("git", "add", "--all"), commit),
        creates=(".git",),
    )


def pytest_summary(output: str) -> str:
    """The last line of `pytest -q`, e.g. "21 passed in 0.49s"."""
    lines = [line.strip("= ") for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def suite_step() -> Step:
    """The generated suite, run from the venv that the install step filled."""
    return Step(
        "Running the test suite", ((venv_executable("pytest"), "-q"),), summarize=pytest_summary
    )


def plan_steps(
    project_dir: Path, package: str, slug: str, uv: str | None, python: str
) -> list[Step]:
    """The whole set-up in order: install first, so nothing is committed that does not install."""
    return [
        *install_steps(project_dir, package, uv, python),
        git_step(project_dir, slug),
        suite_step(),
    ]


def step_environment(project_dir: Path) -> dict[str, str]:
    """The caller's environment, pointed at the project's .venv.

    An activated venv of the caller (VIRTUAL_ENV) or a UV_PROJECT_ENVIRONMENT would otherwise
    make uv warn about, or install into, an environment that is not the project's.
    """
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env["UV_PROJECT_ENVIRONMENT"] = str(project_dir.resolve() / VENV_DIR)
    return env


# --- Running: one step after another, stop at the first failure -----------------------------


def run_command(command: Command, project_dir: Path, env: Mapping[str, str]) -> tuple[int, str]:
    """Run one command, capturing stdout and stderr together (the order a user would see)."""
    try:
        result = subprocess.run(
            command,
            cwd=project_dir,
            env=env,
            stdin=subprocess.DEVNULL,  # nothing may wait for an answer nobody is asked for
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            check=False,
        )
    except OSError as error:  # e.g. .venv/bin/pytest missing after a partial install
        return 127, f"cannot run {command[0]}: {error}"
    return result.returncode, result.stdout


def run_step(step: Step, project_dir: Path, env: Mapping[str, str]) -> tuple[str, Failure | None]:
    """Run a step's commands; on failure remove what the step created and had not existed."""
    new_paths = [project_dir / path for path in step.creates if not (project_dir / path).exists()]
    outputs: list[str] = []
    for command in step.commands:
        returncode, output = run_command(command, project_dir, env)
        outputs.append(output)
        if returncode != 0:
            for path in new_paths:
                remove(path)
            return "".join(outputs), Failure(command, returncode, "".join(outputs))
    return "".join(outputs), None


def remove(path: Path) -> None:
    """Delete a file or directory tree if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def run_steps(steps: Sequence[Step], project_dir: Path, env: Mapping[str, str], out: TextIO) -> int:
    """Run every step in order, printing progress; 0 when all passed, 1 at the first failure."""
    started_all = time.monotonic()
    for number, step in enumerate(steps, start=1):
        label = f"[{number}/{len(steps)}] {step.title} ..."
        if step.skip_reason is not None:
            print(f"{label} skipped: {step.skip_reason}", file=out, flush=True)
            continue
        print(label, end=" ", file=out, flush=True)
        started = time.monotonic()
        output, failure = run_step(step, project_dir, env)
        elapsed = time.monotonic() - started
        if failure is not None:
            print(f"failed after {elapsed:.1f} s", file=out, flush=True)
            report_failure(number, steps, failure, project_dir, out)
            return 1
        note = step.summarize(output) if step.summarize else ""
        print(f"done in {elapsed:.1f} s" + (f" ({note})" if note else ""), file=out, flush=True)
    print(f"Set-up finished in {time.monotonic() - started_all:.1f} s.", file=out, flush=True)
    return 0


def report_failure(
    number: int, steps: Sequence[Step], failure: Failure, project_dir: Path, out: TextIO
) -> None:
    """Say which step failed, show the end of its output and how to finish by hand."""
    step = steps[number - 1]
    tail = failure.output.rstrip().splitlines()[-OUTPUT_TAIL_LINES:] or ["(no output)"]
    cd = f"cd {shlex.quote(str(project_dir))}"
    lines = [
        "",
        f"Set-up stopped at step {number}/{len(steps)} ({step.title}):",
        f"`{shlex.join(failure.command)}` exited with status {failure.returncode}.",
        f"Its output, last {OUTPUT_TAIL_LINES} lines at most:",
        *(f"    {line}" for line in tail),
        "",
        "To finish the set-up by hand, fix the cause above, then run:",
        *indented([cd, *shell_lines(steps[number - 1 :])]),
    ]
    source = template_source(project_dir)
    if source is not None:
        # copier removes a directory it created when a task fails (unless --no-cleanup).
        regenerate = f"copier copy --trust --skip-tasks {shlex.quote(source)} {cd[3:]}"
        lines += [
            "",
            "copier deletes a new project whose set-up failed, unless run with --no-cleanup.",
            "If the directory is gone, generate it without the set-up, then run every step:",
            *indented([regenerate, cd, *shell_lines(steps)]),
        ]
    print("\n".join(lines), file=out, flush=True)


def shell_lines(steps: Sequence[Step]) -> list[str]:
    """The commands of the given steps, quoted for a POSIX shell."""
    return [shlex.join(command) for step in steps for command in step.commands]


def indented(lines: Sequence[str]) -> list[str]:
    """Lines set off from the prose around them, ready to copy."""
    return [f"    {line}" for line in lines]


def template_source(project_dir: Path) -> str | None:
    """Where the project was generated from, as copier recorded it in the answers file."""
    answers = project_dir / ".copier-answers.yml"
    if not answers.is_file():
        return None
    match = re.search(r"^_src_path: *(.+?) *$", answers.read_text(encoding="utf-8"), re.MULTILINE)
    return match.group(1).strip("'\"") if match else None


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The task's arguments, as copier.yml passes them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--package", required=True, help="import name of the project's package")
    parser.add_argument("--slug", required=True, help="distribution name of the project")
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="the project (default: here)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Plan and run the set-up of the project; returns the process exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    project_dir: Path = args.project_dir.resolve()
    try:
        steps = plan_steps(project_dir, args.package, args.slug, shutil.which("uv"), sys.executable)
    except (OSError, ValueError) as error:  # tomllib.TOMLDecodeError is a ValueError
        print(f"Set-up cannot start: {error}", file=out, flush=True)
        return 1
    return run_steps(steps, project_dir, step_environment(project_dir), out)


if __name__ == "__main__":
    sys.exit(main())
