"""`jobs` commands: operate the dead letter and the outbox from the command line."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, TypeVar

import typer

from ..db import DataAccess
from ..settings import get_settings
from . import dead_letter
from .backend import create_publisher
from .context import utcnow
from .recovery import recover_lost_jobs_now
from .relay import OutboxRelay
from .retention import purge_finished, retention_cutoff

T = TypeVar("T")

jobs_app = typer.Typer(
    help="Background jobs: the dead letter and the outbox.", no_args_is_help=True
)
dead_letter_app = typer.Typer(help="Jobs that failed their last attempt.", no_args_is_help=True)
jobs_app.add_typer(dead_letter_app, name="dead-letter")

JobId = Annotated[uuid.UUID, typer.Argument(help="The job ID (as the status endpoint shows it).")]


def _with_database(work: Callable[[DataAccess], Awaitable[T]]) -> T:
    async def run() -> T:
        data_access = DataAccess(get_settings())
        try:
            return await work(data_access)
        finally:
            await data_access.dispose()

    return asyncio.run(run())


async def _relay(data_access: DataAccess) -> int:
    relay = OutboxRelay(data_access, create_publisher(data_access.settings))
    if relay.publisher.inline:
        return await relay.drain(wait_seconds=60)
    return await relay.relay_all()


@dead_letter_app.command("list")
def list_command(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 100,
) -> None:
    """The dead jobs, most recent first: ID, name, attempts, when, error."""
    letters = _with_database(lambda data_access: dead_letter.list_dead_letters(data_access, limit))
    for letter in letters:
        error = letter.error.splitlines()[-1] if letter.error else ""
        typer.echo(
            f"{letter.job_id}  {letter.job_name}  attempts={letter.attempts}  "
            f"{letter.failed_at.isoformat()}  {error}"
        )
    if not letters:
        typer.echo("the dead letter is empty")


@dead_letter_app.command("show")
def show_command(job_id: JobId) -> None:
    """Everything kept about one dead job, as JSON."""
    letter = _with_database(lambda data_access: dead_letter.find_dead_letter(data_access, job_id))
    if letter is None:
        typer.echo(f"error: job {job_id} is not in the dead letter", err=True)
        raise typer.Exit(code=1)
    document = {
        "job_id": str(letter.job_id),
        "job_name": letter.job_name,
        "queue": letter.queue,
        "payload": letter.payload,
        "attempts": letter.attempts,
        "error": letter.error,
        "request_id": letter.request_id,
        "failed_at": letter.failed_at.isoformat(),
    }
    typer.echo(json.dumps(document, indent=2))


@dead_letter_app.command("requeue")
def requeue_command(job_id: JobId) -> None:
    """Run a dead job again, with all its attempts, under the same job ID."""

    async def work(data_access: DataAccess) -> bool:
        if not await dead_letter.requeue(data_access, job_id):
            return False
        await _relay(data_access)
        return True

    if not _with_database(work):
        typer.echo(f"error: job {job_id} is not in the dead letter", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"requeued {job_id}")


@dead_letter_app.command("purge")
def purge_command(
    older_than_days: Annotated[
        float | None, typer.Option(min=0, help="Only jobs that died more than this long ago.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete dead jobs for good."""
    if not yes:
        typer.confirm("Delete these dead jobs for good?", abort=True)
    older_than = None if older_than_days is None else utcnow() - timedelta(days=older_than_days)
    count = _with_database(lambda data_access: dead_letter.purge(data_access, older_than))
    typer.echo(f"purged {count} dead job(s)")


@jobs_app.command("relay")
def relay_command() -> None:
    """Publish every due job of the outbox now (the scheduler does it continuously)."""
    count = _with_database(_relay)
    typer.echo(f"published {count} job(s)")


@jobs_app.command("purge-finished")
def purge_finished_command(
    older_than_days: Annotated[
        float | None,
        typer.Option(
            min=0, help="Jobs that finished more than this long ago [JOB_RETENTION_DAYS]."
        ),
    ] = None,
) -> None:
    """Delete finished jobs' history (the scheduler does it daily); the dead letter stays."""
    days = get_settings().job_retention_days if older_than_days is None else older_than_days
    cutoff = retention_cutoff(days)
    count = _with_database(lambda data_access: purge_finished(data_access, cutoff))
    typer.echo(f"purged the history of {count} finished job(s)")


@jobs_app.command("recover-lost")
def recover_lost_command() -> None:
    """Publish again the jobs whose message was lost (the scheduler does it every minute)."""

    async def work(data_access: DataAccess) -> int:
        count = await recover_lost_jobs_now(data_access)
        await _relay(data_access)
        return count

    count = _with_database(work)
    typer.echo(f"recovered {count} lost job(s)")
