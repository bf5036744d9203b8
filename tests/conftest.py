"""Database fixtures shared by the whole suite.

`backend` is parametrized over SQLite, PostgreSQL (marker `pg`) and MariaDB
(marker `mysql`), on servers started once per session (tests/db_servers.py).
`db_url` is a fresh, empty database (the migration tests); `database` has the
schema, created from the models (the migration tests check that the Alembic
migrations create exactly the same schema) and no rows.

Select backends with markers: `pytest -m "not pg and not mysql"` runs SQLite only.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tests import db_servers
from tricircle.db import migrate
from tricircle.db.engine import Database
from tricircle.db.models import Base

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.pg),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mysql),
]


def _server(factory: object) -> Iterator[str]:
    try:
        with factory() as url:  # type: ignore[operator]
            yield url
    except db_servers.ServerUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Base URL of the session's PostgreSQL (skipped if PostgreSQL is not installed)."""
    yield from _server(db_servers.postgresql)


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[str]:
    """Base URL of the session's MariaDB (skipped if MariaDB is not installed)."""
    yield from _server(db_servers.mariadb)


async def _admin(base_url: str, sql: str) -> None:
    maint = base_url + ("/postgres" if base_url.startswith("postgresql") else "/")
    engine = create_async_engine(maint, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()


def _create_at_head(conn: Connection) -> None:
    Base.metadata.create_all(conn)
    MigrationContext.configure(conn).stamp(ScriptDirectory.from_config(
        migrate.alembic_config()), "head")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db_url(backend: str, request: pytest.FixtureRequest,
                 tmp_path: Path) -> AsyncIterator[str]:
    """URL of a fresh, empty database on `backend`, dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tricircle.db'}"
        return
    server = request.getfixturevalue("pg_server" if backend == "postgresql"
                                     else "mariadb_server")
    name = "t_" + uuid.uuid4().hex[:16]
    await _admin(server, f"CREATE DATABASE {name}")
    suffix = "?charset=utf8mb4" if backend == "mariadb" else ""
    yield f"{server}/{name}{suffix}"
    drop = (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" if backend == "postgresql"
            else f"DROP DATABASE IF EXISTS {name}")
    await _admin(server, drop)


@pytest.fixture(scope="session")
def schema_urls() -> dict[str, str]:
    """backend -> URL of a database with the schema, shared by the session's tests."""
    return {}


async def _schema_url(request: pytest.FixtureRequest, backend: str,
                      cache: dict[str, str]) -> str:
    if backend not in cache:
        server = request.getfixturevalue("pg_server" if backend == "postgresql"
                                         else "mariadb_server")
        name = "t_schema_" + uuid.uuid4().hex[:12]
        await _admin(server, f"CREATE DATABASE {name}")
        url = f"{server}/{name}" + ("?charset=utf8mb4" if backend == "mariadb" else "")
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(_create_at_head)
        await engine.dispose()
        cache[backend] = url
    return cache[backend]


async def _empty_tables(db: Database) -> None:
    async with db.session() as s:
        for table in reversed(Base.metadata.sorted_tables):
            await s.execute(table.delete())


@pytest.fixture
async def database(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                   schema_urls: dict[str, str]) -> AsyncIterator[Database]:
    """A Database with the schema (created from the models, stamped at the migrations'
    head) and no rows, on every backend. SQLite: a new file per test; PostgreSQL and
    MariaDB: one database per session, emptied after each test (`database.url`)."""
    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'tricircle.db'}")
        async with db.engine.begin() as conn:
            await conn.run_sync(_create_at_head)
    else:
        db = Database(await _schema_url(request, backend, schema_urls), pool_size=5)
    try:
        yield db
    finally:
        if backend != "sqlite":
            await _empty_tables(db)
        await db.close()


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    """A Database on a fresh SQLite schema (tests that need no other backend)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'tricircle.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(_create_at_head)
    yield db
    await db.close()
