# ruff: noqa: F811  (the env fixture is imported from test_boot)
"""Faults during a boot on a top network: nothing half-realised stays."""

from __future__ import annotations

from sqlalchemy import select

from tests.functional.network.test_boot import Env, env  # noqa: F401  (fixture)
from tricircle.db.models import Job
from tricircle.routing import table


async def _jobs(env: Env, job_type: str) -> list[Job]:
    async with env.db.session() as s:
        return list((await s.execute(select(Job).where(Job.type == job_type))).scalars())


async def test_boot_a_pod_cannot_receive_leaves_its_ports_to_a_job(env: Env) -> None:
    pinned = env.clients._overrides["RegionOne"]
    env.clients.set_endpoints("RegionOne", {**pinned, "compute": "http://127.0.0.1:9/v2.1"})
    resp = await env.boot([{"uuid": env.net}])
    assert resp.status == 503
    assert len(await _jobs(env, "networking.settle_ports")) == 1
    assert len(env.neutron.of("ports")) == 1  # the pod may have the server: kept for now
    # the repair finds no server carrying the marker: the reservation goes
    [server_row] = await env.rows("server")
    async with env.db.session() as s:
        await table.release(s, server_row.id)
    await env.run_jobs()
    assert env.neutron.of("ports") == [] and env.central.of("ports") == []
    assert await env.rows("port") == []


async def test_boot_whose_answer_was_lost_gets_its_ports_once_the_server_is_found(
        env: Env) -> None:
    pinned = env.clients._overrides["RegionOne"]
    env.clients.set_endpoints("RegionOne", {**pinned, "compute": "http://127.0.0.1:9/v2.1"})
    assert (await env.boot([{"uuid": env.net}])).status == 503
    # the repair found the server carrying the marker: the reservation is bound to it
    [server_row] = await env.rows("server")
    async with env.db.session() as s:
        await table.bind(s, server_row.id, "vm-1", top_id="vm-1")
    env.clients.set_endpoints("RegionOne", pinned)
    await env.run_jobs()
    [top_port] = env.central.of("ports")
    assert (top_port["device_id"], top_port["device_owner"]) == ("vm-1", "compute:az1")
    assert len(env.neutron.of("ports")) == 1
