"""Servers on top networks through the gateway, checked in every pod directly.

A network and subnet made through the gateway (central Neutron); a server booted
on it in az1 (RegionOne) and one in az2 (RegionTwo): each pod holds a network with
central's segment and a port with exactly the central port's IP and MAC; the
central ports show the servers; deleting the servers removes the bottom ports.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from openstack import exceptions as os_exc

from tests.acceptance.test_network_surface import central_admin, network_conn

pytestmark = pytest.mark.lab
WAIT = 180
POD_OF_AZ = {"az1": "RegionOne", "az2": "RegionTwo"}


@pytest.fixture(scope="module")
def ndemo(lab: dict[str, Any], gateway: Any) -> Any:
    return network_conn(lab, gateway, "demo", "demo")


@pytest.fixture
def top_net(ndemo: Any, pod_admin: Any) -> Iterator[tuple[Any, Any]]:
    net = ndemo.network.create_network(name=f"nb-{uuid.uuid4().hex[:6]}")
    subnet = ndemo.network.create_subnet(network_id=net.id, cidr="10.78.0.0/24", ip_version=4)
    yield net, subnet

    def deleted() -> bool:
        try:
            for port in ndemo.network.ports(network_id=net.id):
                ndemo.network.delete_port(port.id, ignore_missing=True)
            ndemo.network.delete_network(net.id, ignore_missing=True)
        except os_exc.SDKException:
            return False  # e.g. a port being released by the gateway meanwhile
        return True

    _wait(deleted, f"network {net.id} deleted")
    for region in POD_OF_AZ.values():  # the gateway's clean-up job, before the session ends
        _wait(lambda region=region: not [n for n in pod_admin(region).network.networks()
                                         if net.id in (n.tags or [])],
              f"copies of {net.id} removed from {region}")


@pytest.fixture
def servers(ndemo: Any, pod_admin: Any) -> Iterator[list[Any]]:
    made: list[Any] = []
    yield made
    for server in made:
        try:
            ndemo.compute.delete_server(server, ignore_missing=True)
            ndemo.compute.wait_for_delete(server, wait=WAIT)
        except os_exc.SDKException:
            for region in POD_OF_AZ.values():
                pod_admin(region).compute.delete_server(server.id, ignore_missing=True)
    # the gateway releases the ports in a job: let it finish before the session ends
    for server in made:
        _wait(lambda server=server: not list(ndemo.network.ports(device_id=server.id)),
              f"ports of {server.id} released")


def _boot(conn: Any, lab: dict[str, Any], made: list[Any], az: str,
          networks: list[dict[str, str]], **extra: Any) -> Any:
    server = conn.compute.create_server(
        name=f"nb-{az}-{uuid.uuid4().hex[:6]}", image_id=lab["image_id"],
        flavor_id=lab["flavor_id"], networks=networks, availability_zone=az, **extra)
    made.append(server)
    server = conn.compute.wait_for_server(server, wait=WAIT)
    wait_ports_show(conn, server, len(networks))
    return server


def wait_ports_show(conn: Any, server: Any, count: int) -> None:
    """The central ports show the server (a job sets ``device_id`` right after the
    boot's answer; on a loaded central Neutron that can be after ACTIVE)."""
    _wait(lambda: len(list(conn.network.ports(device_id=server.id))) >= count,
          f"{count} central port(s) showing server {server.id}")


def _bottom_ports(pod: Any, top_port: str) -> list[Any]:
    return [p for p in pod.network.ports() if top_port in (p.tags or [])]


def _wait(check: Any, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(1)


def test_servers_on_a_top_network_in_both_pods(lab: dict[str, Any], ndemo: Any,
                                                pod_admin: Any, top_net: Any,
                                                servers: list[Any]) -> None:
    net, subnet = top_net
    central = central_admin(lab).network.get_network(net.id)
    for az in ("az1", "az2"):
        server = _boot(ndemo, lab, servers, az, [{"uuid": net.id}])
        assert server.status == "ACTIVE"
        top_ports = list(ndemo.network.ports(device_id=server.id))
        assert len(top_ports) == 1
        top_port = top_ports[0]
        assert top_port.device_owner == f"compute:{az}"
        pod = pod_admin(POD_OF_AZ[az])
        bottom_net = [n for n in pod.network.networks() if net.id in (n.tags or [])]
        assert len(bottom_net) == 1
        assert bottom_net[0].provider_network_type == central.provider_network_type
        assert bottom_net[0].provider_segmentation_id == central.provider_segmentation_id
        assert bottom_net[0].name == net.name
        bottom = _bottom_ports(pod, top_port.id)
        assert len(bottom) == 1
        assert bottom[0].mac_address == top_port.mac_address
        assert [ip["ip_address"] for ip in bottom[0].fixed_ips] == \
            [ip["ip_address"] for ip in top_port.fixed_ips]
        assert bottom[0].device_id == server.id
        host = pod.network.get_port(bottom[0].id).binding_host_id
        assert host
        _wait(lambda port=top_port, host=host: central_admin(lab).network.get_port(
            port.id).binding_host_id == host, "central port bound like the bottom one")
        shown = ndemo.compute.get_server(server.id)
        assert net.name in shown.addresses
    for server in list(servers):
        ports = [p.id for p in ndemo.network.ports(device_id=server.id)]
        region = POD_OF_AZ[server.availability_zone]
        ndemo.compute.delete_server(server)
        ndemo.compute.wait_for_delete(server, wait=WAIT)
        servers.remove(server)
        _wait(lambda ports=ports, region=region: not any(
            _bottom_ports(pod_admin(region), p) for p in ports), "bottom ports removed")
        _wait(lambda ports=ports: not any(ndemo.network.find_port(p) for p in ports),
              "central ports the gateway created removed")
    ndemo.network.delete_subnet(subnet)
    ndemo.network.delete_network(net)
    for region in POD_OF_AZ.values():
        pod = pod_admin(region)
        _wait(lambda pod=pod: not [n for n in pod.network.networks() if net.id in (n.tags or [])]
              and not [s for s in pod.network.subnets() if subnet.id in (s.tags or [])],
              f"bottom network and subnet removed from {region}")


def test_second_server_on_the_same_network_reuses_the_bottom_network(
        lab: dict[str, Any], ndemo: Any, pod_admin: Any, top_net: Any,
        servers: list[Any]) -> None:
    net, subnet = top_net
    _boot(ndemo, lab, servers, "az1", [{"uuid": net.id}])
    _boot(ndemo, lab, servers, "az1", [{"uuid": net.id, "fixed_ip": "10.78.0.50"}])
    pod = pod_admin("RegionOne")
    assert len([n for n in pod.network.networks() if net.id in (n.tags or [])]) == 1
    assert len([s for s in pod.network.subnets() if subnet.id in (s.tags or [])]) == 1
    fixed = [p for p in ndemo.network.ports(network_id=net.id)
             if p.fixed_ips[0]["ip_address"] == "10.78.0.50"]
    assert len(fixed) == 1 and fixed[0].device_id in {s.id for s in servers}


def test_user_port_is_kept_after_delete_and_reused_in_another_pod(lab: dict[str, Any], ndemo: Any,
                                                    pod_admin: Any, top_net: Any,
                                                    servers: list[Any]) -> None:
    net, _ = top_net
    port = ndemo.network.create_port(network_id=net.id, name="mine")
    server = _boot(ndemo, lab, servers, "az2", [{"port": port.id}])
    assert ndemo.network.get_port(port.id).device_id == server.id
    assert len(_bottom_ports(pod_admin("RegionTwo"), port.id)) == 1
    ndemo.compute.delete_server(server)
    ndemo.compute.wait_for_delete(server, wait=WAIT)
    servers.remove(server)
    _wait(lambda: not _bottom_ports(pod_admin("RegionTwo"), port.id), "bottom port removed")
    _wait(lambda: ndemo.network.get_port(port.id).device_id == "", "central port unbound")
    assert ndemo.network.get_port(port.id).mac_address == port.mac_address
    # the same port, now in the other pod, with the same address and MAC
    server = _boot(ndemo, lab, servers, "az1", [{"port": port.id}])
    [moved] = _bottom_ports(pod_admin("RegionOne"), port.id)
    assert (moved.mac_address, moved.fixed_ips[0]["ip_address"]) == \
        (port.mac_address, port.fixed_ips[0]["ip_address"])
    assert moved.device_id == server.id


def test_unknown_network_is_novas_400(lab: dict[str, Any], ndemo: Any) -> None:
    resp = ndemo.compute.post("/servers", json={"server": {
        "name": "nb-bad", "imageRef": lab["image_id"], "flavorRef": lab["flavor_id"],
        "networks": [{"uuid": str(uuid.uuid4())}]}})
    assert resp.status_code == 400
    assert "could not be found" in resp.json()["badRequest"]["message"]


def test_top_updates_reach_the_pod(lab: dict[str, Any], ndemo: Any, pod_admin: Any,
                                   top_net: Any, servers: list[Any]) -> None:
    net, _ = top_net
    group = ndemo.network.create_security_group(name=f"nb-sg-{uuid.uuid4().hex[:6]}")
    try:
        server = ndemo.compute.create_server(
            name=f"nb-sg-{uuid.uuid4().hex[:6]}", image_id=lab["image_id"],
            flavor_id=lab["flavor_id"], networks=[{"uuid": net.id}], availability_zone="az1",
            security_groups=[{"name": group.name}])
        servers.append(server)
        ndemo.compute.wait_for_server(server, wait=WAIT)
        pod = pod_admin("RegionOne")
        [copy] = [g for g in pod.network.security_groups() if group.id in (g.tags or [])]
        renamed = net.name + "-renamed"
        ndemo.network.update_network(net.id, name=renamed)
        rule = ndemo.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", protocol="tcp",
            port_range_min=2222, port_range_max=2222, ethertype="IPv4")

        def has_rule() -> bool:
            return any(r.port_range_min == 2222 for r in
                       pod.network.security_group_rules(security_group_id=copy.id))

        _wait(lambda: [n for n in pod.network.networks() if net.id in (n.tags or [])][0].name
              == renamed, "bottom network renamed")
        _wait(has_rule, "rule copied to the pod")
        ndemo.network.delete_security_group_rule(rule)
        _wait(lambda: not has_rule(), "rule removed from the pod")
    finally:
        for made in list(servers):
            ndemo.compute.delete_server(made)
            ndemo.compute.wait_for_delete(made, wait=WAIT)
            servers.remove(made)
            _wait(lambda made=made: not list(ndemo.network.ports(device_id=made.id)),
                  "ports released")
        ndemo.network.delete_security_group(group)
    _wait(lambda: not [g for g in pod_admin("RegionOne").network.security_groups()
                       if group.id in (g.tags or [])], "bottom security group removed")


def test_multiple_create_on_a_top_network_gives_each_server_its_own_port(
        lab: dict[str, Any], ndemo: Any, pod_admin: Any, top_net: Any,
        servers: list[Any]) -> None:
    """min_count=2 on a top network: Nova refuses several servers on one given port,
    so the gateway makes one create per server, named as Nova names them."""
    net, _ = top_net
    name = f"nb-multi-{uuid.uuid4().hex[:6]}"
    first = ndemo.compute.create_server(name=name, image_id=lab["image_id"],
                                        flavor_id=lab["flavor_id"], networks=[{"uuid": net.id}],
                                        availability_zone="az1", min_count=2)
    made = [s for s in ndemo.compute.servers(name=name)]
    servers.extend(made)
    assert first.id in {s.id for s in made}
    assert sorted(s.name for s in made) == [f"{name}-1", f"{name}-2"]
    pod = pod_admin("RegionOne")
    for server in made:
        ndemo.compute.wait_for_server(server, wait=WAIT)
        wait_ports_show(ndemo, server, 1)
        [top_port] = ndemo.network.ports(device_id=server.id)
        [bottom] = _bottom_ports(pod, top_port.id)
        assert bottom.device_id == server.id


def test_subnet_and_network_delete_right_after_the_server_delete_succeed(
        lab: dict[str, Any], ndemo: Any, pod_admin: Any, servers: list[Any]) -> None:
    """tempest ServersTestMultiNic's clean-up: a server with NICs on two networks
    (one of them twice) is deleted, and as soon as it answers 404 its subnets and
    networks are deleted. Directly, Nova has dropped the ports by then; through the
    gateway the deletes succeed too (no 409 while the release job is pending)."""
    tag = uuid.uuid4().hex[:6]
    nets, subnets = [], []
    try:
        for i in (1, 2):
            nets.append(ndemo.network.create_network(name=f"nb-nics-{tag}-{i}"))
            subnets.append(ndemo.network.create_subnet(
                network_id=nets[-1].id, cidr=f"10.79.{i}.0/24", ip_version=4))
        server = _boot(ndemo, lab, servers, "az1", [{"uuid": nets[0].id},
                                                   {"uuid": nets[1].id},
                                                   {"uuid": nets[0].id}])
        assert len(list(ndemo.network.ports(device_id=server.id))) == 3
        ndemo.compute.delete_server(server)
        ndemo.compute.wait_for_delete(server, interval=0.5, wait=WAIT)
        servers.remove(server)
        for subnet in subnets:
            ndemo.network.delete_subnet(subnet)       # raises on a 409
        for net in nets:
            ndemo.network.delete_network(net)
        assert not list(ndemo.network.ports(device_id=server.id))
    finally:
        for net in nets:
            _wait(lambda net=net: _deleted_now(ndemo, net), f"network {net.id} deleted")
    pod = pod_admin("RegionOne")
    _wait(lambda: not [n for n in pod.network.networks()
                       if {x.id for x in nets} & set(n.tags or [])],
          "copies of the networks removed from RegionOne")


def _deleted_now(conn: Any, net: Any) -> bool:
    try:
        for port in conn.network.ports(network_id=net.id):
            conn.network.delete_port(port.id, ignore_missing=True)
        conn.network.delete_network(net.id, ignore_missing=True)
    except os_exc.SDKException:
        return False
    return True
