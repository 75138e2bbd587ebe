"""The same copy through pytest-copie's `copie` fixture (copier's Python API, tasks included),
for the backend and answers the command-line copy test does not take: RQ without examples."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from plumbum import local

from .test_copy_with_tasks import SERVICE_VARIABLES

pytestmark = pytest.mark.slow


def test_rq_project_without_examples_is_set_up_by_its_tasks(
    copie: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Copier runs tasks with plumbum's copy of the environment, taken at import: clear both.
    for name in SERVICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with local.env():
        for name in SERVICE_VARIABLES:
            if name in local.env:
                del local.env[name]
        result = copie.copy(
            extra_answers={
                "project_name": "Queue Worker",
                "job_backend": "rq",
                "with_examples": False,
            }
        )
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    assert result.answers["job_backend"] == "rq"
    assert "celery_broker" not in result.answers

    assert (project / "uv.lock").is_file()
    imported = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-c", "import queue_worker.jobs.rq_queues"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert not (project / "src" / "queue_worker" / "domain").exists()
    assert not (project / "src" / "queue_worker" / "jobs" / "celery_app.py").exists()

    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True, check=True
    )
    assert len(log.stdout.splitlines()) == 1
