"""Pure planning of cross-pod L3: what each pod must hold for one top router.

No I/O: the router job (`networking.routers`) reads central Neutron and the
routing table into a `RouterState`, asks `place` which pods the router spans
and where each interface lives, allocates the bridge addresses, then asks
`pod_plan` what one pod's bottom router must look like. Every rule is here:

* An interface lives in exactly one pod (its *home*): the pod that already
  holds it, else the first pod holding a copy of its network. A subnet confined
  to one pod is thus routed where it is; a subnet stretched over several pods
  keeps its gateway address in one pod only, and VMs of other pods reach it
  over the stretched L2 segment (no duplicate gateway address on the segment).
* The router spans the homes of its interfaces plus the pod of its external
  network. With two pods or more, each bottom router gets an address on the
  tenant's bridge network, and one extra route **per remote subnet** (never
  per VM): ``cidr -> bridge address of the subnet's home``. A pod without the
  gateway gets ``0.0.0.0/0 -> bridge address of the gateway pod``.
* Floating IPs are realised in the gateway pod, on the VM's bottom port when
  the VM is there, else on a *shadow* port (same network, IP and MAC, no
  binding) that exists only as the NAT target; the bottom floating IP names
  the bottom router explicitly (``floating-ip-router-writable``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ROUTE = "0.0.0.0/0"
# Central device owners of a router's tenant-side ports.
INTERFACE_OWNERS = ("network:router_interface", "network:router_interface_distributed",
                    "network:ha_router_replicated_interface")


class BridgeOverlap(ValueError):
    """A subnet on the router overlaps the bridge CIDR: its routes would be ambiguous."""


@dataclass(frozen=True, slots=True)
class Interface:
    """One central router interface: its port and (one) subnet."""

    port_id: str
    network_id: str
    subnet_id: str
    ip: str
    cidr: str


@dataclass(frozen=True, slots=True)
class Gateway:
    """The top router's external gateway and the pod owning its network."""

    network_id: str
    pod: str
    enable_snat: bool
    fixed_ips: tuple[tuple[str, str], ...]   # (top subnet id, address)
    cidrs: tuple[str, ...] = ()              # the external subnets' CIDRs


@dataclass(frozen=True, slots=True)
class FloatingIp:
    id: str
    address: str
    port_id: str
    fixed_ip: str
    network_id: str                 # the VM port's top network
    port_pod: str | None            # pod holding the VM port's bottom copy, if any


@dataclass(frozen=True, slots=True)
class RouterState:
    """What the planner needs to know about one top router (read by the job)."""

    router_id: str
    interfaces: tuple[Interface, ...] = ()
    network_pods: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    current_homes: Mapping[str, str] = field(default_factory=dict)  # if port -> pod
    gateway: Gateway | None = None
    routes: tuple[tuple[str, str], ...] = ()   # the top router's own (dest, nexthop)
    floating_ips: tuple[FloatingIp, ...] = ()


@dataclass(frozen=True, slots=True)
class Placement:
    pods: tuple[str, ...]              # pods holding a bottom router, sorted
    homes: Mapping[str, str]           # interface port id -> pod

    @property
    def bridged(self) -> bool:
        return len(self.pods) > 1


@dataclass(frozen=True, slots=True)
class PodRouter:
    """What the bottom router of the top router must have in one pod."""

    pod: str
    interfaces: tuple[str, ...]                    # central interface port ids
    bridge: bool
    gateway: Gateway | None
    routes: tuple[tuple[str, str], ...]            # sorted (destination, nexthop)
    floating_ips: tuple[FloatingIp, ...] = ()
    shadows: tuple[FloatingIp, ...] = ()           # FIPs whose VM is in another pod


def place(state: RouterState) -> Placement:
    """The pods of the router and the home of each interface (stable: an
    interface already realised stays where it is while its network is there)."""
    homes: dict[str, str] = {}
    for itf in state.interfaces:
        pods = state.network_pods.get(itf.network_id, ())
        current = state.current_homes.get(itf.port_id)
        if current in pods:
            homes[itf.port_id] = current  # type: ignore[assignment]
        elif pods:
            homes[itf.port_id] = sorted(pods)[0]
    spanned = set(homes.values())
    if state.gateway is not None:
        spanned.add(state.gateway.pod)
    return Placement(tuple(sorted(spanned)), homes)


def check_bridge(state: RouterState, bridge_cidr: str) -> None:
    """Raises BridgeOverlap when an IPv4 interface subnet overlaps the bridge."""
    bridge = ipaddress.ip_network(bridge_cidr, strict=False)
    for itf in state.interfaces:
        net = ipaddress.ip_network(itf.cidr, strict=False)
        if net.version == bridge.version and net.overlaps(bridge):
            raise BridgeOverlap(f"subnet {itf.subnet_id} ({itf.cidr}) overlaps the bridge "
                                f"CIDR {bridge_cidr}")


def bridge_subnet(bridge_cidr: str) -> str:
    """The CIDR of every tenant's bridge subnet: the first /24 of `bridge_cidr`
    (or all of it when smaller). Tenants' bridges are separate networks, so the
    same addresses never meet."""
    net = ipaddress.ip_network(bridge_cidr, strict=False)
    if net.prefixlen >= 24:
        return str(net)
    return str(next(net.subnets(new_prefix=24)))


def homed_in(placement: Placement, pod: str) -> tuple[str, ...]:
    """The central interface ports whose home is `pod`, sorted."""
    return tuple(sorted(p for p, home in placement.homes.items() if home == pod))


