"""Cross-pod L3 planning rules (pure: no cloud)."""

from __future__ import annotations

import pytest

from tricircle.networking import l3plan
from tricircle.networking.l3plan import FloatingIp, Gateway, Interface, RouterState

A, B, C = "pod-a", "pod-b", "pod-c"
BRIDGE = {A: "100.0.0.2", B: "100.0.0.3", C: "100.0.0.4"}


def itf(name: str, cidr: str, network: str | None = None) -> Interface:
    return Interface(f"port-{name}", network or f"net-{name}", f"sub-{name}",
                     cidr.replace("0/24", "1"), cidr)


def gateway(pod: str = B) -> Gateway:
    return Gateway("ext", pod, True, (("ext-sub", "163.3.124.5"),), ("163.3.124.0/24",))


def single_gateway_state(**extra: object) -> RouterState:
    """The predecessor's scenario 1: net1 in A, net2 in B, the gateway in B."""
    return RouterState(
        "r", interfaces=(itf("1", "10.0.1.0/24"), itf("2", "10.0.2.0/24")),
        network_pods={"net-1": (A,), "net-2": (B,)}, gateway=gateway(B), **extra)  # type: ignore


def test_router_spans_the_pods_of_its_subnets_and_of_its_gateway() -> None:
    placement = l3plan.place(single_gateway_state())
    assert placement.pods == (A, B) and placement.bridged
    assert placement.homes == {"port-1": A, "port-2": B}


def test_routes_are_one_per_remote_subnet_plus_a_default_towards_the_gateway() -> None:
    state = single_gateway_state()
    placement = l3plan.place(state)
    in_a = l3plan.pod_plan(state, placement, A, BRIDGE)
    in_b = l3plan.pod_plan(state, placement, B, BRIDGE)
    assert in_a.routes == (("0.0.0.0/0", BRIDGE[B]), ("10.0.2.0/24", BRIDGE[B]))
    assert in_b.routes == (("10.0.1.0/24", BRIDGE[A]),)
    assert (in_a.interfaces, in_b.interfaces) == (("port-1",), ("port-2",))
    assert in_a.gateway is None and in_b.gateway == state.gateway
    assert in_a.bridge and in_b.bridge


def test_many_vms_on_a_subnet_still_make_one_route() -> None:
    """Routes depend on subnets, never on how many VMs they hold."""
    state = single_gateway_state()
    routes = l3plan.pod_plan(state, l3plan.place(state), B, BRIDGE).routes
    assert [r for r in routes if r[0] == "10.0.1.0/24"] == [("10.0.1.0/24", BRIDGE[A])]


def test_router_in_one_pod_needs_no_bridge_and_no_routes() -> None:
    state = RouterState("r", interfaces=(itf("1", "10.0.1.0/24"),),
                        network_pods={"net-1": (A,)}, gateway=gateway(A))
    placement = l3plan.place(state)
    assert placement.pods == (A,) and not placement.bridged
    plan = l3plan.pod_plan(state, placement, A, {})
    assert (plan.bridge, plan.routes, plan.interfaces) == (False, (), ("port-1",))


def test_interface_on_a_network_in_no_pod_is_not_realised_yet() -> None:
    state = RouterState("r", interfaces=(itf("1", "10.0.1.0/24"),), gateway=gateway(B))
    placement = l3plan.place(state)
    assert placement.pods == (B,) and placement.homes == {}


def test_router_with_nothing_anywhere_has_no_pod() -> None:
    state = RouterState("r", interfaces=(itf("1", "10.0.1.0/24"),))
    assert l3plan.place(state).pods == ()


def test_stretched_subnet_keeps_its_gateway_in_one_pod_and_is_routed_there() -> None:
    """A subnet in A and C has one home (the first pod); every other pod routes
    its CIDR to that home, which reaches VMs in C over the stretched segment."""
    state = RouterState("r", interfaces=(itf("s", "10.0.5.0/24"), itf("2", "10.0.2.0/24")),
                        network_pods={"net-s": (C, A), "net-2": (B,)})
    placement = l3plan.place(state)
    assert placement.homes["port-s"] == A and placement.pods == (A, B)
    assert l3plan.pod_plan(state, placement, B, BRIDGE).routes == \
        (("10.0.5.0/24", BRIDGE[A]),)
    assert C not in placement.pods


def test_interface_stays_where_it_was_realised() -> None:
    state = RouterState("r", interfaces=(itf("s", "10.0.5.0/24"),),
                        network_pods={"net-s": (A, B)}, current_homes={"port-s": B})
    assert l3plan.place(state).homes == {"port-s": B}


def test_interface_moves_when_its_network_left_the_pod() -> None:
    state = RouterState("r", interfaces=(itf("s", "10.0.5.0/24"),),
                        network_pods={"net-s": (A,)}, current_homes={"port-s": B})
    assert l3plan.place(state).homes == {"port-s": A}


