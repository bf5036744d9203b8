"""Pure planning of bottom copies (no cloud)."""

from __future__ import annotations

import pytest

from tricircle.networking import plan

NET = {"id": "top-net", "name": "net1", "admin_state_up": True,
       "provider:network_type": "vxlan", "provider:physical_network": None,
       "provider:segmentation_id": 150001}


def test_requested_networks_reads_uuid_port_and_fixed_ip() -> None:
    member = {"networks": [{"uuid": "n1"}, {"port": "p1"}, {"uuid": "n2", "fixed_ip": "10.0.0.5",
                                                           "tag": "eth"}]}
    assert plan.requested_networks(member) == [
        plan.RequestedNetwork("n1"), plan.RequestedNetwork(port_id="p1"),
        plan.RequestedNetwork("n2", fixed_ip="10.0.0.5", tag="eth")]


@pytest.mark.parametrize("networks", ["none", "auto", [], None, [{"tag": "x"}], ["n1"],
                                      [{"uuid": 5}]])
def test_requested_networks_leaves_other_shapes_to_the_pod(networks: object) -> None:
    assert plan.requested_networks({"networks": networks}) is None


def test_bottom_network_has_central_segment_and_top_name() -> None:
    body = plan.bottom_network_body(NET, "proj")["network"]
    assert body["provider:network_type"] == "vxlan"
    assert body["provider:segmentation_id"] == 150001
    assert "provider:physical_network" not in body
    assert (body["name"], body["tenant_id"], body["description"]) == ("net1", "proj", "top-net")


def test_vlan_segment_keeps_the_physnet() -> None:
    vlan = {**NET, "provider:network_type": "vlan", "provider:physical_network": "physnet1",
            "provider:segmentation_id": 2001}
    assert plan.segment(vlan) == {"provider:network_type": "vlan",
                                  "provider:physical_network": "physnet1",
                                  "provider:segmentation_id": 2001}


def test_flat_segment_has_no_segmentation_id() -> None:
    flat = {**NET, "provider:network_type": "flat", "provider:physical_network": "physnet2"}
    assert plan.segment(flat) == {"provider:network_type": "flat",
                                  "provider:physical_network": "physnet2"}


def test_other_segment_types_are_refused() -> None:
    with pytest.raises(plan.UnsupportedSegment):
        plan.segment({**NET, "provider:network_type": "geneve"})


def test_bottom_subnet_hands_out_no_address_of_its_own() -> None:
    top = {"id": "top-sub", "name": "s", "cidr": "10.1.0.0/24", "ip_version": 4,
           "gateway_ip": "10.1.0.1", "enable_dhcp": True,
           "allocation_pools": [{"start": "10.1.0.2", "end": "10.1.0.254"}]}
    body = plan.bottom_subnet_body(top, "bottom-net", "proj")["subnet"]
    assert body["allocation_pools"] == [] and body["enable_dhcp"] is False
    assert (body["cidr"], body["gateway_ip"], body["network_id"]) == \
        ("10.1.0.0/24", "10.1.0.1", "bottom-net")


@pytest.mark.parametrize("mode", ["slaac", "dhcpv6-stateful", "dhcpv6-stateless"])
def test_an_ipv6_copy_keeps_its_modes_and_hands_out_only_the_reserved_address(
        mode: str) -> None:
    top = {"id": "top6", "name": "v6", "cidr": "2001:db8:1::/64", "ip_version": 6,
           "gateway_ip": "2001:db8:1::1", "enable_dhcp": True,
           "ipv6_address_mode": mode, "ipv6_ra_mode": mode,
           "allocation_pools": [{"start": "2001:db8:1::2", "end": "2001:db8:1::ffff"}]}
    assert plan.wants_pod_dhcp(top)
    body = plan.bottom_subnet_body(top, "bottom-net", "proj", "2001:db8:1::5")["subnet"]
    assert (body["ipv6_address_mode"], body["ipv6_ra_mode"], body["enable_dhcp"]) == \
        (mode, mode, True)
    assert body["allocation_pools"] == [{"start": "2001:db8:1::5", "end": "2001:db8:1::5"}]
    assert (body["cidr"], body["ip_version"], body["gateway_ip"]) == \
        ("2001:db8:1::/64", 6, "2001:db8:1::1")
    # a copy without a reservation (a router's) still has DHCP on: Neutron wants it
    # with the modes; its pool is empty
    bare = plan.bottom_subnet_body(top, "bottom-net", "proj")["subnet"]
    assert bare["enable_dhcp"] is True and bare["allocation_pools"] == []
    # an address outside the subnet (another subnet's) makes no pool
    other = plan.bottom_subnet_body(top, "bottom-net", "proj", "2001:db8:9::5")["subnet"]
    assert other["allocation_pools"] == [] and other["enable_dhcp"] is True


def test_an_ipv6_subnet_without_dhcp_gets_none_and_no_modes() -> None:
    top = {"id": "top6", "cidr": "2001:db8:2::/64", "ip_version": 6, "enable_dhcp": False,
           "gateway_ip": "2001:db8:2::1", "ipv6_address_mode": None, "ipv6_ra_mode": None}
    assert not plan.wants_pod_dhcp(top)
    body = plan.bottom_subnet_body(top, "n", "p")["subnet"]
    assert body["enable_dhcp"] is False and "ipv6_address_mode" not in body


