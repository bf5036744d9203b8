"""Pure planning of bottom copies: what a pod must hold for top objects.

No I/O here: each function turns central Neutron's documents (as read by the
service account) into the body of a bottom create, or a list of what is
missing, so every rule is unit-tested without a cloud.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

# Segment types a pod can copy exactly (same segmentation id as central).
SEGMENT_TYPES = ("vxlan", "vlan", "flat")
# Tag on central ports the gateway creates for a boot on a network: they are the
# server's and go with it (like ports Nova creates); user-created ports are kept.
AUTO_PORT_TAG = "tricircle-server-port"
# device_id of a DHCP port made ahead of the DHCP agent, which then adopts it.
DHCP_DEVICE = "reserved_dhcp_port"


class UnsupportedSegment(ValueError):
    """The top network's segment cannot be reproduced in a pod."""


@dataclass(frozen=True, slots=True)
class RequestedNetwork:
    """One item of a server create's ``networks``: a top network or port."""

    network_id: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None
    tag: str | None = None


def requested_networks(member: dict[str, Any]) -> list[RequestedNetwork] | None:
    """The top networks/ports a server create asks for; None when the body names
    none (absent, ``"auto"``/``"none"``, or a shape the pod must judge)."""
    items = member.get("networks")
    if not isinstance(items, list) or not items:
        return None
    found = []
    for item in items:
        if not isinstance(item, dict):
            return None
        net, port, ip, tag = (item.get(k) for k in ("uuid", "port", "fixed_ip", "tag"))
        if not isinstance(net, str | None) or not isinstance(port, str | None) \
                or not (net or port):
            return None
        found.append(RequestedNetwork(net or None, port or None,
                                      ip if isinstance(ip, str) else None,
                                      tag if isinstance(tag, str) else None))
    return found


def requested_interface(attachment: dict[str, Any]) -> RequestedNetwork | None:
    """The top network or port of an ``os-interface`` attach (``net_id``,
    ``port_id``, ``fixed_ips``: one ``ip_address``, ``tag``); None when it names
    neither, or in a shape the pod must judge."""
    net, port, tag = (attachment.get(k) for k in ("net_id", "port_id", "tag"))
    if not isinstance(net, str | None) or not isinstance(port, str | None) or not (net or port):
        return None
    ips = attachment.get("fixed_ips")
    first = ips[0] if isinstance(ips, list) and ips and isinstance(ips[0], dict) else {}
    ip = first.get("ip_address")
    return RequestedNetwork(net or None, port or None, ip if isinstance(ip, str) else None,
                            tag if isinstance(tag, str) else None)


def central_port_body(req: RequestedNetwork, security_groups: list[str] | None) -> dict[str, Any]:
    """The central port the gateway creates for a boot on a network (tagged
    AUTO_PORT_TAG right after: Neutron ignores or refuses ``tags`` in a POST)."""
    port: dict[str, Any] = {"network_id": req.network_id, "device_owner": ""}
    if req.fixed_ip:
        port["fixed_ips"] = [{"ip_address": req.fixed_ip}]
    if security_groups is not None:
        port["security_groups"] = security_groups
    return {"port": port}


def segment(top_network: dict[str, Any]) -> dict[str, Any]:
    """The provider attributes of the top network's segment. Raises UnsupportedSegment."""
    kind = top_network.get("provider:network_type")
    if kind not in SEGMENT_TYPES:
        raise UnsupportedSegment(f"network type {kind!r} cannot be copied to a pod")
    attrs: dict[str, Any] = {"provider:network_type": kind}
    if kind in ("vlan", "flat"):
        attrs["provider:physical_network"] = top_network.get("provider:physical_network")
    if kind != "flat":
        attrs["provider:segmentation_id"] = top_network.get("provider:segmentation_id")
    return attrs


def bottom_network_body(top: dict[str, Any], project_id: str) -> dict[str, Any]:
    """Same segment, same name as the top network (so a server's ``addresses``
    show the top name). Pods refuse ``tags`` in a POST: the top id goes into
    ``description`` at creation (the marker a repair finds) and into a tag just
    after (`bottom.PodNeutron.tag`); every bottom body here does the same."""
    return {"network": {"name": top.get("name") or "", "tenant_id": project_id,
                        "admin_state_up": top.get("admin_state_up", True),
                        "shared": bool(top.get("shared", False)),
                        "description": top["id"], **segment(top)}}


