"""`<slug> flags ...`: flag administration from the command line, audited like the admin API.

Changes go straight to the database (DATABASE_URL) and, with REDIS_URL, are announced to the
running services, which serve them at once; without Redis they see them at their next
refresh (FLAGS_REFRESH_SECONDS).
"""

from __future__ import annotations

import asyncio
import getpass
import socket
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from redis.asyncio import Redis

from ..db import DataAccess
from ..db.errors import DatabaseUnavailable
from ..settings import get_settings
from .invalidation import publish_change
from .registry import DECLARED_FLAGS
from .rules import Condition, TargetingRules
from .state import FlagKind, FlagState
from .store import (
    FlagChanges,
    FlagExistsError,
    FlagNotFoundError,
    FlagStore,
    InvalidFlagKeyError,
)

T = TypeVar("T")

flags_app = typer.Typer(
    help="Feature flags: list, create, switch, roll out, target, delete.", no_args_is_help=True
)

Key = Annotated[str, typer.Argument(help="The flag key, e.g. new-checkout-flow.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def _actor() -> str:
    return f"cli:{getpass.getuser()}@{socket.gethostname()}"


def _run(operation: Callable[[FlagStore], Awaitable[T]]) -> T:
    """Run one store operation with its own connections; errors become messages, not traces."""
    settings = get_settings()

    async def main() -> T:
        data_access = DataAccess(settings)
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None

        async def announce(key: str) -> None:
            if redis is not None:
                await publish_change(redis, key)

        try:
            return await operation(FlagStore(data_access, on_change=announce))
        finally:
            if redis is not None:
                await redis.aclose()
            await data_access.dispose()

    try:
        return asyncio.run(main())
    except (FlagNotFoundError, FlagExistsError, DatabaseUnavailable) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    except (InvalidFlagKeyError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error


def _targeting(flag: FlagState) -> str:
    parts = [condition.describe() for condition in flag.targeting.conditions]
    if flag.targeting.allow:
        parts.append(f"allow list of {len(flag.targeting.allow)}")
    return "; ".join(parts) or "no targeting"


def _line(flag: FlagState) -> str:
    state = "on" if flag.enabled else "off"
    return (
        f"{flag.key:<32} {flag.kind.value:<10} {state:<4} "
        f"{flag.rollout_percentage:>7g}%  {_targeting(flag)}"
    )


def _confirm_everyone(flag: FlagState, changes: FlagChanges, yes: bool) -> None:
    """Ask before a change that would turn the flag on for every client."""
    enabled = flag.enabled if changes.enabled is None else changes.enabled
    percentage = changes.rollout_percentage
    if percentage is None:
        percentage = flag.rollout_percentage
    everyone = enabled and percentage >= 100 and not flag.targeting.conditions
    if everyone and not flag.on_for_everyone and not yes:
        typer.confirm(f"{flag.key} will be on for everyone. Continue?", abort=True)


def _change(key: str, changes: FlagChanges, yes: bool) -> FlagState:
    current = _run(lambda store: store.get(key))
    _confirm_everyone(current, changes, yes)
    return _run(lambda store: store.update(key, changes, _actor()))


@flags_app.command("list")
def list_flags() -> None:
    """Every flag with its state, rollout and targeting; declared flags not created yet."""
    flags = _run(lambda store: store.all())
    for flag in flags:
        typer.echo(_line(flag))
    created = {flag.key for flag in flags}
    for key in sorted(set(DECLARED_FLAGS) - created):
        typer.echo(f"{key:<32} {DECLARED_FLAGS[key].kind.value:<10} not created (caller's default)")
    if not flags and not DECLARED_FLAGS:
        typer.echo("no flags")


@flags_app.command("show")
def show(key: Key) -> None:
    """One flag in full, with its latest changes."""

    async def read(store: FlagStore) -> tuple[FlagState, list[str]]:
        flag = await store.get(key)
        history = [
            f"  {entry.changed_at:%Y-%m-%d %H:%M:%S} {entry.action:<8} by {entry.actor}"
            for entry in await store.history(key, limit=10)
        ]
        return flag, history

    flag, history = _run(read)
    typer.echo(f"key:         {flag.key}")
    typer.echo(f"description: {flag.description}")
    typer.echo(f"kind:        {flag.kind.value}")
    typer.echo(f"enabled:     {'yes' if flag.enabled else 'no (kill switch off)'}")
    typer.echo(f"rollout:     {flag.rollout_percentage:g}%")
    typer.echo(f"targeting:   {_targeting(flag)}")
    for allowed in flag.targeting.allow:
        typer.echo(f"  allow {allowed}")
    typer.echo(f"updated:     {flag.updated_at:%Y-%m-%d %H:%M:%S} UTC")
    typer.echo("history:")
    for line in history:
        typer.echo(line)


@flags_app.command("create")
def create(
    key: Key,
    kind: Annotated[
        FlagKind | None, typer.Option(help="Default: as declared in flags/registry.py, or release.")
    ] = None,
    description: Annotated[
        str | None, typer.Option(help="Default: as declared in flags/registry.py.")
    ] = None,
) -> None:
    """Create a flag: off, at 0 %, no targeting (enable and roll out next)."""
    declared = DECLARED_FLAGS.get(key)
    if declared is None:
        typer.echo(f"warning: {key} is not declared in flags/registry.py", err=True)
    elif description is None:
        description = declared.description
    changes = FlagChanges(
        kind=kind or (declared.kind if declared else FlagKind.RELEASE),
        description=description or "",
    )
    flag = _run(lambda store: store.create(key, changes, _actor()))
    typer.echo(_line(flag))


@flags_app.command("enable")
def enable(key: Key, yes: Yes = False) -> None:
    """Turn the kill switch on: the rollout and the targeting apply again."""
    typer.echo(_line(_change(key, FlagChanges(enabled=True), yes)))


@flags_app.command("disable")
def disable(key: Key) -> None:
    """Turn the kill switch off: the flag is off for everyone, whatever its rules."""
    typer.echo(_line(_change(key, FlagChanges(enabled=False), yes=True)))


@flags_app.command("rollout")
def rollout(
    key: Key,
    percentage: Annotated[float, typer.Argument(min=0, max=100, help="0 to 100, e.g. 12.5")],
    yes: Yes = False,
) -> None:
    """Set the share of clients that get the flag (raising it only adds clients)."""
    typer.echo(_line(_change(key, FlagChanges(rollout_percentage=percentage), yes)))


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        attribute, sep, rest = value.partition("=")
        if not sep or not attribute or not rest:
            raise typer.BadParameter(f"expected ATTRIBUTE=VALUE, got {value!r}", param_hint=option)
        pairs.append((attribute, rest))
    return pairs


@flags_app.command("target")
def target(
    key: Key,
    allow: Annotated[
        list[str] | None, typer.Option(help="A targeting key that always gets the flag (repeat).")
    ] = None,
    in_: Annotated[
        list[str] | None,
        typer.Option("--in", help="ATTRIBUTE=A,B: the attribute is one of these (repeat)."),
    ] = None,
    equals: Annotated[
        list[str] | None, typer.Option(help="ATTRIBUTE=VALUE: the attribute equals it (repeat).")
    ] = None,
    clear: Annotated[bool, typer.Option(help="Remove all targeting.")] = False,
    yes: Yes = False,
) -> None:
    """Replace the flag's targeting with the rules given (or remove it with --clear).

    Example: flags target new-checkout-flow --in plan=pro,team --equals region=eu
    """
    conditions = [
        Condition.model_validate({"attribute": attribute, "in": value.split(",")})
        for attribute, value in _pairs(in_ or [], "--in")
    ]
    conditions += [
        Condition(attribute=attribute, equals=value)
        for attribute, value in _pairs(equals or [], "--equals")
    ]
    if not (allow or conditions or clear):
        raise typer.BadParameter("give --allow, --in or --equals, or --clear")
    rules = TargetingRules(allow=tuple(allow or ()), conditions=tuple(conditions))
    changes = FlagChanges(targeting=rules)
    current = _run(lambda store: store.get(key))
    everyone = current.enabled and current.rollout_percentage >= 100 and not conditions
    if everyone and not current.on_for_everyone and not yes:
        typer.confirm(f"{key} will be on for everyone. Continue?", abort=True)
    typer.echo(_line(_run(lambda store: store.update(key, changes, _actor()))))


@flags_app.command("delete")
def delete(key: Key, yes: Yes = False) -> None:
    """Delete the flag (its audit history stays); code then gets the caller's default."""
    if not yes:
        typer.confirm(f"Delete {key}?", abort=True)
    _run(lambda store: store.delete(key, _actor()))
    typer.echo(f"deleted {key}")
