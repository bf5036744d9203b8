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