def bottom_subnet_body(top: dict[str, Any], bottom_network_id: str, project_id: str,
                       dhcp_address: str | None = None) -> dict[str, Any]:
    """Same CIDR and gateway. The pod hands out no address of its own: every
    bottom port gets the address central Neutron allocated. Without DHCP the pool
    is empty; with DHCP (`dhcp_address`: the pod's DHCP address, reserved as a
    central port) the pool is that one address, which the pod's DHCP port holds."""
    # (an address of another subnet, say a SLAAC address the reservation also
    # holds, makes no pool: the DHCP port is given its address explicitly anyway)
    pool = [{"start": dhcp_address, "end": dhcp_address}] \
        if dhcp_address and _inside(dhcp_address, top["cidr"]) else []
    modes = {k: top[k] for k in IPV6_MODES if top.get(k)}
    return {"subnet": {"network_id": bottom_network_id, "name": top.get("name") or "",
                       "tenant_id": project_id, "cidr": top["cidr"],
                       "ip_version": top.get("ip_version", 4),
                       "gateway_ip": top.get("gateway_ip"),
                       # Neutron takes IPv6 modes only with DHCP on
                       "enable_dhcp": bool(dhcp_address) or bool(modes),
                       "allocation_pools": pool, "description": top["id"], **modes}}


