"""Alembic environment: async engines (aiosqlite, asyncpg, aiomysql) or a given connection.

`tricircle.db.migrate` passes a synchronous connection in
`config.attributes["connection"]` (run inside `AsyncConnection.run_sync`); the
`alembic` command line (alembic.ini here) opens its own async engine from
`sqlalchemy.url` or the TRICIRCLE_DATABASE_URL environment variable.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tricircle.db.engine import async_url
from tricircle.db.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = os.environ.get("TRICIRCLE_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    return async_url(str(url))


def _configure(**kwargs: object) -> None:
    context.configure(target_metadata=target_metadata, compare_type=True,
                      compare_server_default=False, **kwargs)  # type: ignore[arg-type]


def run_migrations_offline() -> None:
    url = _url()
    _configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    # SQLite alters tables by copying them (batch mode).
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
