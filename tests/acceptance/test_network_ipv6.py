"""IPv6 on top networks through the gateway, checked in every pod directly (issue 4).

One network with an IPv4 subnet and one IPv6 subnet of each mode (SLAAC,
DHCPv6-stateless, DHCPv6-stateful), a server on it in each pod: every pod's
copy of each subnet has central's CIDR and modes, a pool holding at most the
pod's DHCP address (reserved in central), the pod's DHCP port carries central's
reserved address and MAC, each server's bottom port carries its central port's
MAC and all four addresses, and Nova answers those addresses. The lab has no
data plane (no DHCP or L3 agent): addresses are checked through the APIs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import pytest
from openstack import exceptions as os_exc

from tests.acceptance.test_network_l3 import R1, R2, WAIT, _wait, addresses, one
from tests.acceptance.test_network_surface import central_admin, network_conn

pytestmark = pytest.mark.lab
SUBNETS = {  # name -> (cidr, IPv6 mode or None for IPv4)
    "v4": ("10.61.0.0/24", None),
    "slaac": ("2001:db8:61:1::/64", "slaac"),
    "stateless": ("2001:db8:61:2::/64", "dhcpv6-stateless"),
    "stateful": ("2001:db8:61:3::/64", "dhcpv6-stateful"),
}


@pytest.fixture(scope="module")
def ndemo(lab: dict[str, Any], gateway: Any) -> Any:
    return network_conn(lab, gateway, "demo", "demo")


@pytest.fixture
def dual_stack(ndemo: Any, pod_admin: Any) -> Iterator[tuple[Any, dict[str, Any], list[Any]]]:
    """The network, its subnets by name, and a list the test puts its servers in;
    all deleted at the top afterwards, and nothing of them left in any pod."""
    net = ndemo.network.create_network(name=f"v6-{uuid.uuid4().hex[:6]}")
    subnets, servers = {}, []
    try:
        for name, (cidr, mode) in SUBNETS.items():
            attrs: dict[str, Any] = {"ip_version": 4} if mode is None else {
                "ip_version": 6, "ipv6_address_mode": mode, "ipv6_ra_mode": mode}
            subnets[name] = ndemo.network.create_subnet(
                network_id=net.id, cidr=cidr, name=name, is_dhcp_enabled=True, **attrs)
        yield net, subnets, servers
    finally:
        for server in servers:
            with suppress(os_exc.SDKException):
                ndemo.compute.delete_server(server)
        for server in servers:
            with suppress(os_exc.SDKException):
                ndemo.compute.wait_for_delete(server, wait=WAIT)
        _wait(lambda: _deleted(ndemo, net), f"network {net.id} deleted")
    top_ids = {net.id, *(s.id for s in subnets.values())}

    def clean() -> bool:
        return not any(top_ids & set(o.tags or []) for region in (R1, R2)
                       for kind in ("subnets", "networks")
                       for o in getattr(pod_admin(region).network, kind)())

    _wait(clean, "no copy of the network left in any pod", timeout=120)


def _deleted(conn: Any, net: Any) -> bool:
    try:
        conn.network.delete_network(net, ignore_missing=True)
    except os_exc.SDKException:
        return False  # ports still being released by the gateway
    return True


def test_a_dual_stack_network_is_realised_with_central_addresses_in_both_pods(
        lab: dict[str, Any], ndemo: Any, pod_admin: Any,
        dual_stack: tuple[Any, dict[str, Any], list[Any]]) -> None:
    net, subnets, servers = dual_stack
    for az in ("az1", "az2"):
        servers.append(ndemo.compute.create_server(
            name=f"v6-{az}-{uuid.uuid4().hex[:6]}", image_id=lab["image_id"],
            flavor_id=lab["flavor_id"], networks=[{"uuid": net.id}], availability_zone=az))
    servers[:] = [ndemo.compute.wait_for_server(s, wait=WAIT) for s in servers]
    central = central_admin(lab).network
    for server, region in zip(servers, (R1, R2), strict=True):
        pod = pod_admin(region)
        # the server's port: central's four addresses and MAC, in the pod and in Nova
        _wait(lambda server=server: bool(list(ndemo.network.ports(device_id=server.id))),
              "the central port showing the server")  # set by a job after the answer
        [top] = list(ndemo.network.ports(device_id=server.id))
        assert {ip["subnet_id"] for ip in top.fixed_ips} == {s.id for s in subnets.values()}
        bottom = one(pod, "port", top.id)
        assert (addresses(bottom), bottom.mac_address) == (addresses(top), top.mac_address)
        shown = ndemo.compute.get_server(server.id).addresses[net.name]
        assert sorted(a["addr"] for a in shown) == addresses(top)
        assert {a["version"] for a in shown} == {4, 6}
        for name, (cidr, mode) in SUBNETS.items():
            top_sub = subnets[name]
            copy = one(pod, "subnet", top_sub.id)
            assert (copy.cidr, copy.gateway_ip, copy.is_dhcp_enabled) == \
                (cidr, top_sub.gateway_ip, True)
            assert (copy.ipv6_address_mode, copy.ipv6_ra_mode) == (mode, mode)
            # the pod's DHCP address is reserved in central; the pool holds only it
            [reserved] = list(central.ports(name=f"tricircle-dhcp:{region}:{top_sub.id}"))
            [address] = [ip["ip_address"] for ip in reserved.fixed_ips
                         if ip["subnet_id"] == top_sub.id]
            # (no pool at all when the boot took another subnet's address of the
            # reservation; the pod's DHCP port has its address either way)
            assert copy.allocation_pools in ([{"start": address, "end": address}], [])
            dhcp = one(pod, "port", reserved.id)
            assert dhcp.mac_address == reserved.mac_address
            assert (dhcp.device_owner, dhcp.device_id) == ("network:dhcp", "reserved_dhcp_port")
            assert address in addresses(dhcp)
        # the pod hands out no address of its own where addresses come from a pool
        copy_net = one(pod, "network", net.id)
        for name in ("v4", "stateful"):
            try:
                stray = pod.network.create_port(network_id=copy_net.id, fixed_ips=[
                    {"subnet_id": one(pod, "subnet", subnets[name].id).id}])
            except os_exc.ConflictException:
                continue  # IpAddressGenerationFailure
            pod.network.delete_port(stray)
            raise AssertionError(f"{region} handed out {addresses(stray)} on {name}")
