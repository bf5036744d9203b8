"""Cross-pod L3 through the gateway, checked in every pod directly (issue 4).

The predecessor's multi-region scenarios, through the standard API: (1) one
external network in RegionTwo, a router spanning both pods with its gateway
there, a floating IP for a VM in RegionOne, and another tenant with the same
CIDR (isolation); (2) an external network per pod (VLAN and flat), local
routers plus one router spanning pods; (3) a port with a floating IP reused
RegionOne -> RegionTwo -> RegionOne; and a pod down during realisation.
Each checks every bottom router, interface, bridge address, route and floating
IP against central Neutron, then deletes everything at the top and finds
nothing left in any pod. Control plane only: the lab has no data plane.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import pytest
from openstack import exceptions as os_exc

from tests.acceptance.conftest import TOP_AZ
from tests.acceptance.test_network_surface import central_admin, network_conn

pytestmark = pytest.mark.lab
WAIT = 180
R1, R2 = "RegionOne", "RegionTwo"
L3_JOBS = ("networking.router_setup", "networking.l3_port", "networking.floatingip")


def _wait(check: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(1)


def settle(gateway: Any, timeout: float = 90) -> None:
    """Wait until no L3 job is pending; fail with the jobs' last errors otherwise."""
    from tricircle.api import keys
    from tricircle.jobs import api as jobs

    async def pending() -> list[Any]:
        async with gateway.app[keys.DB].session() as s:
            found = []
            for job_type in L3_JOBS:
                found += [j for j in await jobs.list_jobs(s, job_type=job_type)
                          if j.status in ("new", "running", "failed") and not _old(j)]
            return found

    deadline = time.monotonic() + timeout
    while True:
        left = gateway.run(pending())
        if not left:
            return
        failed = [j for j in left if j.status == "failed"]
        if failed or time.monotonic() > deadline:
            raise AssertionError("L3 jobs did not converge: " + "; ".join(
                f"{j.type}[{j.resource_key}] {j.status} #{j.attempts}: {j.last_error}"
                for j in left))
        time.sleep(0.5)


_STARTED = time.time()


def _old(job: Any) -> bool:
    """Failed jobs of an earlier session are not ours to judge."""
    created = job.created_at.timestamp() if job.created_at else _STARTED
    return job.status == "failed" and created < _STARTED


def copies(pod: Any, kind: str, top_id: str) -> list[Any]:
    """Bottom objects of `kind` tagged with `top_id` in `pod` (admin)."""
    lists = {"network": pod.network.networks, "subnet": pod.network.subnets,
             "port": pod.network.ports, "router": pod.network.routers,
             "floatingip": pod.network.ips}
    return [o for o in lists[kind](tags=top_id) if top_id in (o.tags or [])]


def one(pod: Any, kind: str, top_id: str) -> Any:
    found = copies(pod, kind, top_id)
    assert len(found) == 1, f"{kind} {top_id}: {len(found)} copies"
    return found[0]


def addresses(port: Any) -> list[str]:
    return sorted(ip["ip_address"] for ip in port.fixed_ips)


