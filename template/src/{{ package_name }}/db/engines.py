"""Engines for the primary and the replica, with pool sizes and timeouts from settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from ..settings import Settings

_ASYNC_DRIVERS = {"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}


def async_url(url: str) -> str:
    """The URL with an async driver: `postgresql://` becomes `postgresql+asyncpg://`."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    """True for the embedded database."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    """An async engine for one database URL."""
    url = _prepared(url)
    # Pre-ping: a pooled connection to a server that restarted is replaced at check-out, so a
    # replica that went away is noticed before a read runs on it.
    options: dict[str, Any] = {"pool_pre_ping": True}
    if is_sqlite(url):
        options["connect_args"] = {"timeout": settings.database_connect_timeout_seconds}
    else:
        options.update(
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            pool_timeout=settings.database_pool_timeout_seconds,
            connect_args={"timeout": settings.database_connect_timeout_seconds},
        )
    return create_async_engine(url, **options)


def create_unpooled_engine(url: str) -> AsyncEngine:
    """An engine without a pool, for one-off work: migrations, schema set-up in tests."""
    return create_async_engine(_prepared(url), poolclass=NullPool)


def _prepared(url: str) -> str:
    """The async URL; for an SQLite file, its directory is created first."""
    url = async_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    return url
