"""Servers on top networks through the gateway: fake central Neutron, a fake pod
(Nova + Placement from the compute tests, plus its own fake Neutron)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update

from tests.functional.compute.fake_pod import FLAVOR, IMAGE, FakePod
from tests.functional.network.conftest import StubServiceAuth, StubTokens
from tests.functional.network.fake_store import FakeStore
from tricircle import conf as tconf
from tricircle.api.app import build_app
from tricircle.clients.pod import PodClients
from tricircle.db.clock import utcnow
from tricircle.db.engine import Database
from tricircle.db.models import Base, Job, Pod
from tricircle.jobs.engine import JobEngine
from tricircle.jobs.handlers import JobDeps
from tricircle.networking.central import hints_cache
from tricircle.pods import registry
from tricircle.routing import table

P1 = "a" * 32


@dataclass
class Env:
    client: Any
    db: Database
    central: FakeStore
    neutron: FakeStore
    nova: FakePod
    conf: Any
    clients: PodClients
    net: str = ""
    subnet: str = ""

    async def boot(self, networks: Any, **extra: Any) -> Any:
        body = {"server": {"name": "vm", "flavorRef": FLAVOR["id"], "imageRef": IMAGE,
                           "networks": networks, **extra}}
        return await self.client.post("/compute/v2.1/servers", data=json.dumps(body),
                                      headers={"X-Auth-Token": P1})

    async def rows(self, kind: str) -> list[table.Route]:
        async with self.db.session() as s:
            return await table.list_routes(s, resource_type=kind)

    async def run_jobs(self) -> None:
        async with self.db.session() as s:
            await s.execute(update(Job).values(not_before=utcnow()))
        engine = JobEngine(JobDeps(self.db, self.clients, StubServiceAuth(),  # type: ignore
                                   self.conf))
        await engine.run_until_idle()


@pytest.fixture
async def env(aiohttp_client, aiohttp_server, tmp_path):
    conf = tconf.new_config([], config_files=[])
    conf.set_override("run_worker", False, group="api")
    conf.set_override("max_attempts", 1, group="jobs")
    central, neutron, nova = FakeStore("central"), FakeStore("RegionOne"), FakePod("RegionOne")
    neutron.unique_segments = True
    central_srv = await aiohttp_server(central.app())
    neutron_srv = await aiohttp_server(neutron.app())
    nova_srv = await aiohttp_server(nova.app())
    nova.base = str(nova_srv.make_url("/v2.1"))
    conf.set_override("central_neutron_url", str(central_srv.make_url("")), group="networking")
    clients = PodClients(None)  # type: ignore[arg-type]
    clients.set_endpoints("RegionOne", {"compute": nova.base, "placement": nova.root +
                                        "/placement", "network": str(neutron_srv.make_url(""))})
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with db.session() as s:
        await registry.create_pod(s, region_name="RegionOne", az_name="az1")
        await s.execute(update(Pod).values(health="healthy", capabilities={
            "compute": {"min_version": "2.1", "max_version": "2.104"}}))
    app = build_app(conf, db=db, service_auth=StubServiceAuth(),  # type: ignore[arg-type]
                    pods=clients, tokens=StubTokens())  # type: ignore[arg-type]
    env = Env(await aiohttp_client(app), db, central, neutron, nova, conf, clients)
    central.items["networks"]["n1"] = {
        "id": "n1", "name": "net1", "project_id": P1, "tags": [], "shared": False,
        "provider:network_type": "vxlan", "provider:segmentation_id": 150007,
        "provider:physical_network": None}
    central.items["subnets"]["s1"] = {
        "id": "s1", "name": "sub1", "network_id": "n1", "cidr": "10.0.0.0/24",
        "ip_version": 4, "gateway_ip": "10.0.0.1", "project_id": P1, "tags": []}
    env.net, env.subnet = "n1", "s1"
    yield env
    await db.close()
    for fake in (central, neutron):
        assert fake.unexpected == []
    assert nova.unexpected == []


async def test_boot_on_a_top_network_makes_the_pod_copies(env: Env) -> None:
    resp = await env.boot([{"uuid": env.net}])
    assert resp.status == 202
    server = (await resp.json())["server"]["id"]
    [top_port] = env.central.of("ports")
    [net] = env.neutron.of("networks")
    [sub] = env.neutron.of("subnets")
    [port] = env.neutron.of("ports")
    assert (net["name"], net["provider:segmentation_id"], net["tags"]) == ("net1", 150007, ["n1"])
    assert (sub["cidr"], sub["allocation_pools"], sub["enable_dhcp"]) == \
        ("10.0.0.0/24", [], False)
    assert port["mac_address"] == top_port["mac_address"]
    assert port["fixed_ips"] == [{"subnet_id": sub["id"],
                                  "ip_address": top_port["fixed_ips"][0]["ip_address"]}]
    assert env.nova.creates[-1]["server"]["networks"] == [{"port": port["id"]}]
    # after the answer, a job: the central port shows the server, the bottom port its tag
    assert (top_port["device_id"], port["tags"]) == ("", [])
    await env.run_jobs()
    assert (top_port["device_id"], top_port["device_owner"]) == (server, "compute:az1")
    assert port["tags"] == [top_port["id"]]
    assert [r.bottom_id for r in await env.rows("network")] == [net["id"]]
    assert [r.top_id for r in await env.rows("port")] == [top_port["id"]]
    assert set(env.neutron.tokens) == {"service-token"}


async def test_second_boot_reuses_the_bottom_network_and_subnet(env: Env) -> None:
    assert (await env.boot([{"uuid": env.net}])).status == 202
    assert (await env.boot([{"uuid": env.net, "fixed_ip": "10.0.0.77"}])).status == 202
    assert len(env.neutron.of("networks")) == 1 and len(env.neutron.of("subnets")) == 1
    assert "10.0.0.77" in [p["fixed_ips"][0]["ip_address"] for p in env.neutron.of("ports")]


async def test_unknown_network_is_novas_400_and_nothing_is_made(env: Env) -> None:
    resp = await env.boot([{"uuid": "nope"}])
    assert resp.status == 400
    assert (await resp.json())["badRequest"]["message"] == "Network nope could not be found."
    assert env.nova.creates == [] and env.neutron.calls == []
    assert await env.rows("server") == []


async def test_port_in_use_is_a_409(env: Env) -> None:
    env.central.items["ports"]["p1"] = {"id": "p1", "network_id": "n1", "device_id": "x",
                                        "tags": [], "fixed_ips": [], "mac_address": "m"}
    resp = await env.boot([{"port": "p1"}])
    assert resp.status == 409


async def test_refused_boot_removes_the_ports(env: Env) -> None:
    resp = await env.boot([{"uuid": env.net}], imageRef="bad-image")
    assert resp.status == 400
    assert env.central.of("ports") == [] and env.neutron.of("ports") == []
    assert await env.rows("port") == [] and await env.rows("server") == []
    assert len(env.neutron.of("networks")) == 1  # kept for the next boot


async def test_delete_releases_bottom_port_and_the_gateways_central_port(env: Env) -> None:
    env.central.items["ports"]["mine"] = {
        "id": "mine", "network_id": "n1", "device_id": "", "tags": [], "security_groups": [],
        "mac_address": "fa:16:3e:aa:bb:cc", "project_id": P1,
        "fixed_ips": [{"subnet_id": "s1", "ip_address": "10.0.0.200"}]}
    resp = await env.boot([{"uuid": env.net}, {"port": "mine"}])
    server = (await resp.json())["server"]["id"]
    assert len(env.neutron.of("ports")) == 2
    deleted = await env.client.delete(f"/compute/v2.1/servers/{server}",
                                      headers={"X-Auth-Token": P1})
    assert deleted.status == 204
    await env.run_jobs()
    assert env.neutron.of("ports") == [] and await env.rows("port") == []
    [kept] = env.central.of("ports")
    assert (kept["id"], kept["device_id"]) == ("mine", "")


async def test_central_port_gets_the_bottom_ports_host_once_bound(env: Env) -> None:
    assert (await env.boot([{"uuid": env.net}])).status == 202
    [port] = env.neutron.of("ports")
    port["binding:host_id"] = "compute-7"
    await env.run_jobs()
    assert env.central.of("ports")[0]["binding:host_id"] == "compute-7"


async def test_network_deleted_at_the_top_leaves_the_pods(env: Env) -> None:
    server = (await (await env.boot([{"uuid": env.net}])).json())["server"]["id"]
    await env.client.delete(f"/compute/v2.1/servers/{server}", headers={"X-Auth-Token": P1})
    await env.run_jobs()
    env.central.items["subnets"].clear()
    resp = await env.client.delete(f"/network/v2.0/networks/{env.net}",
                                   headers={"X-Auth-Token": P1})
    assert resp.status == 204
    await env.run_jobs()
    assert env.neutron.of("networks") == [] and env.neutron.of("subnets") == []
    assert await env.rows("network") == [] and await env.rows("subnet") == []


async def _network_call(env: Env, method: str, path: str, body: Any = None) -> Any:
    return await env.client.request(method, "/network/v2.0" + path, headers={
        "X-Auth-Token": P1}, data=json.dumps(body) if body is not None else None)


async def test_top_updates_reach_the_pod_copies(env: Env) -> None:
    assert (await env.boot([{"uuid": env.net}])).status == 202
    resp = await _network_call(env, "PUT", f"/networks/{env.net}",
                               {"network": {"name": "renamed"}})
    assert resp.status == 200
    [top_port] = env.central.of("ports")
    await _network_call(env, "PUT", f"/ports/{top_port['id']}",
                        {"port": {"name": "p-renamed", "admin_state_up": False}})
    await env.run_jobs()
    assert env.neutron.of("networks")[0]["name"] == "renamed"
    [port] = env.neutron.of("ports")
    assert (port["name"], port["admin_state_up"]) == ("p-renamed", False)


async def test_rule_changes_reach_the_pod_copies_of_the_group(env: Env) -> None:
    env.central.items["security-groups"]["g1"] = {"id": "g1", "name": "web", "tags": [],
                                                  "project_id": P1}
    resp = await env.boot([{"uuid": env.net}], security_groups=[{"name": "web"}])
    assert resp.status == 202
    [group] = env.neutron.of("security-groups")
    rule = {"security_group_rule": {"security_group_id": "g1", "direction": "ingress",
                                    "ethertype": "IPv4", "protocol": "tcp",
                                    "port_range_min": 80, "port_range_max": 80}}
    made = await _network_call(env, "POST", "/security-group-rules", rule)
    assert made.status == 201
    await env.run_jobs()
    [copied] = env.neutron.of("security-group-rules")
    assert (copied["security_group_id"], copied["port_range_min"]) == (group["id"], 80)
    rule_id = (await made.json())["security_group_rule"]["id"]
    assert (await _network_call(env, "DELETE", f"/security-group-rules/{rule_id}")).status == 204
    await env.run_jobs()
    assert env.neutron.of("security-group-rules") == []


async def test_security_group_deleted_at_the_top_leaves_the_pod(env: Env) -> None:
    env.central.items["security-groups"]["g1"] = {"id": "g1", "name": "web", "tags": [],
                                                  "project_id": P1}
    resp = await env.boot([{"uuid": env.net}], security_groups=[{"name": "web"}])
    server = (await resp.json())["server"]["id"]
    await env.client.delete(f"/compute/v2.1/servers/{server}", headers={"X-Auth-Token": P1})
    await env.run_jobs()
    assert (await _network_call(env, "DELETE", "/security-groups/g1")).status == 204
    await env.run_jobs()
    assert env.neutron.of("security-groups") == []
    assert await env.rows("security_group") == []


async def test_bottom_calls_on_the_critical_path_of_a_boot(env: Env) -> None:
    """Counted, so a change that adds calls to every boot is noticed (docs/networking.md).
    Every call made before the answer is on the critical path (the fixture runs no
    worker: the jobs run only when the test says)."""
    assert (await env.boot([{"uuid": env.net}])).status == 202
    port = env.neutron.of("ports")[-1]
    top = env.central.of("ports")[-1]
    # a network new to the pod: no look-up of copies (the pod would refuse a second
    # copy of the segment, and the subnet's network is new); tags made concurrently
    assert sorted(env.neutron.calls) == sorted([
        "POST /v2.0/networks", "POST /v2.0/subnets", "POST /v2.0/ports",
        f"PUT /v2.0/networks/{env.neutron.of('networks')[0]['id']}/tags",
        f"PUT /v2.0/subnets/{env.neutron.of('subnets')[0]['id']}/tags"])
    # user: hints for the scheduler (no AZ asked), POST port; admin, at once with the
    # POST: the network and its subnets
    assert sorted(env.central.calls) == sorted([
        "GET /v2.0/networks/n1?fields=id&fields=tags", "POST /v2.0/ports",
        "GET /v2.0/networks/n1", "GET /v2.0/subnets?network_id=n1"])
    env.neutron.calls.clear()
    env.central.calls.clear()
    await env.run_jobs()  # after the answer: attach (central tag and PUT, pod tags), binding
    assert {f"PUT /v2.0/ports/{top['id']}/tags/tricircle-server-port",
            f"PUT /v2.0/ports/{top['id']}"} <= set(env.central.calls)
    assert f"PUT /v2.0/ports/{port['id']}/tags" in env.neutron.calls
    assert top["tags"] == ["tricircle-server-port"]

    env.neutron.calls.clear()
    env.central.calls.clear()
    assert (await env.boot([{"uuid": env.net}])).status == 202
    # network and subnet reused: only the port, in the pod and in central (the
    # network's hints were read lately)
    assert env.neutron.calls == ["POST /v2.0/ports"]
    assert env.central.calls == ["POST /v2.0/ports"]
    env.central.calls.clear()
    env.neutron.calls.clear()
    hints_cache(env.client.app).invalidate(env.net)
    assert (await env.boot([{"uuid": env.net}], availability_zone="az1")).status == 202
    # an AZ asked, hints not known: read at once with the port's POST
    assert sorted(env.central.calls) == sorted([
        "GET /v2.0/networks/n1?fields=id&fields=tags", "POST /v2.0/ports"])
    assert env.neutron.calls == ["POST /v2.0/ports"]


# ---- a multiple create (min_count/max_count): one create per server, each on its own
# ports (Nova refuses several servers on one given port)

async def test_multiple_create_boots_each_server_on_its_own_ports(env: Env) -> None:
    resp = await env.boot([{"uuid": env.net}], min_count=3)

    assert resp.status == 202
    first = (await resp.json())["server"]["id"]
    names = sorted(s["name"] for s in env.nova.servers.values())
    assert names == ["vm-1", "vm-2", "vm-3"]  # as Nova names a multiple create
    assert [len(c["server"]["networks"]) for c in env.nova.creates] == [1, 1, 1]
    assert len({c["server"]["networks"][0]["port"] for c in env.nova.creates}) == 3
    assert all("min_count" not in c["server"] for c in env.nova.creates)
    rows = await env.rows("server")
    assert sorted(r.top_id for r in rows) == sorted(env.nova.servers)
    assert first in env.nova.servers
    await env.run_jobs()
    top_ports = env.central.of("ports")
    assert sorted(p["device_id"] for p in top_ports) == sorted(env.nova.servers)


async def test_servers_up_to_max_count_as_long_as_min_count_is_reached(env: Env) -> None:
    env.nova.refuse_after = 2
    resp = await env.boot([{"uuid": env.net}], min_count=1, max_count=3)

    assert resp.status == 202
    assert len(env.nova.servers) == 2 and len(await env.rows("server")) == 2
    assert len(env.central.of("ports")) == 2  # the refused third one's port removed


async def test_fewer_than_min_count_deletes_those_made_and_answers_the_refusal(env: Env) -> None:
    env.nova.refuse_after = 1
    resp = await env.boot([{"uuid": env.net}], min_count=2)

    assert resp.status == 403 and "forbidden" in await resp.json()
    assert env.nova.servers == {}
    await env.run_jobs()
    assert await env.rows("server") == []
    assert env.neutron.of("ports") == [] and env.central.of("ports") == []


async def test_a_multiple_create_without_top_networks_stays_one_create(env: Env) -> None:
    resp = await env.boot("none", min_count=2, max_count=2)
    assert resp.status == 202
    assert len(env.nova.creates) == 1 and len(env.nova.servers) == 2


# ---- concurrency and adoption on the boot's path

async def test_two_nics_on_a_network_new_to_the_pod_copy_it_once(env: Env) -> None:
    resp = await env.boot([{"uuid": env.net}, {"uuid": env.net}])

    assert resp.status == 202
    assert len(env.neutron.of("networks")) == 1 and len(env.neutron.of("subnets")) == 1
    assert env.neutron.calls.count("POST /v2.0/networks") == 1
    assert len(env.neutron.of("ports")) == 2 and len(env.central.of("ports")) == 2


async def test_a_marked_copy_without_a_row_is_adopted_when_the_pod_refuses_another(
        env: Env) -> None:
    """Rows lost (or a create whose answer was lost): the pod refuses a second
    network on the segment and a second subnet with the CIDR; the marked copies
    are adopted instead of duplicated."""
    assert (await env.boot([{"uuid": env.net}])).status == 202
    await env.run_jobs()
    [net], [sub] = env.neutron.of("networks"), env.neutron.of("subnets")
    async with env.db.session() as s:
        for kind in ("network", "subnet"):
            for route in await table.list_routes(s, resource_type=kind):
                await table.release(s, route.id)

    assert (await env.boot([{"uuid": env.net}])).status == 202
    assert [n["id"] for n in env.neutron.of("networks")] == [net["id"]]
    assert [s["id"] for s in env.neutron.of("subnets")] == [sub["id"]]
    assert [r.bottom_id for r in await env.rows("network")] == [net["id"]]
    assert [r.bottom_id for r in await env.rows("subnet")] == [sub["id"]]


async def test_a_failed_nic_removes_what_the_other_nics_made(env: Env) -> None:
    resp = await env.boot([{"uuid": env.net}, {"uuid": "nope"}])

    assert resp.status == 400
    assert (await resp.json())["badRequest"]["message"] == "Network nope could not be found."
    assert env.central.of("ports") == [] and env.neutron.of("ports") == []
    assert await env.rows("port") == [] and await env.rows("server") == []
    assert env.nova.creates == []


async def test_a_server_deleted_before_its_ports_were_attached_releases_them(
        env: Env) -> None:
    resp = await env.boot([{"uuid": env.net}])
    server = (await resp.json())["server"]["id"]
    [top] = env.central.of("ports")
    assert top["device_id"] == ""  # the attach job has not run
    deleted = await env.client.delete(f"/compute/v2.1/servers/{server}",
                                      headers={"X-Auth-Token": P1})
    assert deleted.status == 204
    await env.run_jobs()  # attach and release in one batch: the release waits
    assert env.central.of("ports") == [] and env.neutron.of("ports") == []
    assert await env.rows("port") == []


async def test_a_subnet_with_dhcp_gets_the_pods_reserved_address_on_the_first_boot(
        env: Env) -> None:
    env.central.items["subnets"]["s1"]["enable_dhcp"] = True

    assert (await env.boot([{"uuid": env.net}])).status == 202
    [reserved] = [p for p in env.central.of("ports") if p.get("device_owner") == "network:dhcp"]
    address = reserved["fixed_ips"][0]["ip_address"]
    assert reserved["name"] == "tricircle-dhcp:RegionOne:s1"
    [sub] = env.neutron.of("subnets")
    assert sub["enable_dhcp"] and sub["allocation_pools"] == [{"start": address,
                                                               "end": address}]
    [dhcp] = [p for p in env.neutron.of("ports") if p.get("device_owner") == "network:dhcp"]
    assert (dhcp["mac_address"], dhcp["fixed_ips"][0]["ip_address"], dhcp["tags"]) == \
        (reserved["mac_address"], address, [reserved["id"]])
    assert len(env.neutron.of("ports")) == 2  # the DHCP port and the server's


async def test_subnet_deleted_right_after_the_server_releases_its_ports_at_once(
        env: Env) -> None:
    """tempest's clean-up order: the server deleted (the pod says 404), then at once
    its subnet. Central refuses (409: the ports are still there, their release job
    has not run, nor has the attach job); the gateway releases the ports it made
    for that server in the request and the delete succeeds, as in Neutron."""
    env.central.items["ports"]["mine"] = {
        "id": "mine", "network_id": "n1", "device_id": "", "tags": [], "security_groups": [],
        "mac_address": "fa:16:3e:aa:bb:cc", "project_id": P1,
        "fixed_ips": [{"subnet_id": "s1", "ip_address": "10.0.0.200"}]}
    resp = await env.boot([{"uuid": env.net}, {"uuid": env.net}])
    server = (await resp.json())["server"]["id"]
    deleted = await env.client.delete(f"/compute/v2.1/servers/{server}",
                                      headers={"X-Auth-Token": P1})
    assert deleted.status == 204

    refused = await _network_call(env, "DELETE", "/subnets/s1")
    assert refused.status == 409  # the user's own port holds an address, as in Neutron
    assert [p["id"] for p in env.central.of("ports")] == ["mine"]
    assert env.neutron.of("ports") == [] and await env.rows("port") == []
    del env.central.items["ports"]["mine"]
    assert (await _network_call(env, "DELETE", "/subnets/s1")).status == 204
    await env.run_jobs()  # the release and attach jobs, late, find nothing left to do
    assert env.central.of("ports") == []


async def test_hints_removed_through_the_gateway_are_not_remembered(env: Env) -> None:
    env.central.items["networks"]["n1"]["tags"] = ["tricircle-az:az2"]
    assert (await env.boot([{"uuid": env.net}])).status != 202  # only az2: no pod
    resp = await _network_call(env, "PUT", "/networks/n1/tags", {"tags": []})
    assert resp.status == 200

    assert (await env.boot([{"uuid": env.net}])).status == 202