@dataclass
class Made:
    """What a test made at the top, deleted in reverse order afterwards."""

    conn: Any
    admin: Any
    servers: list[Any] = field(default_factory=list)
    fips: list[Any] = field(default_factory=list)
    routers: list[Any] = field(default_factory=list)
    ports: list[Any] = field(default_factory=list)
    networks: list[Any] = field(default_factory=list)
    ext_networks: list[Any] = field(default_factory=list)
    top_ids: set[str] = field(default_factory=set)

    def network(self, name: str, cidr: str, **subnet: Any) -> tuple[Any, Any]:
        net = self.conn.network.create_network(name=f"l3-{name}-{uuid.uuid4().hex[:6]}")
        self.networks.append(net)
        sub = self.conn.network.create_subnet(network_id=net.id, cidr=cidr, ip_version=4,
                                              name=name, **subnet)
        self.top_ids |= {net.id, sub.id}
        return net, sub

    def external(self, name: str, pod: str, cidr: str, **provider: Any) -> tuple[Any, Any]:
        """An external network in `pod`: named by its top AZ as
        availability_zone_hints (through the gateway), else by a region tag."""
        zone = {"availability_zone_hints": [TOP_AZ[pod]]} if pod == R2 else {}
        net = self.admin.network.create_network(
            name=f"l3-{name}-{uuid.uuid4().hex[:6]}", is_router_external=True, **zone,
            **provider)
        self.ext_networks.append(net)
        if not zone:
            self.admin.network.set_tags(net, [pod])
        sub = self.admin.network.create_subnet(network_id=net.id, cidr=cidr, ip_version=4,
                                               is_dhcp_enabled=False)
        self.top_ids |= {net.id, sub.id}
        return net, sub

    def router(self, name: str, gateway: Any = None) -> Any:
        attrs: dict[str, Any] = {"name": f"l3-{name}-{uuid.uuid4().hex[:6]}"}
        if gateway is not None:
            attrs["external_gateway_info"] = {"network_id": gateway.id}
        router = self.conn.network.create_router(**attrs)
        self.routers.append(router)
        self.top_ids.add(router.id)
        return router

    def port(self, net: Any, **attrs: Any) -> Any:
        port = self.conn.network.create_port(network_id=net.id, **attrs)
        self.ports.append(port)
        self.top_ids.add(port.id)
        return port

    def fip(self, ext: Any, port: Any) -> Any:
        fip = self.conn.network.create_ip(floating_network_id=ext.id, port_id=port.id)
        self.fips.append(fip)
        self.top_ids.add(fip.id)
        return fip

    def boot(self, lab: dict[str, Any], az: str, networks: list[dict[str, str]]) -> Any:
        server = self.conn.compute.create_server(
            name=f"l3-{az}-{uuid.uuid4().hex[:6]}", image_id=lab["image_id"],
            flavor_id=lab["flavor_id"], networks=networks, availability_zone=az)
        self.servers.append(server)
        server = self.conn.compute.wait_for_server(server, wait=WAIT)
        # the central ports show the server by a job right after the boot's answer
        _wait(lambda: len(list(self.conn.network.ports(device_id=server.id))) >= len(networks),
              f"central ports showing {server.id}")
        self.top_ids |= {p.id for p in self.conn.network.ports(device_id=server.id)}
        return server

    def delete_server(self, server: Any) -> None:
        self.conn.compute.delete_server(server)
        self.conn.compute.wait_for_delete(server, wait=WAIT)
        self.servers.remove(server)
        _wait(lambda: not list(self.conn.network.ports(device_id=server.id)),
              f"ports of {server.id} released")

    def teardown(self) -> None:
        """Delete everything at the top, as a user would (errors do not stop it)."""
        net = self.conn.network
        for fip in self.fips:
            with suppress(os_exc.SDKException):
                net.delete_ip(fip, ignore_missing=True)
        for server in self.servers:   # all at once, then wait for each
            with suppress(os_exc.SDKException):
                self.conn.compute.delete_server(server)
        for server in list(self.servers):
            with suppress(os_exc.SDKException):
                self.conn.compute.wait_for_delete(server, wait=WAIT)
            self.servers.remove(server)
        for router in self.routers:
            with suppress(os_exc.SDKException):
                for port in net.ports(device_id=router.id):
                    if port.device_owner == "network:router_interface":
                        net.remove_interface_from_router(router, port_id=port.id)
                net.update_router(router, external_gateway_info={})
                net.delete_router(router, ignore_missing=True)
        for port in self.ports:
            with suppress(os_exc.SDKException):
                net.delete_port(port, ignore_missing=True)
        for network in self.networks:
            _wait(lambda network=network: _deleted(net, network), f"{network.id} deleted")
        for network in self.ext_networks:
            _wait(lambda network=network: _deleted(self.admin.network, network),
                  f"{network.id} deleted")


def _deleted(net: Any, network: Any) -> bool:
    try:
        net.delete_network(network, ignore_missing=True)
    except os_exc.SDKException:
        return False  # a port still being released by the gateway
    return True


def assert_nothing_left(pod_admin: Any, top_ids: set[str]) -> None:
    """No bottom object in any pod carries one of `top_ids` (or a shadow of it)."""
    markers = top_ids | {f"shadow:{i}" for i in top_ids}

    def clean() -> bool:
        for region in (R1, R2):
            pod = pod_admin(region).network
            for kind in (pod.ips, pod.routers, pod.ports, pod.subnets, pod.networks):
                if any(markers & set(o.tags or []) for o in kind()):
                    return False
        return True

    _wait(clean, "no bottom object left in any pod", timeout=120)


