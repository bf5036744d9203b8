"""Migrations upgrade an empty database to exactly the models' schema, on every backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tricircle.db import migrate
from tricircle.db.models import Base


async def _sync(url: str, fn: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_from_empty_reaches_head(db_url: str) -> None:
    assert await migrate.current(db_url) is None
    assert await migrate.upgrade(db_url) == migrate.head()
    tables = await _sync(db_url, lambda c: set(inspect(c).get_table_names()))
    assert {"pods", "tenant_bindings", "routings", "jobs"} <= tables


async def test_migrated_schema_matches_the_models(db_url: str) -> None:
    await migrate.upgrade(db_url)
    assert await _sync(db_url, _diff) == []


async def test_upgrade_twice_changes_nothing(db_url: str) -> None:
    await migrate.upgrade(db_url)
    assert await migrate.upgrade(db_url) == migrate.head()


async def test_downgrade_to_base_removes_every_table(db_url: str) -> None:
    await migrate.upgrade(db_url)
    from alembic import command

    def down(conn: Connection) -> None:
        cfg = migrate.alembic_config(db_url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")

    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(down)
    await engine.dispose()
    tables = await _sync(db_url, lambda c: set(inspect(c).get_table_names()))
    assert tables <= {"alembic_version"}


def test_synchronous_driver_urls_get_the_asyncio_driver() -> None:
    from tricircle.db.engine import async_url

    assert async_url("mysql+pymysql://u:p@h/db?charset=utf8mb4") == (
        "mysql+aiomysql://u:p@h/db?charset=utf8mb4")
    assert async_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("sqlite:////var/lib/t.db") == "sqlite+aiosqlite:////var/lib/t.db"
    assert async_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"


async def test_upgrade_from_the_first_release_keeps_the_rows(db_url: str) -> None:
    await migrate.upgrade(db_url, "0001")
    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO pods (id, region_name, az_name, pod_az_name, dc_name, state, health,"
            " consecutive_failures, consecutive_successes, capabilities, created_at,"
            " updated_at) VALUES ('p1', 'RegionOne', 'az1', '', '', 'enabled', 'unknown',"
            " 0, 0, '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
        await conn.exec_driver_sql(
            "INSERT INTO routings (top_id, bottom_id, pod_id, project_id, resource_type,"
            " created_at, updated_at) VALUES ('s1', 's1', 'p1', 'proj', 'server',"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    await engine.dispose()
    assert await migrate.upgrade(db_url) == migrate.head()
    assert await _sync(db_url, _diff) == []
    rows = await _sync(db_url, lambda c: c.exec_driver_sql(
        "SELECT top_id, pod_id FROM routings").all())
    assert [tuple(r) for r in rows] == [("s1", "p1")]


async def test_a_deleted_routing_id_is_never_handed_out_again(db_url: str) -> None:
    """SQLite reused max(id) + 1 before 0003; sequences elsewhere never go back."""
    await migrate.upgrade(db_url, "0002")
    engine = create_async_engine(db_url)
    insert = ("INSERT INTO routings (top_id, bottom_id, pod_id, project_id, resource_type,"
              " created_at, updated_at) VALUES ('{}', NULL, 'p1', 'proj', 'server',"
              " '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO pods (id, region_name, az_name, pod_az_name, dc_name, state, health,"
            " consecutive_failures, consecutive_successes, capabilities, created_at,"
            " updated_at) VALUES ('p1', 'RegionOne', 'az1', '', '', 'enabled', 'unknown',"
            " 0, 0, '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
        for top in ("s1", "s2"):
            await conn.exec_driver_sql(insert.format(top))
    await engine.dispose()
    assert await migrate.upgrade(db_url) == migrate.head()
    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        kept = (await conn.exec_driver_sql("SELECT id, top_id FROM routings ORDER BY id")).all()
        assert [t for _, t in kept] == ["s1", "s2"]   # rows and ids survive the copy
        newest = kept[-1][0]
        await conn.exec_driver_sql(insert.format("s3"))
        await conn.exec_driver_sql("DELETE FROM routings WHERE top_id = 's3'")
        await conn.exec_driver_sql(insert.format("s4"))
        ids = dict((t, i) for i, t in
                   (await conn.exec_driver_sql("SELECT id, top_id FROM routings")).all())
    await engine.dispose()
    assert ids["s2"] == newest and ids["s4"] > newest + 1   # s3's id was not reused
