"""The gateway app on SQLite with two strict fake pods (Nova + Placement)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tests.functional.compute.fake_pod import FLAVOR, IMAGE, FakePod
from tricircle import conf as tconf
from tricircle.api.app import build_app
from tricircle.clients.pod import PodClients
from tricircle.db.clock import utcnow
from tricircle.db.engine import Database
from tricircle.db.models import Base, Job, Pod
from tricircle.identity.tokens import TokenInfo
from tricircle.jobs.engine import JobEngine
from tricircle.jobs.handlers import JobDeps
from tricircle.pods import registry
from tricircle.routing import table

P1 = "a" * 32   # demo's project (legacy URLs need 32 hex digits)
P2 = "b" * 32   # another tenant


class StubTokens:
    """Token "admin" is an admin of P1; any other token is a member of project <token>."""

    async def validate(self, token: str) -> TokenInfo | None:
        if token == "bad":
            return None
        project = P1 if token == "admin" else token
        roles = ("admin", "member") if token == "admin" else ("member",)
        return TokenInfo("user-" + token, token, "default", project, project, "default",
                         roles, datetime.now(UTC) + timedelta(hours=1))


class StubServiceAuth:
    async def token(self) -> str:
        return "service-token"


@dataclass
class Gateway:
    client: Any
    db: Database
    pods: dict[str, FakePod]
    pod_ids: dict[str, str]
    conf: Any
    clients: PodClients

    async def create(self, token: str = P1, *, az: str | None = None, raw: bytes | None = None,
                     path: str = "/compute/v2.1/servers", **server: Any):
        body = {"name": "vm", "flavorRef": FLAVOR["id"], "imageRef": IMAGE,
                "networks": "none", **server}
        if az:
            body["availability_zone"] = az
        data = raw if raw is not None else __import__("json").dumps({"server": body})
        return await self.client.post(path, data=data, headers={
            "X-Auth-Token": token, "Content-Type": "application/json"})

    def call(self, method: str, path: str, token: str = P1, **kw: Any):
        headers = {"X-Auth-Token": token, **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    async def routes(self) -> list[table.Route]:
        async with self.db.session() as s:
            return await table.list_routes(s)

    async def set_pod(self, region: str, **values: Any) -> None:
        async with self.db.session() as s:
            await s.execute(update(Pod).where(Pod.region_name == region).values(**values))

    async def run_jobs(self) -> int:
        """Run every job now (delays skipped), as the worker would."""
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
    conf.set_override("backoff_base", 0.1, group="jobs")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    pods = {"RegionOne": FakePod("RegionOne", az="nova"),
            "RegionTwo": FakePod("RegionTwo", az="zone-two")}
    clients = PodClients(None)  # type: ignore[arg-type]  # endpoints are pinned
    pod_ids = {}
    for (region, fake), (az, pod_az) in zip(pods.items(), [("az1", ""), ("az2", "zone-two")],
                                            strict=True):
        server = await aiohttp_server(fake.app())
        fake.base = str(server.make_url("/v2.1"))
        clients.set_endpoints(region, {"compute": fake.base,
                                       "placement": fake.root + "/placement"})
        async with db.session() as s:
            pod = await registry.create_pod(s, region_name=region, az_name=az,
                                            pod_az_name=pod_az)
        pod_ids[region] = pod.id
    app = build_app(conf, db=db, service_auth=StubServiceAuth(),  # type: ignore[arg-type]
                    pods=clients, tokens=StubTokens())  # type: ignore[arg-type]
    client = await aiohttp_client(app)
    gw = Gateway(client, db, pods, pod_ids, conf, clients)
    for region in pods:
        await gw.set_pod(region, health="healthy", capabilities={
            "compute": {"min_version": "2.1", "max_version": pods[region].max_version}})
    yield gw
    await db.close()
    for fake in pods.values():
        assert fake.unexpected == []