def test_ipv6_subnets_get_no_route_over_the_ipv4_bridge() -> None:
    v6 = Interface("port-6", "net-6", "sub-6", "fd00::1", "fd00::/64")
    state = RouterState("r", interfaces=(v6, itf("2", "10.0.2.0/24")),
                        network_pods={"net-6": (A,), "net-2": (B,)})
    placement = l3plan.place(state)
    assert l3plan.pod_plan(state, placement, B, BRIDGE).routes == ()
    assert l3plan.pod_plan(state, placement, A, BRIDGE).routes == \
        (("10.0.2.0/24", BRIDGE[B]),)


def test_top_routes_go_to_the_pod_of_their_nexthop() -> None:
    state = single_gateway_state(routes=(("192.168.0.0/16", "10.0.1.254"),
                                         ("8.8.8.0/24", "163.3.124.1"),
                                         ("172.16.0.0/12", "203.0.113.9")))
    placement = l3plan.place(state)
    in_a = dict(l3plan.pod_plan(state, placement, A, BRIDGE).routes)
    in_b = dict(l3plan.pod_plan(state, placement, B, BRIDGE).routes)
    assert in_a["192.168.0.0/16"] == "10.0.1.254" and in_b["192.168.0.0/16"] == BRIDGE[A]
    assert in_b["8.8.8.0/24"] == "163.3.124.1" and in_a["8.8.8.0/24"] == BRIDGE[B]
    assert "172.16.0.0/12" not in in_a and "172.16.0.0/12" not in in_b  # unreachable


def test_floating_ips_live_in_the_gateway_pod_with_a_shadow_for_remote_vms() -> None:
    fips = (FloatingIp("f1", "163.3.124.15", "vm1", "10.0.1.20", "net-1", A),
            FloatingIp("f2", "163.3.124.20", "vm2", "10.0.2.20", "net-2", B),
            FloatingIp("f3", "163.3.124.30", "vm3", "10.0.2.30", "net-2", None))
    state = single_gateway_state(floating_ips=fips)
    placement = l3plan.place(state)
    in_a = l3plan.pod_plan(state, placement, A, BRIDGE)
    in_b = l3plan.pod_plan(state, placement, B, BRIDGE)
    assert in_a.floating_ips == () and in_a.shadows == ()
    assert [f.id for f in in_b.floating_ips] == ["f1", "f2"]   # f3: its VM is nowhere yet
    assert [f.id for f in in_b.shadows] == ["f1"]


def test_bridge_overlap_is_refused() -> None:
    state = RouterState("r", interfaces=(itf("x", "100.0.0.0/24"),))
    with pytest.raises(l3plan.BridgeOverlap):
        l3plan.check_bridge(state, "100.0.0.0/9")
    l3plan.check_bridge(single_gateway_state(), "100.0.0.0/9")


@pytest.mark.parametrize(("cidr", "subnet"), [("100.0.0.0/9", "100.0.0.0/24"),
                                              ("10.255.0.0/16", "10.255.0.0/24"),
                                              ("192.0.2.0/28", "192.0.2.0/28")])
def test_bridge_subnet_is_the_first_slash_24_of_the_bridge_cidr(cidr: str, subnet: str) -> None:
    assert l3plan.bridge_subnet(cidr) == subnet


def test_gateway_info_carries_centrals_addresses_and_snat() -> None:
    info = l3plan.gateway_info(gateway(), "bottom-ext", {"ext-sub": "bottom-ext-sub"})
    assert info == {"network_id": "bottom-ext", "enable_snat": True, "external_fixed_ips": [
        {"subnet_id": "bottom-ext-sub", "ip_address": "163.3.124.5"}]}
    assert l3plan.gateway_matches({**info, "external_fixed_ips": [
        *info["external_fixed_ips"], {"subnet_id": "v6", "ip_address": "fd00::5"}]}, info)
    assert not l3plan.gateway_matches({**info, "enable_snat": False}, info)
    assert not l3plan.gateway_matches(None, info)


def test_shadow_port_copies_the_vm_address_and_mac_under_its_own_marker() -> None:
    top = {"id": "vm1", "mac_address": "fa:16:3e:00:00:01",
           "fixed_ips": [{"subnet_id": "sub-1", "ip_address": "10.0.1.20"}]}
    body = l3plan.shadow_port_body(top, "bnet", {"sub-1": "bsub"}, "p")["port"]
    assert body["fixed_ips"] == [{"subnet_id": "bsub", "ip_address": "10.0.1.20"}]
    assert (body["mac_address"], body["description"]) == ("fa:16:3e:00:00:01", "shadow:vm1")
    assert body["device_owner"] == "" and body["port_security_enabled"] is False


def test_router_update_changes_only_what_differs() -> None:
    top = {"id": "r", "name": "new", "admin_state_up": False, "description": "mine"}
    observed = {"name": "old", "admin_state_up": True, "description": "r",
                "routes": [{"destination": "10.0.2.0/24", "nexthop": "100.0.0.3"}]}
    routes = (("10.0.2.0/24", "100.0.0.3"),)
    assert l3plan.router_update(top, observed, routes) == {"name": "new",
                                                           "admin_state_up": False}
    same = {**observed, "name": "new", "admin_state_up": False}
    assert l3plan.router_update(top, same, routes) == {}
    assert l3plan.router_update(top, same, ()) == {"routes": []}
