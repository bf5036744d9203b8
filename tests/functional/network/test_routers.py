"""The router job (`networking.router_setup`) against strict fake Neutrons: one
plays central Neutron, two play the pods' (RegionOne, RegionTwo)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import update

from tests.functional.network.conftest import StubServiceAuth
from tests.functional.network.fake_store import FakeStore
from tricircle import conf as tconf
from tricircle.clients.pod import PodClients
from tricircle.db.clock import utcnow
from tricircle.db.engine import Database
from tricircle.db.models import Base, Job
from tricircle.jobs import api as jobs
from tricircle.jobs.engine import JobEngine
from tricircle.jobs.handlers import JobDeps
from tricircle.networking import routers
from tricircle.networking.cleanup import NETWORK_CLEANUP
from tricircle.pods import registry
from tricircle.routing import table

P1 = "a" * 32
R1, R2 = "RegionOne", "RegionTwo"


class FakeL3(FakeStore):
    """FakeStore plus router interface actions; repeated query keys are ORed."""

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_put(
            "/v2.0/{coll:routers}/{id}/{action:(?:add|remove)_router_interface}", self.interface)
        return app

    async def index(self, request: web.Request) -> web.Response:
        coll = request.match_info["coll"]
        keys = {k for k in request.query if k != "fields"}
        found = [i for i in self.of(coll) if all(
            any(v in i.get("tags", []) if k == "tags" else str(i.get(k)) == v
                for v in request.query.getall(k)) for k in keys)]
        return web.json_response({coll.replace("-", "_"): found})

    async def create(self, request: web.Request) -> web.Response:
        resp = await super().create(request)
        coll = request.match_info["coll"]
        if resp.status != 201 or coll not in ("routers", "subnets"):
            return resp
        made = json.loads(resp.body)[coll[:-1]]  # type: ignore[arg-type]
        if coll == "routers":
            self.items["routers"][made["id"]].update(routes=[], external_gateway_info=None)
        else:  # like Neutron, a network lists its subnets; no pool asked = the whole range
            self.items["networks"][made["network_id"]].setdefault("subnets", []).append(
                made["id"])
            if not made.get("allocation_pools"):
                self.items["subnets"][made["id"]]["allocation_pools"] = [
                    {"start": "whole", "end": "range"}]
                return web.json_response({"subnet": self.items["subnets"][made["id"]]},
                                         status=201)
        return resp

    async def interface(self, request: web.Request) -> web.Response:
        info = json.loads(await request.read())
        router = request.match_info["id"]
        if "subnet_id" in info:  # like Neutron: a new port with the subnet's gateway address
            if request.match_info["action"] != "add_router_interface":
                return web.json_response({}, status=400)
            subnet = self.items["subnets"].get(info["subnet_id"])
            if subnet is None:
                return web.json_response({}, status=404)
            if any(ip["subnet_id"] == subnet["id"] for p in self.of("ports")
                   if p.get("device_id") == router for ip in p["fixed_ips"]):
                return web.json_response({}, status=400)  # already on that subnet
            port_id = str(uuid.uuid4())
            self.items["ports"][port_id] = {
                "id": port_id, "network_id": subnet["network_id"], "tags": [],
                "description": "", "device_id": router, "mac_address": "fa:16:3e:99:99:99",
                "device_owner": "network:router_interface", "name": "",
                "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": subnet["gateway_ip"]}]}
            return web.json_response({"id": router, "port_id": port_id,
                                      "subnet_id": subnet["id"]})
        port_id = info["port_id"]
        if request.match_info["action"] == "add_router_interface":
            self.items["ports"][port_id].update(device_id=request.match_info["id"],
                                               device_owner="network:router_interface")
        else:
            self.items["ports"].pop(port_id, None)
        return web.json_response({"id": request.match_info["id"], "port_id": port_id})


@dataclass
class Env:
    db: Database
    conf: Any
    clients: PodClients
    central: FakeL3
    pods: dict[str, FakeL3]
    pod_ids: dict[str, str]
    urls: dict[str, str]

    async def run_jobs(self) -> int:
        async with self.db.session() as s:
            await s.execute(update(Job).values(not_before=utcnow()))
        engine = JobEngine(JobDeps(self.db, self.clients, StubServiceAuth(),  # type: ignore
                                   self.conf))
        return await engine.run_until_idle()

    async def setup_router(self, router: str = "r1") -> None:
        async with self.db.session() as s:
            await routers.enqueue(s, router, P1)
        await self.run_jobs()

    async def copy_in(self, region: str, network: str) -> None:
        """A boot put `network` in `region` (bottom copy and routing row)."""
        pod = self.pods[region]
        top = self.central.items["networks"][network]
        copy = {**top, "id": f"{region}-{network}", "tags": [network], "description": network}
        pod.items["networks"][copy["id"]] = copy
        async with self.db.session() as s:
            await table.create_route(s, top_id=network, pod_id=self.pod_ids[region],
                                     project_id=P1, resource_type="network",
                                     bottom_id=copy["id"])

    def router(self, region: str) -> dict[str, Any]:
        [found] = [r for r in self.pods[region].of("routers") if "r1" in r["tags"]]
        return found

    def interfaces(self, region: str, router: dict[str, Any]) -> list[str]:
        return sorted(ip["ip_address"] for p in self.pods[region].of("ports")
                      if p.get("device_id") == router["id"] for ip in p["fixed_ips"])

    def bridge_ip(self, region: str) -> str:
        [port] = [p for p in self.central.of("ports")
                  if p.get("name") == f"tricircle-bridge:r1:{self.pod_ids[region]}"]
        return str(port["fixed_ips"][0]["ip_address"])


def _central_topology(central: FakeL3) -> None:
    """ext (RegionTwo), net1 10.0.1.0/24 and net2 10.0.2.0/24 on router r1 with a gateway."""
    items = central.items
    for name, cidr in (("ext", "163.3.124.0/24"), ("net1", "10.0.1.0/24"),
                       ("net2", "10.0.2.0/24")):
        items["networks"][name] = {"id": name, "name": name, "project_id": P1,
                                   "tags": ["RegionTwo"] if name == "ext" else [],
                                   "provider:network_type": "vxlan",
                                   "provider:segmentation_id": 150000 + len(items["networks"]),
                                   "provider:physical_network": None}
        items["subnets"][f"sub-{name}"] = {
            "id": f"sub-{name}", "network_id": name, "cidr": cidr, "ip_version": 4,
            "gateway_ip": cidr.replace("0/24", "1"), "project_id": P1, "tags": []}
    for name in ("net1", "net2"):
        items["ports"][f"if-{name}"] = {
            "id": f"if-{name}", "network_id": name, "device_id": "r1", "tags": [],
            "device_owner": "network:router_interface", "mac_address": f"fa:16:3e:0{name[-1]}",
            "fixed_ips": [{"subnet_id": f"sub-{name}",
                           "ip_address": f"10.0.{name[-1]}.1"}]}
    items["routers"]["r1"] = {
        "id": "r1", "name": "router", "project_id": P1, "tags": [], "routes": [],
        "external_gateway_info": {"network_id": "ext", "enable_snat": True,
                                  "external_fixed_ips": [{"subnet_id": "sub-ext",
                                                          "ip_address": "163.3.124.5"}]}}


@pytest.fixture
async def env(aiohttp_server, tmp_path):
    conf = tconf.new_config([], config_files=[])
    conf.set_override("max_attempts", 3, group="jobs")
    central = FakeL3("central")
    pods = {R1: FakeL3(R1), R2: FakeL3(R2)}
    urls = {name: str((await aiohttp_server(fake.app())).make_url(""))
            for name, fake in (("central", central), *pods.items())}
    conf.set_override("central_neutron_url", urls["central"], group="networking")
    clients = PodClients(None)  # type: ignore[arg-type]
    for region in pods:
        clients.set_endpoints(region, {"network": urls[region]})
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with db.session() as s:
        ids = {r: (await registry.create_pod(s, region_name=r, az_name=f"az{i + 1}")).id
               for i, r in enumerate(pods)}
    _central_topology(central)
    env = Env(db, conf, clients, central, pods, ids, urls)
    yield env
    await clients.close() if hasattr(clients, "close") else None
    await db.close()
    for fake in (central, *pods.values()):
        assert fake.unexpected == []


async def test_router_over_two_pods_gets_bridge_routes_per_subnet_and_the_gateway(
        env: Env) -> None:
    await env.copy_in(R1, "net1")
    await env.copy_in(R2, "net2")
    await env.setup_router()
    r1, r2 = env.router(R1), env.router(R2)
    ip1, ip2 = env.bridge_ip(R1), env.bridge_ip(R2)
    assert env.interfaces(R1, r1) == sorted(["10.0.1.1", ip1])
    assert env.interfaces(R2, r2) == sorted(["10.0.2.1", ip2])
    assert r1["routes"] == [{"destination": "0.0.0.0/0", "nexthop": ip2},
                            {"destination": "10.0.2.0/24", "nexthop": ip2}]
    assert r2["routes"] == [{"destination": "10.0.1.0/24", "nexthop": ip1}]
    assert r1["external_gateway_info"] is None
    [ext] = [n for n in env.pods[R2].of("networks") if n["tags"] == ["ext"]]
    [ext_sub] = [s for s in env.pods[R2].of("subnets") if s["tags"] == ["sub-ext"]]
    assert ext["router:external"] is True
    assert r2["external_gateway_info"] == {"network_id": ext["id"], "enable_snat": True,
                                           "external_fixed_ips": [{
                                               "subnet_id": ext_sub["id"],
                                               "ip_address": "163.3.124.5"}]}
    [bridge] = [n for n in env.central.of("networks") if "tricircle-bridge" in n["tags"]]
    for region in (R1, R2):  # each pod's bridge copy has central's segment
        [copy] = [n for n in env.pods[region].of("networks") if n["tags"] == [bridge["id"]]]
        assert copy["provider:segmentation_id"] == bridge["provider:segmentation_id"]


async def test_a_second_run_changes_nothing(env: Env) -> None:
    await env.copy_in(R1, "net1")
    await env.copy_in(R2, "net2")
    await env.setup_router()
    for fake in (env.central, *env.pods.values()):
        fake.calls.clear()
    await env.setup_router()
    writes = [c for fake in (env.central, *env.pods.values()) for c in fake.calls
              if not c.startswith("GET ")]
    assert writes == []
    # reads: the bottom router and its ports; the gateway pod its floating IPs too
    assert [c.split("?")[0] for c in env.pods[R1].calls] == \
        [f"GET /v2.0/routers/{env.router(R1)['id']}", "GET /v2.0/ports"]
    assert len(env.pods[R2].calls) == 3


async def test_router_in_one_pod_has_no_bridge(env: Env) -> None:
    await env.copy_in(R2, "net2")
    await env.setup_router()
    assert env.pods[R1].of("routers") == []
    r2 = env.router(R2)
    assert env.interfaces(R2, r2) == ["10.0.2.1"] and r2["routes"] == []
    assert [n for n in env.central.of("networks") if "tricircle-bridge" in n["tags"]] == []


async def test_pod_down_fails_the_job_which_retries_and_converges(env: Env) -> None:
    await env.copy_in(R1, "net1")
    env.clients.set_endpoints(R2, {"network": "http://127.0.0.1:9"})
    await env.setup_router()
    async with env.db.session() as s:
        [job] = await jobs.list_jobs(s, job_type=routers.ROUTER_SETUP)
    assert job.status == "new" and job.attempts == 1
    assert "RegionTwo is unavailable" in (job.last_error or "")
    assert job.not_before > job.updated_at  # backoff: not before a later time
    env.clients.set_endpoints(R2, {"network": env.urls[R2]})
    await env.run_jobs()
    async with env.db.session() as s:
        [job] = await jobs.list_jobs(s, job_type=routers.ROUTER_SETUP)
    assert job.status == "succeeded"
    assert env.router(R2)["external_gateway_info"]["external_fixed_ips"][0]["ip_address"] \
        == "163.3.124.5"


async def test_interface_removed_at_the_top_leaves_the_pod(env: Env) -> None:
    await env.copy_in(R1, "net1")
    await env.copy_in(R2, "net2")
    await env.setup_router()
    del env.central.items["ports"]["if-net1"]
    await env.setup_router()
    assert env.pods[R1].of("routers") == []   # RegionOne no longer spanned
    r2 = env.router(R2)
    assert env.interfaces(R2, r2) == ["10.0.2.1"] and r2["routes"] == []
    assert [n for n in env.central.of("networks") if "tricircle-bridge" in n["tags"]] == []


async def test_router_deleted_at_the_top_leaves_every_pod(env: Env) -> None:
    await env.copy_in(R1, "net1")
    await env.copy_in(R2, "net2")
    await env.setup_router()
    [bridge] = [n for n in env.central.of("networks") if "tricircle-bridge" in n["tags"]]
    del env.central.items["routers"]["r1"]
    await env.setup_router()
    for region in (R1, R2):
        assert env.pods[region].of("routers") == []
        assert [p for p in env.pods[region].of("ports")
                if p.get("device_owner") == "network:router_interface"] == []
        assert [n for n in env.pods[region].of("networks") if n["tags"] == [bridge["id"]]] == []
    assert bridge["id"] not in env.central.items["networks"]
    async with env.db.session() as s:
        assert await table.list_routes(s, resource_type=routers.ROUTER) == []
        done = await jobs.list_jobs(s, job_type=NETWORK_CLEANUP)
    assert [j.status for j in done] == ["succeeded"]


async def _vm_port_in(env: Env, region: str) -> str:
    """The VM port `vm1` (on net1) has its bottom copy in `region` (a boot there)."""
    pod = env.pods[region]
    copy = {**env.central.items["ports"]["vm1"], "id": f"{region}-vm1", "tags": ["vm1"],
            "description": "vm1"}
    pod.items["ports"][copy["id"]] = copy
    async with env.db.session() as s:
        for route in await table.lookup(s, "vm1", "port", project_id=None):
            await table.release(s, route.id)
        await table.create_route(s, top_id="vm1", pod_id=env.pod_ids[region], project_id=P1,
                                 resource_type="port", bottom_id=copy["id"])
    return str(copy["id"])


async def test_floating_ip_lives_in_the_gateway_pod_on_a_shadow_then_on_the_vm_port(
        env: Env) -> None:
    env.central.items["ports"]["vm1"] = {
        "id": "vm1", "network_id": "net1", "device_id": "server", "tags": [],
        "device_owner": "compute:az1", "mac_address": "fa:16:3e:aa:bb:cc",
        "fixed_ips": [{"subnet_id": "sub-net1", "ip_address": "10.0.1.20"}]}
    env.central.items["floatingips"]["f1"] = {
        "id": "f1", "router_id": "r1", "port_id": "vm1", "fixed_ip_address": "10.0.1.20",
        "floating_ip_address": "163.3.124.15", "floating_network_id": "ext", "tags": []}
    await env.copy_in(R1, "net1")
    await env.copy_in(R2, "net2")
    await _vm_port_in(env, R1)
    await env.setup_router()
    [fip] = env.pods[R2].of("floatingips")
    [shadow] = [p for p in env.pods[R2].of("ports") if p["description"] == "shadow:vm1"]
    assert (fip["floating_ip_address"], fip["port_id"], fip["router_id"]) == \
        ("163.3.124.15", shadow["id"], env.router(R2)["id"])
    assert (shadow["mac_address"], shadow["fixed_ips"][0]["ip_address"]) == \
        ("fa:16:3e:aa:bb:cc", "10.0.1.20")
    assert env.pods[R1].of("floatingips") == []
    # the VM moves to the gateway pod: the floating IP follows, the shadow goes
    del env.pods[R1].items["ports"]["RegionOne-vm1"]
    moved = await _vm_port_in(env, R2)
    await env.setup_router()
    [fip] = env.pods[R2].of("floatingips")
    assert fip["port_id"] == moved
    assert [p for p in env.pods[R2].of("ports") if p["description"] == "shadow:vm1"] == []
    # disassociated at the top: gone from the pod
    env.central.items["floatingips"]["f1"].update(port_id=None, router_id=None)
    await env.setup_router()
    assert env.pods[R2].of("floatingips") == []


async def test_interfaces_cost_one_call_each_and_are_not_tagged(env: Env) -> None:
    await env.copy_in(R1, "net1")
    await env.copy_in(R2, "net2")
    await env.setup_router()
    calls = [c.split("?")[0] for c in env.pods[R1].calls]
    # the gateway-address interface: one add_router_interface by subnet; the bridge
    # port (no gateway on the bridge): POST + add by port; no PUT tags on ports
    r1 = env.router(R1)["id"]
    assert calls.count(f"PUT /v2.0/routers/{r1}/add_router_interface") == 2
    assert [c for c in calls if c.startswith("PUT /v2.0/ports/")] == []
    [itf] = [p for p in env.pods[R1].of("ports")
             if p["device_id"] == r1 and p["fixed_ips"][0]["ip_address"] == "10.0.1.1"]
    async with env.db.session() as s:
        [route] = await table.lookup(s, "if-net1", "port", project_id=None)
    assert route.bottom_id == itf["id"] and itf["tags"] == []


async def test_an_interface_attached_by_a_cut_short_run_is_found_again(env: Env) -> None:
    await env.copy_in(R1, "net1")
    await env.copy_in(R2, "net2")
    await env.setup_router()
    async with env.db.session() as s:  # the run died between the attach and the row
        for route in await table.lookup(s, "if-net1", "port", project_id=None):
            await table.release(s, route.id)
    env.pods[R1].calls.clear()
    await env.setup_router()
    assert not [c for c in env.pods[R1].calls if "add_router_interface" in c]
    r1 = env.router(R1)
    assert env.interfaces(R1, r1) == sorted(["10.0.1.1", env.bridge_ip(R1)])
    async with env.db.session() as s:
        [route] = await table.lookup(s, "if-net1", "port", project_id=None)
    assert route.bottom_id in {p["id"] for p in env.pods[R1].of("ports")}


async def test_a_rename_and_admin_state_reach_every_bottom_router(env: Env) -> None:
    await env.copy_in(R1, "net1")
    await env.copy_in(R2, "net2")
    await env.setup_router()
    env.central.items["routers"]["r1"].update(name="renamed", admin_state_up=False,
                                              description="mine")
    await env.setup_router()
    for region in (R1, R2):
        bottom = env.router(region)
        assert (bottom["name"], bottom["admin_state_up"]) == ("renamed", False)
        assert bottom["description"] == "r1"   # the marker stays
    assert env.router(R2)["routes"] == [{"destination": "10.0.1.0/24",
                                         "nexthop": env.bridge_ip(R1)}]


async def test_copies_of_subnets_hand_out_no_address(env: Env) -> None:
    """A pod fills a pool asked empty in a POST: the copy's pool is emptied after."""
    await env.copy_in(R1, "net1")
    await env.copy_in(R2, "net2")
    await env.setup_router()
    for region in (R1, R2):
        subnets = env.pods[region].of("subnets")
        assert subnets and all(s["allocation_pools"] == [] for s in subnets)
