"""Alembic, driven from code: the `db upgrade` command and the migration tests.

The migration scripts live in `migrations/` at the project root; `env.py` there reads the
database URL handed over here (or the service's settings) and the service's `MetaData`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from .engines import create_unpooled_engine
from .schema import load_metadata

# src/<package>/db/migrations.py -> the project root, where a source checkout keeps migrations/.
_SOURCE_ROOT = Path(__file__).resolve().parents[3]


def migrations_directory() -> Path:
    """`./migrations` when the working directory has one (an image, a checkout), else the
    checkout this package was installed from."""
    for root in (Path.cwd(), _SOURCE_ROOT):
        if (root / "migrations" / "env.py").is_file():
            return root / "migrations"
    raise FileNotFoundError("no migrations/ directory here or next to the installed package")


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for one database, without reading alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    # Passed as an attribute, not an ini option: a URL may hold `%`, which ini values interpolate.
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply every migration up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Revert migrations down to `revision` (`base` empties the database)."""
    command.downgrade(alembic_config(database_url), revision)


def model_differences(database_url: str) -> list[Any]:
    """What autogenerate would put in a new migration; empty when models and database agree."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, load_metadata()))

    async def run() -> list[Any]:
        engine = create_unpooled_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())
