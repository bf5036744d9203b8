"""Schema migrations (Alembic) for `tricircle db upgrade|current` and the tests.

Nothing upgrades automatically: an operator runs `tricircle db upgrade`. An api
process logs an error when the schema is not at head, `tricircle worker` refuses
to start, and `tricircle status` reports it. URLs may name a synchronous driver
(`mysql+pymysql://`); the asyncio one is used.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tricircle.db.engine import async_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config pointing at tricircle's migrations (no ini file needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(MIGRATIONS / "versions"))
    if url:
        cfg.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return cfg


def head() -> str:
    """The newest revision shipped with this code."""
    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


async def _with_connection(url: str, fn: object) -> object:
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def upgrade(url: str, revision: str = "head") -> str | None:
    """Upgrade the database at `url` to `revision`; return the revision it is at."""

    def run(conn: Connection) -> None:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    await _with_connection(url, run)
    return await current(url)


def _revision(conn: Connection) -> str | None:
    # Reading the revision is routine: keep Alembic's "Context impl" INFO lines out.
    log = logging.getLogger("alembic.runtime.migration")
    level = log.level
    log.setLevel(max(level, logging.WARNING))
    try:
        return MigrationContext.configure(conn).get_current_revision()
    finally:
        log.setLevel(level)


async def current(url: str) -> str | None:
    """The revision the database at `url` is at; None for an empty database."""

    return await _with_connection(url, _revision)  # type: ignore[return-value]


async def schema_problem(engine: AsyncEngine) -> str | None:
    """Why the schema behind `engine` does not match this code, or None if it is at head."""

    async with engine.connect() as conn:
        found = await conn.run_sync(_revision)
    expected = head()
    if found == expected:
        return None
    return (f"database schema is at {found or 'no revision'}, this code needs {expected}: "
            "run `tricircle db upgrade`")