def _inside(address: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


# IPv6 attributes a copy keeps (fixed at creation, like the CIDR): with ``slaac``
# or ``dhcpv6-stateless`` every port's address is derived from its MAC (EUI-64),
# so a bottom port with central's MAC has central's address.
IPV6_MODES = ("ipv6_address_mode", "ipv6_ra_mode")


def wants_pod_dhcp(top_subnet: dict[str, Any]) -> bool:
    """Whether a pod's copy of the subnet gets DHCP (and the pod's DHCP address
    reserved in central): every subnet with DHCP on, IPv4 or IPv6 (SLAAC and
    DHCPv6 subnets have it on: Neutron requires it for their modes)."""
    return bool(top_subnet.get("enable_dhcp"))


def reserved_address(port: dict[str, Any], top_subnet_id: str) -> str:
    """The address a central port holds on one subnet (a port on a network with
    SLAAC subnets also holds their addresses)."""
    ips = port.get("fixed_ips") or []
    return str(next((ip for ip in ips if ip["subnet_id"] == top_subnet_id), ips[0])["ip_address"])


def dhcp_port_name(region: str, top_subnet_id: str) -> str:
    """Name of the central port reserving a pod's DHCP address on a subnet."""
    return f"tricircle-dhcp:{region}:{top_subnet_id}"


def central_dhcp_port_body(top_subnet: dict[str, Any], region: str) -> dict[str, Any]:
    """The central port reserving the DHCP address of `region` on the subnet
    (owned like a DHCP agent's port, so deleting the subnet or network takes it)."""
    return {"port": {"network_id": top_subnet["network_id"],
                     "name": dhcp_port_name(region, top_subnet["id"]),
                     "tenant_id": top_subnet.get("project_id") or top_subnet.get("tenant_id"),
                     "device_owner": "network:dhcp", "device_id": DHCP_DEVICE,
                     "fixed_ips": [{"subnet_id": top_subnet["id"]}]}}


def bottom_dhcp_port_body(top_port: dict[str, Any], bottom_network_id: str,
                          bottom_subnet_id: str, project_id: str,
                          top_subnet_id: str | None = None) -> dict[str, Any]:
    """The pod's DHCP port: central's reserved address (on `top_subnet_id`, else
    on the subnet its `dhcp_port_name` names) and MAC; a pod's DHCP agent takes
    over a port whose device_id is ``reserved_dhcp_port``."""
    name = str(top_port.get("name") or "")
    own = top_subnet_id or (name.rsplit(":", 1)[-1] if name.startswith("tricircle-dhcp:") else "")
    address = reserved_address(top_port, own)
    fixed = {"subnet_id": bottom_subnet_id}
    if not is_derived(address, str(top_port["mac_address"])):
        fixed["ip_address"] = address  # (a SLAAC address the pod derives from the MAC)
    return {"port": {"network_id": bottom_network_id, "name": top_port.get("name") or "",
                     "tenant_id": project_id, "mac_address": top_port["mac_address"],
                     "device_owner": "network:dhcp", "device_id": DHCP_DEVICE,
                     "fixed_ips": [fixed], "description": top_port["id"]}}


def fixed_ips(top_port: dict[str, Any], subnets: dict[str, str], *,
              router_port: bool = False) -> list[dict[str, str]]:
    """The bottom ``fixed_ips`` of a top port (`subnets`: top -> bottom ids):
    central's addresses, except an IPv6 address derived from the port's MAC
    (EUI-64: a SLAAC or DHCPv6-stateless subnet), which a pod derives itself from
    the same MAC and refuses to be given as well (it allocates it twice); only
    the subnet is named. A router's port (`router_port`) gets no derived address
    from a pod, so it is given every address."""
    mac = str(top_port.get("mac_address") or "")
    found = []
    for ip in top_port.get("fixed_ips") or []:
        item = {"subnet_id": subnets[ip["subnet_id"]]}
        if router_port or not is_derived(ip["ip_address"], mac):
            item["ip_address"] = ip["ip_address"]
        found.append(item)
    return found


def is_derived(address: str, mac: str) -> bool:
    """Whether an IPv6 `address` has the modified EUI-64 interface id of `mac`
    (what Neutron gives every port on a SLAAC or DHCPv6-stateless subnet)."""
    try:
        ip = ipaddress.ip_address(address)
        octets = bytes(int(part, 16) for part in mac.split(":"))
    except ValueError:
        return False
    if ip.version != 6 or len(octets) != 6:
        return False
    eui = bytes([octets[0] ^ 0x02, *octets[1:3], 0xFF, 0xFE, *octets[3:]])
    return int(ip) & (2 ** 64 - 1) == int.from_bytes(eui, "big")


def bottom_security_group_body(top: dict[str, Any], project_id: str) -> dict[str, Any]:
    """Named by the top id: a pod refuses a second group named ``default``."""
    return {"security_group": {"name": top["id"], "tenant_id": project_id,
                               "description": top["id"]}}


def bottom_port_body(top: dict[str, Any], bottom_network_id: str, subnets: dict[str, str],
                     groups: dict[str, str], project_id: str, *,
                     router_port: bool = False) -> dict[str, Any]:
    """The bottom port carrying the top port's MAC and addresses (`subnets` and
    `groups`: top id -> bottom id), marked with the top port id (`router_port`:
    made as a router's port, see `fixed_ips`)."""
    port: dict[str, Any] = {
        "network_id": bottom_network_id, "name": top.get("name") or "",
        "tenant_id": project_id, "mac_address": top["mac_address"],
        "fixed_ips": fixed_ips(top, subnets, router_port=router_port),
        "description": top["id"]}
    if top.get("port_security_enabled") is False:
        port["port_security_enabled"] = False
    else:
        port["security_groups"] = [groups[g] for g in top.get("security_groups", [])]
    return {"port": port}


# Attributes of a top object that its bottom copies follow (the rest is fixed at
# creation: segment, CIDR, MAC, addresses; pools and DHCP stay the pod's way).
_SYNCED = {"network": ("name", "admin_state_up", "shared"),
           "subnet": ("name", "gateway_ip", "dns_nameservers", "host_routes"),
           "port": ("name", "admin_state_up", "allowed_address_pairs")}


def bottom_update(resource_type: str, top: dict[str, Any],
                  groups: dict[str, str] | None = None) -> dict[str, Any]:
    """The body of the PUT that brings a bottom copy in step with `top` (`groups`:
    top -> bottom security group ids, for ports)."""
    body = {k: top[k] for k in _SYNCED.get(resource_type, ()) if k in top}
    if resource_type == "port":
        if top.get("port_security_enabled") is False:
            body.update(port_security_enabled=False, security_groups=[])
        else:
            body.update(port_security_enabled=True, security_groups=[
                (groups or {})[g] for g in top.get("security_groups", [])])
    return {resource_type: body}
