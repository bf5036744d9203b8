"""Central side of cross-pod L3: admin calls and the tenants' bridge networks.

A tenant whose router spans pods gets one bridge network in central Neutron
(owned by the service project, so the tenant never sees or deletes it; central
allocates its segment like any network's), named ``tricircle-bridge-<project>``
with one subnet (`l3plan.bridge_subnet`). Each bottom router of a spanning top
router has one central port on it (``tricircle-bridge:<router>:<pod id>``):
central's IPAM hands out the bridge addresses, unique per tenant. The bridge
goes when its last port goes; its copies in pods go with the network clean-up
job. Two tenants never share a bridge network, an address or a route.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from tricircle.networking import l3plan
from tricircle.networking.central import CentralNeutron

LOG = logging.getLogger(__name__)
BRIDGE_TAG = "tricircle-bridge"


class CentralError(RuntimeError):
    """Central Neutron refused a call of the gateway's own (the job retries)."""


class AdminCentral:
    """JSON calls to central Neutron with the service account's token."""

    def __init__(self, neutron: CentralNeutron, token: str) -> None:
        self._neutron, self._token = neutron, token

    async def call(self, method: str, path: str, body: Any = None, *,
                   missing_ok: bool = False) -> Any:
        """The answer's JSON (None for 204, or 404 with `missing_ok`).
        Raises CentralError, CentralUnavailable."""
        resp = await self._neutron.call(method, "/v2.0" + path, self._token, json_body=body)
        if resp.status == 404 and missing_ok:
            return None
        if not 200 <= resp.status < 300:
            raise CentralError(f"central {method} {path}: {resp.status} {resp.body[:300]!r}")
        return resp.json() if resp.body else None

    async def get(self, path: str) -> Any:
        """The document, None when it is gone."""
        return await self.call("GET", path, missing_ok=True)

    async def items(self, collection: str, query: str) -> list[dict[str, Any]]:
        found = await self.call("GET", f"/{collection}?{query}")
        return list((found or {}).get(collection.replace("-", "_"), []))


def bridge_name(project_id: str) -> str:
    return f"{BRIDGE_TAG}-{project_id}"


def port_name(router_id: str, pod_id: str) -> str:
    return f"{BRIDGE_TAG}:{router_id}:{pod_id}"


async def find_bridge(central: AdminCentral, project_id: str) -> dict[str, Any] | None:
    """The tenant's bridge network (the oldest, should two have been made)."""
    nets = await central.items("networks", f"name={bridge_name(project_id)}&tags={BRIDGE_TAG}")
    return min(nets, key=lambda n: (n.get("created_at") or "", n["id"])) if nets else None


async def ensure_bridge(central: AdminCentral, project_id: str,
                        bridge_cidr: str) -> dict[str, Any]:
    """The tenant's bridge network with its subnet, made if missing."""
    found = await find_bridge(central, project_id)
    if found is not None and found.get("subnets"):
        return found
    if found is None:
        made = await central.call("POST", "/networks", {"network": {
            "name": bridge_name(project_id), "admin_state_up": True,
            "description": f"cross-pod bridge of project {project_id}"}})
        found = made["network"]
        await central.call("PUT", f"/networks/{found['id']}/tags/{BRIDGE_TAG}")
        winner = await find_bridge(central, project_id)
        if winner is not None and winner["id"] != found["id"]:  # lost a race: use the first
            await central.call("DELETE", f"/networks/{found['id']}", missing_ok=True)
            return await ensure_bridge(central, project_id, bridge_cidr)
    subnet = await central.call("POST", "/subnets", {"subnet": {
        "network_id": found["id"], "name": bridge_name(project_id), "ip_version": 4,
        "cidr": l3plan.bridge_subnet(bridge_cidr), "gateway_ip": None, "enable_dhcp": False}})
    found["subnets"] = [subnet["subnet"]["id"]]
    LOG.info("bridge network %s made for project %s", found["id"], project_id)
    return found


async def ensure_ports(central: AdminCentral, bridge: dict[str, Any], router_id: str,
                       pods: Iterable[str]) -> dict[str, dict[str, Any]]:
    """pod -> the router's central bridge port for that pod (made if missing);
    the router's ports for other pods are deleted."""
    wanted = {port_name(router_id, pod): pod for pod in pods}
    ports = await central.items("ports", f"network_id={bridge['id']}")
    found: dict[str, dict[str, Any]] = {}
    for port in ports:
        name = port.get("name") or ""
        if name in wanted and wanted[name] not in found:
            found[wanted[name]] = port
        elif name.startswith(port_name(router_id, "")):
            await central.call("DELETE", f"/ports/{port['id']}", missing_ok=True)
    for name, pod in wanted.items():
        if pod not in found:
            made = await central.call("POST", "/ports", {"port": {
                "network_id": bridge["id"], "name": name, "device_owner": "",
                "port_security_enabled": False}})
            found[pod] = made["port"]
    return found


async def release_router(central: AdminCentral, project_id: str, router_id: str) -> str | None:
    """Delete the router's bridge ports; delete the bridge when no port is left.
    Returns the id of the bridge network deleted now (its pod copies must go)."""
    bridge = await find_bridge(central, project_id)
    if bridge is None:
        return None
    left = 0
    for port in await central.items("ports", f"network_id={bridge['id']}"):
        if (port.get("name") or "").startswith(port_name(router_id, "")):
            await central.call("DELETE", f"/ports/{port['id']}", missing_ok=True)
        else:
            left += 1
    if left:
        return None
    try:
        await central.call("DELETE", f"/networks/{bridge['id']}", missing_ok=True)
    except CentralError as exc:  # another router took a port meanwhile: keep it
        LOG.info("bridge %s kept: %s", bridge["id"], exc)
        return None
    LOG.info("bridge network %s of project %s deleted", bridge["id"], project_id)
    return str(bridge["id"])


def bridge_ip(port: dict[str, Any]) -> str:
    return str(port["fixed_ips"][0]["ip_address"])
