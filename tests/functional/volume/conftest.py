"""The gateway app on SQLite with two strict fake pod Cinders (RegionOne az1,
RegionTwo az2, whose Cinder calls its zone "zone-two")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update

from tests.functional.compute.conftest import P1, StubServiceAuth, StubTokens
from tests.functional.volume.fake_cinder import FakeCinder
from tricircle import conf as tconf
from tricircle.api.app import build_app
from tricircle.clients.pod import PodClients
from tricircle.db.clock import utcnow
from tricircle.db.engine import Database
from tricircle.db.models import Base, Job, Pod
from tricircle.jobs.engine import JobEngine
from tricircle.jobs.handlers import JobDeps
from tricircle.pods import registry
from tricircle.routing import table


@dataclass
class Gateway:
    client: Any
    db: Database
    pods: dict[str, FakeCinder]
    conf: Any
    clients: PodClients

    def call(self, method: str, path: str, token: str = P1, **kw: Any):
        headers = {"X-Auth-Token": token, **kw.pop("headers", {})}
        if "json" in kw:
            kw["data"] = json.dumps(kw.pop("json"))
            headers["Content-Type"] = "application/json"
        return self.client.request(method, path, headers=headers, **kw)

    async def create(self, token: str = P1, **volume: Any):
        return await self.call("POST", "/volume/v3/volumes", token,
                               json={"volume": {"size": 1, **volume}})

    async def routes(self, **filters: Any) -> list[table.Route]:
        async with self.db.session() as s:
            return await table.list_routes(s, **filters)

    async def run_jobs(self) -> int:
        async with self.db.session() as s:
            await s.execute(update(Job).values(not_before=utcnow()))
        engine = JobEngine(JobDeps(self.db, self.clients, StubServiceAuth(),  # type: ignore
                                   self.conf))
        return await engine.run_until_idle()


@pytest.fixture
async def gateway(aiohttp_client, aiohttp_server, tmp_path):
    conf = tconf.new_config([], config_files=[])
    # the tests set each pod's health themselves; the app's periodic prober would
    # call the fakes' roots (unserved) once a slow test outlasts its interval
    conf.set_override("probe_interval", 3600, group="pods")
    conf.set_override("run_worker", False, group="api")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    pods = {"RegionOne": FakeCinder("RegionOne", "az1"),
            "RegionTwo": FakeCinder("RegionTwo", "zone-two")}
    clients = PodClients(None)  # type: ignore[arg-type]  # endpoints are pinned
    for (region, fake), (az, pod_az) in zip(pods.items(), [("az1", "az1"), ("az2", "zone-two")],
                                            strict=True):
        server = await aiohttp_server(fake.app())
        fake.base = str(server.make_url("/v3"))
        clients.set_endpoints(region, {"volumev3": fake.base,
                                       "compute": fake.root + "/nova"})
        async with db.session() as s:
            await registry.create_pod(s, region_name=region, az_name=az, pod_az_name=pod_az)
            await s.execute(update(Pod).where(Pod.region_name == region).values(
                health="healthy", capabilities={
                    "volume": {"min_version": "3.0",
                               "max_version": "3.71" if region == "RegionOne" else "3.70"}}))
    app = build_app(conf, db=db, service_auth=StubServiceAuth(),  # type: ignore[arg-type]
                    pods=clients, tokens=StubTokens())  # type: ignore[arg-type]
    client = await aiohttp_client(app)
    yield Gateway(client, db, pods, conf, clients)
    await db.close()
    for fake in pods.values():
        assert fake.unexpected == []