@pytest.fixture(scope="module")
def ndemo(lab: dict[str, Any], gateway: Any) -> Any:
    return network_conn(lab, gateway, "demo", "demo")


@pytest.fixture(scope="module")
def nalt(lab: dict[str, Any], gateway: Any) -> Any:
    return network_conn(lab, gateway, "alt_demo", "alt_demo")


@pytest.fixture(scope="module")
def nadmin(lab: dict[str, Any], gateway: Any) -> Any:
    return network_conn(lab, gateway, "admin", "admin")


@pytest.fixture
def made(ndemo: Any, nadmin: Any, pod_admin: Any, lab: dict[str, Any]) -> Iterator[Made]:
    stuff = Made(ndemo, nadmin)
    yield stuff
    stuff.teardown()
    stuff.top_ids |= bridge_ids(lab, lab["projects"]["demo"])
    assert_nothing_left(pod_admin, stuff.top_ids)


def bridge_ids(lab: dict[str, Any], project: str) -> set[str]:
    """Ids of the project's central bridge network and its ports (if any)."""
    central = central_admin(lab).network
    nets = list(central.networks(name=f"tricircle-bridge-{project}"))
    ids = {n.id for n in nets}
    for net in nets:
        ids |= {p.id for p in central.ports(network_id=net.id)}
        ids |= set(net.subnet_ids or [])
    return ids


def bridge_of(lab: dict[str, Any], project: str, router_id: str) -> dict[str, Any]:
    """pod id -> the central bridge port of `router_id` for that pod."""
    central = central_admin(lab).network
    prefix = f"tricircle-bridge:{router_id}:"
    return {p.name[len(prefix):]: p
            for net in central.networks(name=f"tricircle-bridge-{project}")
            for p in central.ports(network_id=net.id) if p.name.startswith(prefix)}


def routes(router: Any) -> set[tuple[str, str]]:
    return {(r["destination"], r["nexthop"]) for r in router.routes or []}


def inside(pod: Any, bottom_router: Any) -> set[str]:
    """The networks of a bottom router's interfaces (tenant side and bridge)."""
    return {p.network_id for p in pod.network.ports(device_id=bottom_router.id)
            if p.device_owner == "network:router_interface"}


def interface_ips(pod: Any, bottom_router: Any) -> list[str]:
    return sorted(ip["ip_address"] for p in pod.network.ports(device_id=bottom_router.id)
                  if p.device_owner == "network:router_interface" for ip in p.fixed_ips)


# ---- 1. single external gateway ----

