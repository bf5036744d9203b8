"""The gateway app on a real (SQLite) database, with strict fake Nova pods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.fanout.fake_nova import FakeNova
from tricircle import conf as tconf
from tricircle.api.app import build_app
from tricircle.clients.pod import PodClients
from tricircle.db import migrate
from tricircle.db.engine import Database
from tricircle.identity.tokens import TokenInfo
from tricircle.jobs import api as jobs_api
from tricircle.jobs.engine import JobEngine
from tricircle.jobs.handlers import JobDeps
from tricircle.pods import registry
from tricircle.routing import table


class StubTokens:
    """Token "<project>" is a member of that project; "admin" is an admin."""

    async def validate(self, token: str) -> TokenInfo | None:
        roles = ("admin", "member") if token == "admin" else ("member",)
        return TokenInfo("user-" + token, token, "default", token, token, "default", roles,
                         datetime.now(UTC) + timedelta(hours=1))


class StubServiceAuth:
    """The gateway's service account: token "service" (admin in the fake pods)."""

    async def token(self) -> str:
        return "service"


@dataclass
class Gateway:
    client: Any
    db: Database
    pods: dict[str, FakeNova]
    pod_ids: dict[str, str]
    conf: Any
    clients: PodClients

    async def run_jobs(self) -> int:
        deps = JobDeps(db=self.db, pods=self.clients, service_auth=StubServiceAuth(),  # type: ignore[arg-type]
                       conf=self.conf)
        return await JobEngine(deps).run_until_idle()

    async def jobs(self) -> list[Any]:
        async with self.db.session() as s:
            return await jobs_api.list_jobs(s)

    async def call(self, method: str, path: str, *, token: str = "admin", json: Any = None,
                   version: str | None = None):
        headers = {"X-Auth-Token": token}
        if version:
            headers["OpenStack-API-Version"] = f"compute {version}"
        return await self.client.request(method, path, headers=headers, json=json)

    async def add(self, region: str, name: str, *, second: int, project: str = "p1"):
        server = self.pods[region].add(name, second=second, project=project)
        async with self.db.session() as s:
            route = await table.reserve(s, top_id=server["id"], pod_id=self.pod_ids[region],
                                        project_id=project, resource_type="server")
            await table.bind(s, route.id, server["id"])
        return server

    async def get(self, path: str, *, token: str = "p1", version: str | None = None):
        headers = {"X-Auth-Token": token}
        if version:
            headers["OpenStack-API-Version"] = f"compute {version}"
        return await self.client.get(path, headers=headers)


@pytest.fixture
async def gateway(aiohttp_client, aiohttp_server, tmp_path):
    conf = tconf.new_config([], config_files=[])
    # the tests set each pod's health themselves; the app's periodic prober would
    # call the fakes' roots (unserved) once a slow test outlasts its interval
    conf.set_override("probe_interval", 3600, group="pods")
    conf.set_override("pod_deadline", 0.5, group="fanout")
    conf.set_override("run_worker", False, group="api")
    conf.set_override("request_timeout", 2.0, group="pods")
    url = f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}"
    await migrate.upgrade(url)
    db = Database(url)
    pods = {"RegionOne": FakeNova("RegionOne", az="nova"),
            "RegionTwo": FakeNova("RegionTwo", az="az-two-inside")}
    clients = PodClients(None)  # type: ignore[arg-type]  # endpoints are pinned
    pod_ids = {}
    for (region, fake), (az, pod_az) in zip(pods.items(), [("az1", "nova"),
                                                           ("az2", "az-two-inside")],
                                            strict=True):
        server = await aiohttp_server(fake.app())
        fake.base = str(server.make_url("/v2.1"))
        clients.set_endpoints(region, {"compute": fake.base})
        async with db.session() as s:
            pod = await registry.create_pod(s, region_name=region, az_name=az,
                                            pod_az_name=pod_az)
        pod_ids[region] = pod.id
    app = build_app(conf, db=db, service_auth=StubServiceAuth(),  # type: ignore[arg-type]
                    pods=clients,
                    tokens=StubTokens())  # type: ignore[arg-type]
    client = await aiohttp_client(app)
    yield Gateway(client, db, pods, pod_ids, conf, clients)
    await db.close()
    for fake in pods.values():
        assert fake.unexpected == []
