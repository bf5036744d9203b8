"""The api process runs the job worker with SQLite (or when configured) and the prober."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from tests.functional.admin.conftest import Admin, StubTokens
from tricircle import conf as tconf
from tricircle.api import keys
from tricircle.api.app import build_app
from tricircle.clients.pod import PodClients
from tricircle.db.engine import Database
from tricircle.jobs import handlers, service
from tricircle.jobs.engine import JobEngine
from tricircle.pods.health import HealthProber

RAN: list[str] = []


@handlers.register("test.background_echo")
async def _echo(ctx: handlers.JobContext) -> None:
    RAN.append(ctx.resource_key)


async def _app(sqlite_database: Database, aiohttp_client: Any, **api: Any) -> Admin:
    conf = tconf.new_config([], config_files=[])
    conf.set_override("probe_interval", 3600, group="pods")
    conf.set_override("poll_interval", 0.05, group="jobs")
    for name, value in api.items():
        conf.set_override(name, value, group="api")
    app = build_app(conf, db=sqlite_database, service_auth=cast(Any, None),
                    pods=PodClients(cast(Any, None)), tokens=cast(Any, StubTokens()))
    client = await aiohttp_client(app)
    assert isinstance(app[keys.SERVICES][service.JOBS], JobEngine)
    assert isinstance(app[keys.SERVICES][service.POD_HEALTH], HealthProber)
    return Admin(client, sqlite_database)


async def _status_after(admin: Admin, key: str, seconds: float) -> str:
    made = await admin.ok("POST", "/v1.0/jobs", 202, json={
        "job": {"type": "test.background_echo", "resource_key": key}})
    job_id = made["job"]["id"]
    status = "new"
    for _ in range(int(seconds / 0.05)):
        status = (await admin.ok("GET", f"/v1.0/jobs/{job_id}"))["job"]["status"]
        if status == "succeeded":
            break
        await asyncio.sleep(0.05)
    return str(status)


async def test_with_sqlite_the_api_process_runs_the_jobs(sqlite_database: Database,
                                                         aiohttp_client: Any) -> None:
    admin = await _app(sqlite_database, aiohttp_client)
    assert await _status_after(admin, "k-default", 5) == "succeeded"
    assert "k-default" in RAN


async def test_run_worker_false_leaves_jobs_to_tricircle_worker(sqlite_database: Database,
                                                                aiohttp_client: Any) -> None:
    admin = await _app(sqlite_database, aiohttp_client, run_worker=False)
    assert await _status_after(admin, "k-off", 0.5) == "new"
    assert "k-off" not in RAN


def test_worker_default_follows_the_database() -> None:
    conf = tconf.new_config([], config_files=[])
    sqlite, pg = cast(Any, type("D", (), {"is_sqlite": True})), cast(
        Any, type("D", (), {"is_sqlite": False}))
    assert service.run_worker_here(conf, sqlite) and not service.run_worker_here(conf, pg)
    conf.set_override("run_worker", True, group="api")
    assert service.run_worker_here(conf, pg)


def test_only_one_process_runs_the_worker_of_a_sqlite_database(
        sqlite_database: Database) -> None:
    with service.single_worker_lock(sqlite_database) as first:
        with service.single_worker_lock(sqlite_database) as second:
            assert (first, second) == (True, False)
    with service.single_worker_lock(sqlite_database) as again:
        assert again