def test_single_external_gateway_and_tenant_isolation(
        lab: dict[str, Any], gateway: Any, made: Made, nalt: Any, pod_admin: Any) -> None:
    net = made.conn.network
    ext, _ = made.external("ext", R2, "163.3.124.0/24", provider_network_type="vlan",
                           provider_physical_network="physnet2")
    router = made.router("router", gateway=ext)
    net1, sub1 = made.network("net1", "10.0.1.0/24",
                              allocation_pools=[{"start": "10.0.1.10", "end": "10.0.1.90"}])
    net3, _ = made.network("net3", "10.0.1.0/24",
                           allocation_pools=[{"start": "10.0.1.110", "end": "10.0.1.190"}])
    net2, sub2 = made.network("net2", "10.0.2.0/24")
    net4, _ = made.network("net4", "10.0.4.0/24")
    port1 = made.port(net1)
    net.add_interface_to_router(router, subnet_id=sub1.id)
    fip = made.fip(ext, port1)          # before the VM exists, as the predecessor did
    vm1 = made.boot(lab, "az1", [{"port": port1.id}])
    vm2 = made.boot(lab, "az2", [{"uuid": net2.id}])
    net.add_interface_to_router(router, subnet_id=sub2.id)   # after its VM, likewise
    vm3 = made.boot(lab, "az1", [{"uuid": net4.id}])
    central = central_admin(lab).network
    # another tenant, same CIDR as net1, its router on the same external network
    theirs = Made(nalt, made.admin)
    try:
        their_router = theirs.router("alt", gateway=ext)
        their_net, their_sub = theirs.network("alt", "10.0.1.0/24")
        nalt.network.add_interface_to_router(their_router, subnet_id=their_sub.id)
        theirs.boot(lab, "az1", [{"uuid": their_net.id}])
        settle(gateway)
        p1, p2 = pod_admin(R1), pod_admin(R2)
        # every VM port: same addresses and MAC as central's, in its own pod
        for server, pod in ((vm1, p1), (vm2, p2), (vm3, p1)):
            [top] = list(net.ports(device_id=server.id))
            bottom = one(pod, "port", top.id)
            assert (addresses(bottom), bottom.mac_address) == (addresses(top), top.mac_address)
        assert addresses(one(p1, "port", port1.id))[0].startswith("10.0.1.")
        assert not copies(p1, "network", net3.id) and not copies(p2, "network", net3.id)
        assert not copies(p2, "network", net4.id)
        # one bottom router per pod, each on the bridge with central's address
        r1, r2 = one(p1, "router", router.id), one(p2, "router", router.id)
        bridge = bridge_of(lab, lab["projects"]["demo"], router.id)
        ip1 = bridge[gateway.pod_ids[R1]].fixed_ips[0]["ip_address"]
        ip2 = bridge[gateway.pod_ids[R2]].fixed_ips[0]["ip_address"]
        assert ip1.startswith("100.0.0.") and ip2.startswith("100.0.0.") and ip1 != ip2
        assert interface_ips(p1, r1) == sorted([sub1.gateway_ip, ip1])
        assert interface_ips(p2, r2) == sorted([sub2.gateway_ip, ip2])
        [bridge_net] = list(central.networks(name=f"tricircle-bridge-{lab['projects']['demo']}"))
        for pod in (p1, p2):
            copy = one(pod, "network", bridge_net.id)
            assert copy.provider_segmentation_id == bridge_net.provider_segmentation_id
        # routes per subnet, and the default route towards the gateway pod
        assert routes(r1) == {("0.0.0.0/0", ip2), ("10.0.2.0/24", ip2)}
        assert routes(r2) == {("10.0.1.0/24", ip1)}
        # gateway and SNAT in RegionTwo only, with central's address
        top_router = net.get_router(router.id)
        assert r1.external_gateway_info is None
        gw = r2.external_gateway_info
        assert gw["network_id"] == one(p2, "network", ext.id).id and gw["enable_snat"] is True
        assert [i["ip_address"] for i in gw["external_fixed_ips"]] == \
            [i["ip_address"] for i in top_router.external_gateway_info["external_fixed_ips"]]
        assert not copies(p1, "network", ext.id)
        # the floating IP for the VM in RegionOne lives in RegionTwo, on a shadow port
        top_fip = net.get_ip(fip.id)
        bottom_fip = one(p2, "floatingip", fip.id)
        assert (bottom_fip.floating_ip_address, bottom_fip.fixed_ip_address, bottom_fip.router_id) \
            == (top_fip.floating_ip_address, top_fip.fixed_ip_address, r2.id)
        shadow = p2.network.get_port(bottom_fip.port_id)
        assert (addresses(shadow), shadow.mac_address) == (addresses(port1), port1.mac_address)
        assert f"shadow:{port1.id}" in shadow.tags and not copies(p1, "floatingip", fip.id)
        _check_isolation(lab, gateway, pod_admin, router, their_router)
    finally:
        theirs.teardown()
        theirs.top_ids |= bridge_ids(lab, lab["projects"]["alt_demo"])
        assert_nothing_left(pod_admin, theirs.top_ids)


def _check_isolation(lab: dict[str, Any], gateway: Any, pod_admin: Any, mine_r: Any,
                     their_r: Any) -> None:
    """Same CIDR, both routers over both pods: separate bridges, no shared route."""
    demo, alt = lab["projects"]["demo"], lab["projects"]["alt_demo"]
    mine_b, their_b = bridge_of(lab, demo, mine_r.id), bridge_of(lab, alt, their_r.id)
    assert {p.network_id for p in mine_b.values()}.isdisjoint(
        {p.network_id for p in their_b.values()})
    for region in (R1, R2):
        pod = pod_admin(region)
        mine, their = one(pod, "router", mine_r.id), one(pod, "router", their_r.id)
        assert (mine.project_id, their.project_id) == (demo, alt)
        # (the external network's copy is shared, like any external network)
        assert inside(pod, mine).isdisjoint(inside(pod, their))
        other = gateway.pod_ids[R2 if region == R1 else R1]
        assert {n for _, n in routes(mine)} == {mine_b[other].fixed_ips[0]["ip_address"]}
        assert {n for _, n in routes(their)} == {their_b[other].fixed_ips[0]["ip_address"]}


