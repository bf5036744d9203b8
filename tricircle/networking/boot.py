"""Servers on top networks: the hook the server create path calls (issue 4, step 1).

`prepare_networks` runs after the scheduler chose the pod and before the boot is
forwarded. For each item of the create's ``networks`` (``{"uuid"}``,
``{"uuid", "fixed_ip"}``, ``{"port"}``) it makes sure the pod holds the bottom
network (same segment as central), subnets (same CIDR, no pool), security
groups and a bottom port with the central port's MAC and addresses, then
rewrites the body to boot on the bottom ports. `attached` records the server on
the central ports once the pod accepted the boot; `abandon` undoes a refused
boot; `enqueue_release` (after a delete) schedules the release of the ports.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.clients.pod import PodRequestError
from tricircle.context import RequestContext
from tricircle.networking import azhints, binding, l3hooks, plan, settle, sync
from tricircle.networking import groups as sgroups
from tricircle.networking import release as _release  # noqa: F401  (registers its job)
from tricircle.networking.bottom import BottomNetworking, PodNeutron
from tricircle.networking.central import CentralNeutron, CentralNotConfigured, central
from tricircle.pods.registry import PodInfo
from tricircle.resources.network import NETWORK, PORT, SECURITY_GROUP, SUBNET
from tricircle.routing import table

LOG = logging.getLogger(__name__)


class NetworkNotFound(faults.BadRequest):
    code, message = "tricircle.network_not_found", "Network %(id)s could not be found."


class PortNotFound(faults.BadRequest):
    code, message = "tricircle.port_not_found", "Port id %(id)s could not be found."


class PortInUse(faults.Conflict):
    code, message = "tricircle.port_in_use", "Port %(id)s is still in use."


class CentralRefused(faults.BadRequest):
    code, message = "tricircle.central_refused", "%(reason)s"


@dataclass
class BootPort:
    top_port: str
    bottom_port: str
    created_top: bool        # the gateway created the central port for this boot
    groups: list[str] = field(default_factory=list)  # its top security groups


@dataclass
class PreparedNetworks:
    pod: PodInfo
    project_id: str
    ports: list[BootPort] = field(default_factory=list)


@dataclass
class _Boot:
    """What one prepare needs: central (user and service tokens) and the pod."""

    app: web.Application
    ctx: RequestContext
    central: CentralNeutron
    service_token: str
    bottom: BottomNetworking

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        resp = await self.central.call(method, "/v2.0" + path, self.service_token,
                                       json_body=body, request_id=self.ctx.request_id)
        if not 200 <= resp.status < 300:
            raise CentralRefused(reason=_neutron_message(_json(resp.body)))
        return resp.json()

    async def as_user(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        resp = await self.central.call(method, "/v2.0" + path, self.ctx.auth_token or "",
                                       json_body=body, request_id=self.ctx.request_id)
        return resp.status, _json(resp.body)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _neutron_message(doc: Any) -> str:
    if isinstance(doc, dict) and isinstance(doc.get("NeutronError"), dict):
        return str(doc["NeutronError"].get("message", ""))
    return "Central Neutron refused the request."


async def prepare_networks(app: web.Application, ctx: RequestContext, pod: PodInfo,
                           doc: dict[str, Any]) -> PreparedNetworks | None:
    """Realise the create's top networks/ports in `pod` and rewrite ``doc`` to
    boot on the bottom ports; None (body untouched) when it names no top network.

    Raises NetworkNotFound / PortNotFound (400), PortInUse (409), CentralRefused
    (400, central Neutron's message), faults.PodUnavailable / CentralUnavailable
    (503), BottomRefused (500). On failure, what this call made is removed again.
    """
    member = doc.get("server")
    wanted = plan.requested_networks(member) if isinstance(member, dict) else None
    if wanted is None or not isinstance(member, dict) or not configured(app):
        return None  # without central Neutron, the pod judges the networks itself
    prepared = await prepare_ports(app, ctx, pod, wanted, member.get("security_groups"))
    member["networks"] = [{"port": p.bottom_port, **({"tag": r.tag} if r.tag else {})}
                          for p, r in zip(prepared.ports, wanted, strict=True)]
    member.pop("security_groups", None)  # applied to the central ports already
    return prepared


async def network_zones(app: web.Application, ctx: RequestContext,
                        doc: dict[str, Any]) -> tuple[str, ...]:
    """The top AZs a server create's top networks (``{"uuid"}`` items) may appear
    in, from their availability_zone_hints, for the scheduler; () when they do not
    restrict it, or the create names an AZ itself (`prepare_networks` then refuses
    an excluded one). One GET per network (user token)."""
    member = doc.get("server")
    wanted = plan.requested_networks(member) if isinstance(member, dict) else None
    if not wanted or not isinstance(member, dict) or member.get("availability_zone") \
            or not configured(app):
        return ()
    zones: set[str] | None = None
    for req in wanted:
        if not req.network_id:
            continue
        resp = await central(app).call("GET", f"/v2.0/networks/{req.network_id}?fields=tags",
                                       ctx.auth_token or "", request_id=ctx.request_id)
        hints = azhints.hints_of((_json(resp.body) or {}).get("network") or {}) \
            if resp.status == 200 else []
        if hints:
            zones = set(hints) if zones is None else zones & set(hints)
    if zones is None:
        return ()
    return tuple(sorted(zones)) or ("",)  # hints that exclude each other: no pod fits


async def prepare_ports(app: web.Application, ctx: RequestContext, pod: PodInfo,
                        wanted: list[plan.RequestedNetwork],
                        security_groups: Any = None) -> PreparedNetworks:
    """A bottom port in `pod` for each of `wanted` (central ports made where a
    network is named, with `security_groups`: the create's names or ids). Raises
    as `prepare_networks`; on failure what this call made is removed again."""
    boot = await _start(app, ctx, pod)
    prepared = PreparedNetworks(pod, ctx.project_id or "")
    groups = await _group_ids(boot, security_groups)
    try:
        for req in wanted:
            prepared.ports.append(await _prepare_one(boot, req, groups))
    except Exception:
        await abandon(app, ctx, prepared)
        raise
    return prepared


def configured(app: web.Application) -> bool:
    """Whether central Neutron is configured (else pods judge networks themselves)."""
    try:
        return bool(central(app).url)
    except CentralNotConfigured:
        return False


async def _start(app: web.Application, ctx: RequestContext, pod: PodInfo) -> _Boot:
    token = await app[keys.SERVICE_AUTH].token()
    try:
        client = await app[keys.PODS].get(pod.region_name)
    except PodRequestError as exc:
        raise faults.PodUnavailable(pod=pod.region_name) from exc
    bottom = BottomNetworking(app[keys.DB], PodNeutron(client, token, pod), ctx.project_id or "")
    return _Boot(app, ctx, central(app), token, bottom)


async def _group_ids(boot: _Boot, requested: Any) -> list[str] | None:
    """Central ids of the create's ``security_groups`` (names or ids); None = default."""
    if not isinstance(requested, list) or not requested:
        return None
    ids = []
    for item in requested:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        status, found = await boot.as_user(
            "GET", f"/security-groups?project_id={boot.ctx.project_id}&fields=id&fields=name")
        groups = (found or {}).get("security_groups", []) if status == 200 else []
        match = [g["id"] for g in groups if name in (g["id"], g["name"])]
        if not match:
            raise faults.BadRequest("Security group %(name)s not found for project "
                                    "%(project)s.", name=name, project=boot.ctx.project_id)
        ids.append(match[0])
    return ids


async def _prepare_one(boot: _Boot, req: plan.RequestedNetwork,
                       groups: list[str] | None) -> BootPort:
    top_port, created = await _central_port(boot, req, groups)
    try:
        bottom_port = await _bottom_port(boot, top_port, fresh=created)
    except Exception:
        if created:
            await boot.admin("DELETE", f"/ports/{top_port['id']}")
        raise
    return BootPort(top_port["id"], bottom_port, created,
                    list(top_port.get("security_groups") or []))


async def _central_port(boot: _Boot, req: plan.RequestedNetwork,
                        groups: list[str] | None) -> tuple[dict[str, Any], bool]:
    if req.port_id:
        status, found = await boot.as_user("GET", f"/ports/{req.port_id}")
        if status == 404:
            raise PortNotFound(id=req.port_id)
        if status != 200:
            raise CentralRefused(reason=_neutron_message(found))
        port = found["port"]
        if port.get("device_id"):
            raise PortInUse(id=req.port_id)
        return port, False
    status, found = await boot.as_user("GET", f"/networks/{req.network_id}"
                                            "?fields=id&fields=tags")
    if status == 404:
        raise NetworkNotFound(id=req.network_id)
    if status == 200 and isinstance(found, dict):
        azhints.check(found.get("network") or {}, boot.bottom.neutron.pod)
    status, made = await boot.as_user("POST", "/ports", plan.central_port_body(req, groups))
    if status != 201:
        raise CentralRefused(reason=_neutron_message(made))
    port = made["port"]
    status, _ = await boot.as_user("PUT", f"/ports/{port['id']}/tags/{plan.AUTO_PORT_TAG}")
    if status not in (200, 201, 204):
        await boot.admin("DELETE", f"/ports/{port['id']}")
        raise CentralRefused(reason=f"Port {port['id']} could not be tagged ({status}).")
    return port, True


async def _bottom_port(boot: _Boot, top_port: dict[str, Any], *, fresh: bool) -> str:
    """The bottom port of `top_port` in the pod, with everything it needs there."""
    network = await _network(boot, top_port["network_id"])
    subnets = {ip["subnet_id"]: await _subnet(boot, ip["subnet_id"], network)
               for ip in top_port.get("fixed_ips", [])}
    groups = {g: await _group(boot, g) for g in top_port.get("security_groups", [])}
    project = top_port.get("project_id") or top_port.get("tenant_id") or boot.ctx.project_id
    body = plan.bottom_port_body(top_port, network, subnets, groups, project or "")
    bottom = boot.bottom
    await l3hooks.evict_shadow(bottom, top_port["id"])  # a floating IP's stand-in
    made = await bottom.ensure(PORT, top_port["id"], lambda: sgroups.create(bottom, "ports", body),
                               adopt=not fresh)
    return made[0]


async def _network(boot: _Boot, top_id: str) -> str:
    bottom = boot.bottom
    route = await bottom.existing(NETWORK, top_id)
    if route is not None and route.bottom_id:
        return route.bottom_id
    top = (await boot.admin("GET", f"/networks/{top_id}"))["network"]
    azhints.check(top, boot.bottom.neutron.pod)
    try:
        body = plan.bottom_network_body(top, top.get("project_id") or top.get("tenant_id"))
    except plan.UnsupportedSegment as exc:
        raise CentralRefused(reason=f"Network {top_id}: {exc}") from exc
    return (await bottom.ensure(NETWORK, top_id,
                                lambda: sgroups.create(bottom, "networks", body)))[0]


async def _subnet(boot: _Boot, top_id: str, bottom_network: str) -> str:
    bottom = boot.bottom
    route = await bottom.existing(SUBNET, top_id)
    if route is not None and route.bottom_id:
        return route.bottom_id
    top = (await boot.admin("GET", f"/subnets/{top_id}"))["subnet"]
    project = top.get("project_id") or top.get("tenant_id") or ""
    if not plan.wants_pod_dhcp(top):
        body = plan.bottom_subnet_body(top, bottom_network, project)
        return (await bottom.ensure(SUBNET, top_id,
                                    lambda: sgroups.create(bottom, "subnets", body)))[0]
    return (await bottom.ensure(SUBNET, top_id,
                                lambda: _subnet_with_dhcp(boot, top, bottom_network, project)))[0]


async def _subnet_with_dhcp(boot: _Boot, top: dict[str, Any], bottom_network: str,
                            project: str) -> str:
    """The bottom subnet with DHCP: the pod's DHCP address reserved as a central
    port, the subnet's pool that one address, held by the pod's DHCP port."""
    region = boot.bottom.neutron.pod.region_name
    name = plan.dhcp_port_name(region, top["id"])
    found = await boot.admin("GET", f"/ports?network_id={top['network_id']}&name={name}")
    reserved = (found.get("ports") or [None])[0]
    if reserved is None:
        reserved = (await boot.admin("POST", "/ports",
                                     plan.central_dhcp_port_body(top, region)))["port"]
    address = reserved["fixed_ips"][0]["ip_address"]
    body = plan.bottom_subnet_body(top, bottom_network, project, address)
    subnet = await sgroups.create(boot.bottom, "subnets", body)
    port = plan.bottom_dhcp_port_body(reserved, bottom_network, subnet, project)
    await boot.bottom.ensure(PORT, reserved["id"],
                             lambda: sgroups.create(boot.bottom, "ports", port))
    return subnet


async def _group(boot: _Boot, top_id: str) -> str:
    """The bottom security group (made with central's rules; afterwards rule
    changes reach it through `networking.sync`)."""
    route = await boot.bottom.existing(SECURITY_GROUP, top_id)
    if route is not None and route.bottom_id:
        return route.bottom_id
    top = (await boot.admin("GET", f"/security-groups/{top_id}"))["security_group"]
    return await sgroups.ensure_group(boot.bottom, top, lambda path: boot.admin("GET", path))


async def attached(app: web.Application, ctx: RequestContext, prepared: PreparedNetworks | None,
                   server_id: str | None) -> None:
    """The pod accepted the boot: the central ports show the server (``device_id``,
    ``device_owner`` = ``compute:<top AZ>``), and a job copies the bottom port's
    host once the pod bound it. Central Neutron failures are logged, not raised."""
    if prepared is None or not server_id:
        return
    token = await app[keys.SERVICE_AUTH].token()
    body = {"port": {"device_id": server_id, "device_owner": f"compute:{prepared.pod.az_name}"}}
    async with app[keys.DB].session() as s:
        for port in prepared.ports:
            await binding.enqueue_binding(s, port.top_port, port.bottom_port, prepared.pod.id,
                                          prepared.project_id)
        # groups naming these ports' groups as remote group: other pods learn the addresses
        await sync.enqueue_members(s, [g for p in prepared.ports for g in p.groups],
                                   prepared.project_id)
        # routers on these ports' networks and their floating IPs reach this pod
        await l3hooks.enqueue_ports(s, [(p.top_port, None) for p in prepared.ports],
                                    prepared.project_id)
    engine = app[keys.SERVICES].get("jobs")
    if engine is not None:
        engine.wake()
    for port in prepared.ports:
        try:
            resp = await central(app).call("PUT", f"/v2.0/ports/{port.top_port}", token,
                                           json_body=body, request_id=ctx.request_id)
            if resp.status != 200:
                LOG.warning("central port %s not updated: %d", port.top_port, resp.status)
        except faults.ServiceUnavailable as exc:
            LOG.warning("central port %s not updated: %s", port.top_port, exc)


async def abandon(app: web.Application, ctx: RequestContext,
                  prepared: PreparedNetworks | None) -> None:
    """The boot was refused or failed: remove the bottom ports (and the central
    ports the gateway created); bottom networks and subnets stay for the next boot.
    What cannot be removed now (pod unreachable) is left to `networking.settle_ports`."""
    if prepared is None or not prepared.ports:
        return
    left = list(prepared.ports)
    try:
        boot = await _start(app, ctx, prepared.pod)
        for port in prepared.ports:
            await boot.bottom.remove(PORT, port.top_port)
            if port.created_top:
                await boot.admin("DELETE", f"/ports/{port.top_port}")
            left.remove(port)
    except faults.TricircleError as exc:
        LOG.warning("ports of a failed boot in %s left to a job: %s", prepared.pod.region_name,
                    exc)
        await _settle_later(app, prepared, left)


async def unsure(app: web.Application, prepared: PreparedNetworks | None,
                 route: table.Route) -> None:
    """The boot could not be sent or its answer was lost: the ports follow the
    server's reservation `route` once `routing.repair` resolved it."""
    if prepared is not None and prepared.ports:
        await _settle_later(app, prepared, prepared.ports, route)


async def _settle_later(app: web.Application, prepared: PreparedNetworks,
                        ports: list[BootPort], route: table.Route | None = None) -> None:
    async with app[keys.DB].session() as s:
        await settle.enqueue_settle(s, prepared.pod.id, prepared.project_id,
                                    [dataclasses.asdict(p) for p in ports], route)
