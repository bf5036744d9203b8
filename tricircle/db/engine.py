"""Async engine and session factory; one per process, owned by the app."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Drivers operators write from habit (oslo.db URLs) -> the asyncio driver we ship.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite", "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg", "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql", "mysql+pymysql": "mysql+aiomysql",
    "mysql+mysqldb": "mysql+aiomysql", "mariadb": "mariadb+aiomysql",
    "mariadb+pymysql": "mariadb+aiomysql",
}


def async_url(url: str) -> str:
    """`url` with an asyncio driver: "mysql+pymysql://…" -> "mysql+aiomysql://…"."""
    scheme, sep, rest = url.partition("://")
    return _ASYNC_DRIVERS.get(scheme, scheme) + sep + rest if sep else url


class Database:
    """The gateway's database: an async engine and a session factory.

    `dialect` is 'sqlite', 'postgresql' or 'mysql'; SQLite allows a single job
    worker (no SKIP LOCKED).
    """

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url = async_url(url)
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        self.dialect = "mysql" if backend == "mariadb" else backend
        kwargs: dict[str, object] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            _ensure_sqlite_dir(parsed.database)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                          pool_recycle=3600)
        if self.dialect in ("mysql", "mariadb"):
            # Like PostgreSQL's default: fewer gap locks (and deadlocks) on the unique
            # keys that reservations and job coalescing insert into.
            kwargs["isolation_level"] = "READ COMMITTED"
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def sqlite_path(self) -> str | None:
        """The SQLite file (None for other databases and in-memory SQLite)."""
        path = make_url(self.url).database if self.is_sqlite else None
        return os.path.abspath(path) if path and path != ":memory:" else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads outside the ORM (no session, nothing to commit):
        half the cost of `session()` per call on SQLite, for hot-path lookups."""
        async with self.engine.connect() as conn:
            yield conn

    async def close(self) -> None:
        await self.engine.dispose()


def _ensure_sqlite_dir(path: str | None) -> None:
    if path and path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    # WAL lets readers (api) run while the in-process worker writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