# ---- 2. multiple gateways ----

def test_multiple_gateways(lab: dict[str, Any], gateway: Any, made: Made,
                           pod_admin: Any) -> None:
    net = made.conn.network
    ext1, _ = made.external("ext1", R1, "163.3.124.0/24", provider_network_type="vlan",
                            provider_physical_network="physnet2")
    ext2, _ = made.external("ext2", R2, "163.3.125.0/24", provider_network_type="flat",
                            provider_physical_network="extern")
    router1, router2 = made.router("r1", gateway=ext1), made.router("r2", gateway=ext2)
    router3 = made.router("r3")
    net1, sub1 = made.network("net1", "10.0.1.0/24")
    net2, sub2 = made.network("net2", "10.0.2.0/24")
    net.add_interface_to_router(router1, subnet_id=sub1.id)
    net.add_interface_to_router(router2, subnet_id=sub2.id)
    inf1, inf2 = made.port(net1), made.port(net2)
    net.add_interface_to_router(router3, port_id=inf1.id)
    net.add_interface_to_router(router3, port_id=inf2.id)
    made.boot(lab, "az1", [{"uuid": net1.id}])
    made.boot(lab, "az2", [{"uuid": net2.id}])
    settle(gateway)

    p1, p2 = pod_admin(R1), pod_admin(R2)
    # local routers: one pod each, gateway on that pod's external network
    b1 = one(p1, "router", router1.id)
    assert not copies(p2, "router", router1.id)
    assert b1.external_gateway_info["network_id"] == one(p1, "network", ext1.id).id
    assert interface_ips(p1, b1) == [sub1.gateway_ip] and routes(b1) == set()
    b2 = one(p2, "router", router2.id)
    assert not copies(p1, "router", router2.id)
    assert b2.external_gateway_info["network_id"] == one(p2, "network", ext2.id).id
    assert one(p2, "network", ext2.id).provider_network_type == "flat"
    assert one(p1, "network", ext1.id).provider_network_type == "vlan"
    # the east-west router spans both pods through the bridge
    r31, r32 = one(p1, "router", router3.id), one(p2, "router", router3.id)
    bridge = bridge_of(lab, lab["projects"]["demo"], router3.id)
    ip1 = bridge[gateway.pod_ids[R1]].fixed_ips[0]["ip_address"]
    ip2 = bridge[gateway.pod_ids[R2]].fixed_ips[0]["ip_address"]
    assert interface_ips(p1, r31) == sorted([addresses(inf1)[0], ip1])
    assert interface_ips(p2, r32) == sorted([addresses(inf2)[0], ip2])
    assert routes(r31) == {("10.0.2.0/24", ip2)} and routes(r32) == {("10.0.1.0/24", ip1)}
    assert r31.external_gateway_info is None and r32.external_gateway_info is None
    # an update at the top reaches both bottom routers: name, admin state, and a
    # route the user set (the nexthop where it is connected, the bridge elsewhere)
    renamed = f"renamed-{uuid.uuid4().hex[:6]}"
    net.update_router(router3, name=renamed, admin_state_up=False, routes=[
        {"destination": "192.168.77.0/24", "nexthop": "10.0.1.250"}])
    settle(gateway)
    r31, r32 = one(p1, "router", router3.id), one(p2, "router", router3.id)
    for bottom in (r31, r32):
        assert (bottom.name, bottom.is_admin_state_up) == (renamed, False)
    assert routes(r31) == {("10.0.2.0/24", ip2), ("192.168.77.0/24", "10.0.1.250")}
    assert routes(r32) == {("10.0.1.0/24", ip1), ("192.168.77.0/24", ip1)}
    net.update_router(router3, admin_state_up=True, routes=[])
    settle(gateway)
    r31 = one(p1, "router", router3.id)
    assert r31.is_admin_state_up and routes(r31) == {("10.0.2.0/24", ip2)}
    # interfaces removed at the top: router3 leaves both pods, the bridge goes
    net.remove_interface_from_router(router3, port_id=inf1.id)
    net.remove_interface_from_router(router3, port_id=inf2.id)
    settle(gateway)
    assert not copies(p1, "router", router3.id) and not copies(p2, "router", router3.id)
    assert bridge_of(lab, lab["projects"]["demo"], router3.id) == {}
    assert one(p1, "router", router1.id) and one(p2, "router", router2.id)


