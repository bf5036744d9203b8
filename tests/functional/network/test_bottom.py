"""The create protocol of bottom copies (reserve -> create marked -> tag -> bind)
against a strict fake pod Neutron and a real SQLite routing table."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from tricircle.clients.pod import PodClients
from tricircle.db.engine import Database
from tricircle.db.models import Base
from tricircle.networking import bottom as bottom_mod
from tricircle.networking.bottom import BottomNetworking, BottomRefused, PodNeutron
from tricircle.pods import registry
from tricircle.routing import table


@dataclass
class FakePodNeutron:
    """Networks only: create (no tags in a POST, like the lab's pods), tag, filter, delete."""

    networks: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    refuse: bool = False

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_post("/v2.0/networks", self.create)
        app.router.add_get("/v2.0/networks", self.index)
        app.router.add_put("/v2.0/networks/{id}/tags", self.tags)
        app.router.add_delete("/v2.0/networks/{id}", self.delete)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append(f"{request.method} {request.path_qs}")
        assert request.headers["X-Auth-Token"] == "service-token"
        try:
            return await handler(request)
        except web.HTTPNotFound:
            self.unexpected.append(f"{request.method} {request.path_qs}")
            return web.Response(status=599)

    async def create(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())["network"]
        if self.refuse or "tags" in body:
            return web.json_response({"NeutronError": {"type": "HTTPBadRequest",
                                                       "message": "no", "detail": ""}},
                                     status=400)
        net = {"id": str(uuid.uuid4()), "tags": [], **body}
        self.networks[net["id"]] = net
        return web.json_response({"network": net}, status=201)

    async def index(self, request: web.Request) -> web.Response:
        tag, desc = request.query.get("tags"), request.query.get("description")
        found = [{"id": n["id"]} for n in self.networks.values()
                 if (tag is None or tag in n["tags"])
                 and (desc is None or n.get("description") == desc)]
        return web.json_response({"networks": found})

    async def tags(self, request: web.Request) -> web.Response:
        net = self.networks[request.match_info["id"]]
        net["tags"] = json.loads(await request.read())["tags"]
        return web.json_response({"tags": net["tags"]})

    async def delete(self, request: web.Request) -> web.Response:
        if self.networks.pop(request.match_info["id"], None) is None:
            return web.json_response({"NeutronError": {}}, status=404)
        return web.Response(status=204)


@dataclass
class Env:
    db: Database
    fake: FakePodNeutron
    bottom: BottomNetworking
    pod_id: str

    async def rows(self) -> list[table.Route]:
        async with self.db.session() as s:
            return await table.list_routes(s, resource_type="network")

    def create(self, top_id: str) -> Any:
        body = {"network": {"name": "net1", "description": top_id}}

        async def go() -> str:
            answer = await self.bottom.neutron.call("POST", "/networks", body)
            return str(answer["network"]["id"])

        return go


@pytest.fixture
async def env(aiohttp_server, tmp_path, monkeypatch):
    monkeypatch.setattr(bottom_mod, "_WAIT_STEP", 0.01)
    fake = FakePodNeutron()
    server = await aiohttp_server(fake.app())
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with db.session() as s:
        pod = await registry.create_pod(s, region_name="RegionOne", az_name="az1")
    clients = PodClients(None)  # type: ignore[arg-type]
    clients.set_endpoints("RegionOne", {"network": str(server.make_url(""))})
    neutron = PodNeutron(await clients.get("RegionOne"), "service-token", pod)
    yield Env(db, fake, BottomNetworking(db, neutron, "proj"), pod.id)
    await clients.close()
    await db.close()
    assert fake.unexpected == []


async def test_first_use_creates_tags_and_binds(env: Env) -> None:
    bottom, created = await env.bottom.ensure("network", "top-1", env.create("top-1"))
    assert created
    assert env.fake.networks[bottom]["tags"] == ["top-1"]
    [row] = await env.rows()
    assert (row.top_id, row.bottom_id, row.project_id) == ("top-1", bottom, "proj")


async def test_second_use_reuses_the_copy_without_creating(env: Env) -> None:
    first, _ = await env.bottom.ensure("network", "top-1", env.create("top-1"))
    calls = len(env.fake.calls)
    again, created = await env.bottom.ensure("network", "top-1", env.create("top-1"))
    assert (again, created) == (first, False)
    assert len(env.fake.networks) == 1 and len(env.fake.calls) == calls


async def test_reservation_left_by_a_crash_is_bound_to_the_marked_copy(env: Env) -> None:
    async with env.db.session() as s:
        await table.reserve(s, top_id="top-2", pod_id=env.pod_id, project_id="proj",
                            resource_type="network")
    orphan = str(uuid.uuid4())  # created, never tagged: found by its description
    env.fake.networks[orphan] = {"id": orphan, "tags": [], "description": "top-2"}
    bottom, created = await env.bottom.ensure("network", "top-2", env.create("top-2"))
    assert (bottom, created) == (orphan, False)
    assert len(env.fake.networks) == 1
    assert (await env.rows())[0].bottom_id == orphan


async def test_reservation_whose_creator_made_nothing_is_taken_over(env: Env) -> None:
    async with env.db.session() as s:
        await table.reserve(s, top_id="top-3", pod_id=env.pod_id, project_id="proj",
                            resource_type="network")
    bottom, _ = await env.bottom.ensure("network", "top-3", env.create("top-3"))
    assert env.fake.networks[bottom]["tags"] == ["top-3"]
    assert (await env.rows())[0].bottom_id == bottom


async def test_a_refused_create_leaves_no_reservation(env: Env) -> None:
    env.fake.refuse = True
    with pytest.raises(BottomRefused):
        await env.bottom.ensure("network", "top-4", env.create("top-4"))
    assert await env.rows() == []


async def test_remove_deletes_the_copy_and_its_row(env: Env) -> None:
    await env.bottom.ensure("network", "top-5", env.create("top-5"))
    await env.bottom.remove("network", "top-5")
    assert env.fake.networks == {} and await env.rows() == []


async def test_a_marked_copy_made_before_the_row_existed_is_adopted(env: Env) -> None:
    old = str(uuid.uuid4())  # e.g. the routing table was restored from a backup
    env.fake.networks[old] = {"id": old, "tags": ["top-6"], "description": "top-6"}
    bottom, created = await env.bottom.ensure("network", "top-6", env.create("top-6"))
    assert (bottom, created) == (old, False)
    assert len(env.fake.networks) == 1 and (await env.rows())[0].bottom_id == old