def test_the_dhcp_reservation_uses_its_own_subnets_address() -> None:
    """A central port on a network with a SLAAC subnet also holds a SLAAC address."""
    reserved = {"id": "r", "name": "tricircle-dhcp:RegionOne:v4",
                "mac_address": "fa:16:3e:00:00:09",
                "fixed_ips": [{"subnet_id": "v6", "ip_address": "2001:db8::f816:3eff:fe00:9"},
                              {"subnet_id": "v4", "ip_address": "10.0.0.2"}]}
    assert plan.reserved_address(reserved, "v4") == "10.0.0.2"
    port = plan.bottom_dhcp_port_body(reserved, "n", "bottom-v4", "p", "v4")["port"]
    assert port["fixed_ips"] == [{"subnet_id": "bottom-v4", "ip_address": "10.0.0.2"}]
    assert port["mac_address"] == "fa:16:3e:00:00:09"
    named = plan.bottom_dhcp_port_body(reserved, "n", "bottom-v4", "p")["port"]  # by its name
    assert named["fixed_ips"] == port["fixed_ips"]


def test_bottom_port_carries_central_mac_and_addresses() -> None:
    top = {"id": "top-port", "name": "", "mac_address": "fa:16:3e:00:00:01",
           "fixed_ips": [{"subnet_id": "top-sub", "ip_address": "10.1.0.7"}],
           "security_groups": ["top-sg"]}
    body = plan.bottom_port_body(top, "bottom-net", {"top-sub": "bottom-sub"},
                                 {"top-sg": "bottom-sg"}, "proj")["port"]
    assert body["mac_address"] == "fa:16:3e:00:00:01"
    assert body["fixed_ips"] == [{"subnet_id": "bottom-sub", "ip_address": "10.1.0.7"}]
    assert body["security_groups"] == ["bottom-sg"]
    assert body["description"] == "top-port"


def test_port_without_port_security_gets_no_groups() -> None:
    top = {"id": "p", "mac_address": "m", "fixed_ips": [], "security_groups": [],
           "port_security_enabled": False}
    body = plan.bottom_port_body(top, "n", {}, {}, "proj")["port"]
    assert body["port_security_enabled"] is False and "security_groups" not in body


def test_central_port_for_a_fixed_ip() -> None:
    body = plan.central_port_body(plan.RequestedNetwork("n", fixed_ip="10.0.0.9"), ["sg"])
    assert body == {"port": {"network_id": "n", "device_owner": "",
                             "fixed_ips": [{"ip_address": "10.0.0.9"}],
                             "security_groups": ["sg"]}}


def test_bottom_update_of_a_port_maps_groups_and_keeps_addresses() -> None:
    top = {"id": "p", "name": "n", "admin_state_up": False, "security_groups": ["t"],
           "mac_address": "m", "fixed_ips": [{"ip_address": "10.0.0.1"}]}
    assert plan.bottom_update("port", top, {"t": "b"}) == {"port": {
        "name": "n", "admin_state_up": False, "port_security_enabled": True,
        "security_groups": ["b"]}}


def test_bottom_update_of_a_subnet_leaves_pools_and_dhcp_alone() -> None:
    top = {"name": "s", "gateway_ip": "10.0.0.1", "enable_dhcp": True,
           "allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.9"}]}
    assert plan.bottom_update("subnet", top) == {"subnet": {"name": "s",
                                                            "gateway_ip": "10.0.0.1"}}


def test_requested_interface_reads_net_fixed_ip_port_and_tag() -> None:
    assert plan.requested_interface({"net_id": "n", "fixed_ips": [{"ip_address": "10.0.0.4"}],
                                     "tag": "t"}) == \
        plan.RequestedNetwork("n", fixed_ip="10.0.0.4", tag="t")
    assert plan.requested_interface({"port_id": "p"}) == plan.RequestedNetwork(port_id="p")


@pytest.mark.parametrize("attachment", [{}, {"net_id": 5}, {"fixed_ips": [{"ip_address": "x"}]}])
def test_requested_interface_leaves_other_shapes_to_the_pod(attachment: dict) -> None:
    assert plan.requested_interface(attachment) is None


def test_a_slaac_address_is_left_to_the_pod_to_derive_from_the_mac() -> None:
    mac = "fa:16:3e:12:34:05"
    derived = "2001:db8:a1:0:f816:3eff:fe12:3405"        # EUI-64 of the MAC
    assert plan.is_derived(derived, mac)
    assert not plan.is_derived("2001:db8:a1::5", mac) and not plan.is_derived("10.0.0.5", mac)
    top = {"id": "p", "mac_address": mac, "security_groups": [],
           "fixed_ips": [{"subnet_id": "v4", "ip_address": "10.0.0.5"},
                         {"subnet_id": "v6", "ip_address": derived}]}
    subnets = {"v4": "b4", "v6": "b6"}
    body = plan.bottom_port_body(top, "n", subnets, {}, "proj")["port"]
    assert body["fixed_ips"] == [{"subnet_id": "b4", "ip_address": "10.0.0.5"},
                                 {"subnet_id": "b6"}]
    # a router's port gets no derived address from the pod: every address is given
    router = plan.bottom_port_body(top, "n", subnets, {}, "proj", router_port=True)["port"]
    assert router["fixed_ips"][1] == {"subnet_id": "b6", "ip_address": derived}