# ---- 3. port reuse across pods, with a floating IP following it ----

def test_port_reused_across_pods_keeps_addresses_and_floating_ip(
        lab: dict[str, Any], gateway: Any, made: Made, pod_admin: Any) -> None:
    net = made.conn.network
    ext, _ = made.external("ext", R2, "163.3.126.0/24", provider_network_type="vlan",
                           provider_physical_network="physnet2")
    router = made.router("reuse", gateway=ext)
    net1, sub1 = made.network("reuse", "10.0.9.0/24")
    net.add_interface_to_router(router, subnet_id=sub1.id)
    port = made.port(net1)
    fip = made.fip(ext, port)
    for az, region in (("az1", R1), ("az2", R2), ("az1", R1)):
        server = made.boot(lab, az, [{"port": port.id}])
        settle(gateway)
        pod = pod_admin(region)
        bottom = one(pod, "port", port.id)
        assert (addresses(bottom), bottom.mac_address) == (addresses(port), port.mac_address)
        other = pod_admin(R2 if region == R1 else R1)
        assert not copies(other, "port", port.id)
        realised = one(pod_admin(R2), "floatingip", fip.id)
        assert realised.floating_ip_address == net.get_ip(fip.id).floating_ip_address
        # on the VM's own port in the gateway pod, else on a shadow of it
        target = bottom if region == R2 else one(pod_admin(R2), "port", f"shadow:{port.id}")
        assert (realised.port_id, realised.fixed_ip_address) == (target.id, addresses(port)[0])
        assert addresses(target) == addresses(port)
        made.delete_server(server)
        assert net.get_port(port.id).mac_address == port.mac_address


# ---- a pod down during realisation ----

def test_router_job_retries_while_a_pod_is_down_and_converges_when_it_returns(
        lab: dict[str, Any], gateway: Any, made: Made, pod_admin: Any) -> None:
    """The gateway pod's Neutron unreachable (its endpoint pinned to a closed
    port): the router job fails, retries with backoff and shows in /v1.0/jobs;
    once the pod answers again it converges without anyone's help."""
    import requests

    from tricircle.api import keys

    ext, _ = made.external("ext", R2, "163.3.128.0/24", provider_network_type="vlan",
                           provider_physical_network="physnet2")
    clients = gateway.app[keys.PODS]
    real = {k: v for k, v in lab["regions"][R2].items() if k != "availability_zone"}
    gateway.loop.call_soon_threadsafe(clients.set_endpoints, R2,
                                      {**real, "network": "http://127.0.0.1:9"})
    try:
        router = made.router("down", gateway=ext)
        token = made.admin.session.get_token()

        def failing() -> dict[str, Any] | None:
            resp = requests.get(f"{gateway.url}/v1.0/jobs", timeout=10, headers={
                "X-Auth-Token": token}, params={"type": "networking.router_setup",
                                                "resource_key": router.id})
            assert resp.status_code == 200, resp.text
            jobs = [j for j in resp.json()["jobs"] if j["attempts"] >= 1 and j["last_error"]]
            return jobs[0] if jobs else None

        job = _wait(failing, "the router job to fail once", timeout=30)
        assert job["status"] in ("new", "running")
        assert "RegionTwo" in job["last_error"] and job["not_before"]
        assert not copies(pod_admin(R2), "router", router.id)
    finally:
        gateway.loop.call_soon_threadsafe(clients.set_endpoints, R2, real)
    settle(gateway, timeout=60)
    bottom = one(pod_admin(R2), "router", router.id)
    assert bottom.external_gateway_info["network_id"] == one(pod_admin(R2), "network", ext.id).id