def pod_plan(state: RouterState, placement: Placement, pod: str,
             bridge_ips: Mapping[str, str]) -> PodRouter:
    """The bottom router of `pod` (`bridge_ips`: pod -> bridge address, needed
    when the placement is bridged)."""
    gateway = state.gateway if state.gateway and state.gateway.pod == pod else None
    interfaces = homed_in(placement, pod)
    fips = tuple(sorted((f for f in state.floating_ips if gateway and f.port_pod),
                        key=lambda f: f.id))
    return PodRouter(
        pod=pod, interfaces=interfaces, bridge=placement.bridged, gateway=gateway,
        routes=_routes(state, placement, pod, bridge_ips), floating_ips=fips,
        shadows=tuple(f for f in fips if f.port_pod != pod))


def _routes(state: RouterState, placement: Placement, pod: str,
            bridge_ips: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    routes: set[tuple[str, str]] = set()
    bridged = placement.bridged
    for itf in state.interfaces:
        home = placement.homes.get(itf.port_id)
        if bridged and home and home != pod and _v4(itf.cidr):
            routes.add((itf.cidr, bridge_ips[home]))
    gw_pod = state.gateway.pod if state.gateway else None
    if bridged and gw_pod and gw_pod != pod:
        routes.add((DEFAULT_ROUTE, bridge_ips[gw_pod]))
    for dest, nexthop in state.routes:
        via = _user_route(state, placement, pod, nexthop, bridge_ips)
        if via:
            routes.add((dest, via))
    return tuple(sorted(routes))


def _user_route(state: RouterState, placement: Placement, pod: str, nexthop: str,
                bridge_ips: Mapping[str, str]) -> str | None:
    """Where this pod sends a top route's traffic: the nexthop itself where it is
    connected, else the bridge address of the pod where it is."""
    where: str | None = None
    for itf in state.interfaces:
        if _contains(itf.cidr, nexthop):
            where = placement.homes.get(itf.port_id)
            break
    else:
        gateway = state.gateway
        if gateway and any(_contains(c, nexthop) for c in gateway.cidrs):
            where = gateway.pod
    if where is None:
        return None
    if where == pod:
        return nexthop
    return bridge_ips.get(where) if placement.bridged and _v4(nexthop + "/32") else None


def _contains(cidr: str, address: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def _v4(cidr: str) -> bool:
    return ipaddress.ip_network(cidr, strict=False).version == 4


# ---- bodies of bottom objects (marked with the top id in `description`) ----

def bottom_router_body(top: Mapping[str, Any], project_id: str) -> dict[str, Any]:
    """Named like the top router; the top id in ``description`` (tagged after)."""
    return {"router": {"name": top.get("name") or "", "tenant_id": project_id,
                       "admin_state_up": top.get("admin_state_up", True),
                       "description": top["id"]}}


def router_update(top: Mapping[str, Any], observed: Mapping[str, Any],
                  routes: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The body of the one PUT bringing a bottom router in step: the top router's
    ``name`` and ``admin_state_up``, and the planned `routes` (sorted pairs);
    empty when nothing differs. The description stays the top id (the marker)."""
    body: dict[str, Any] = {}
    for attr, default in (("name", ""), ("admin_state_up", True)):
        wanted = top.get(attr, default)
        if wanted is None:
            wanted = default
        if observed.get(attr, default) != wanted:
            body[attr] = wanted
    have = sorted((r["destination"], r["nexthop"]) for r in observed.get("routes") or [])
    if have != sorted(routes):
        body["routes"] = [{"destination": d, "nexthop": n} for d, n in sorted(routes)]
    return body


def gateway_info(gateway: Gateway, bottom_network: str,
                 subnets: Mapping[str, str]) -> dict[str, Any]:
    """``external_gateway_info`` of the bottom router: central's addresses
    (`subnets`: top -> bottom external subnet ids) and SNAT as at the top."""
    return {"network_id": bottom_network, "enable_snat": gateway.enable_snat,
            "external_fixed_ips": [{"subnet_id": subnets[s], "ip_address": ip}
                                   for s, ip in gateway.fixed_ips if s in subnets]}


def gateway_matches(observed: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    """Whether the bottom router's ``external_gateway_info`` is already `wanted`."""
    if not observed:
        return False
    have = {(i["subnet_id"], i["ip_address"]) for i in observed.get("external_fixed_ips") or []}
    want = {(i["subnet_id"], i["ip_address"]) for i in wanted["external_fixed_ips"]}
    return (observed.get("network_id") == wanted["network_id"]
            and bool(observed.get("enable_snat", True)) == wanted["enable_snat"]
            and want <= have)


def floating_ip_body(fip: FloatingIp, bottom_network: str, bottom_port: str,
                     bottom_router: str, project_id: str) -> dict[str, Any]:
    return {"floatingip": {"floating_network_id": bottom_network,
                           "floating_ip_address": fip.address, "port_id": bottom_port,
                           "fixed_ip_address": fip.fixed_ip, "router_id": bottom_router,
                           "tenant_id": project_id, "description": fip.id}}


def shadow_marker(port_id: str) -> str:
    """The routing top id and marker of a shadow port (never the VM port's own
    marker: a boot in that pod must not adopt a shadow)."""
    return f"shadow:{port_id}"


def shadow_port_body(top_port: Mapping[str, Any], bottom_network: str,
                     subnets: Mapping[str, str], project_id: str) -> dict[str, Any]:
    """A port with the VM port's MAC and addresses, unbound and without
    security groups: only the NAT target of a floating IP."""
    fixed = [{"subnet_id": subnets[ip["subnet_id"]], "ip_address": ip["ip_address"]}
             for ip in top_port.get("fixed_ips", [])
             if ip["subnet_id"] in subnets]
    return {"port": {"network_id": bottom_network, "name": "", "tenant_id": project_id,
                     "mac_address": top_port["mac_address"], "fixed_ips": fixed,
                     "device_owner": "", "port_security_enabled": False,
                     "description": shadow_marker(str(top_port["id"]))}}
