"""Servers on top networks: the hook the server create path calls (issue 4, step 1).

`prepare_networks` runs after the scheduler chose the pod and before the boot is
forwarded. For each item of the create's ``networks`` (``{"uuid"}``,
``{"uuid", "fixed_ip"}``, ``{"port"}``) it makes sure the pod holds the bottom
network (same segment as central), subnets (same CIDR, no pool), security
groups and a bottom port with the central port's MAC and addresses, then
rewrites the body to boot on the bottom ports. Everything independent runs at
once and only what can exist is looked up (docs/networking.md, "Calls on a
boot's critical path"). `attached` has the central ports show the server once
the pod accepted the boot (a job right after the answer); `abandon` undoes a
refused boot; `enqueue_release` (after a delete) schedules the release of the
ports.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
from collections.abc import Awaitable, Callable
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
from tricircle.networking.central import (
    CentralNeutron,
    CentralNotConfigured,
    central,
    hints_cache,
)
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
    network: str = ""        # its top network (spares the router job a central read)


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
    hints: NetworkHints
    # What this boot started once for all its ports ((kind, top id) -> task):
    # two NICs on one network share its copy, subnets and groups.
    tasks: dict[tuple[str, str], asyncio.Future[Any]] = field(default_factory=dict)

    def once(self, key: tuple[str, str], start: Callable[[], Awaitable[Any]]
             ) -> asyncio.Future[Any]:
        task = self.tasks.get(key)
        if task is None:
            task = self.tasks[key] = asyncio.ensure_future(start())
        return task

    async def finish(self, results: list[Any]) -> BaseException | None:
        """Wait for everything this boot started (nothing is left running) and the
        copies' tags; the first failure of `results` (a port each), or of a tag."""
        while any(not t.done() for t in self.tasks.values()):  # a task may start another
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)  # all retrieved
        failed = next((r.cause if isinstance(r, _PartlyMade) else r for r in results
                       if isinstance(r, BaseException)), None)
        try:
            await self.bottom.flush_tags(raise_first=failed is None)
        except Exception as exc:  # a tag the pod refused fails the boot
            return exc
        return failed

    async def call_admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, JSON) of a service-account call; raises CentralRefused on other
        errors than 404."""
        resp = await self.central.call(method, "/v2.0" + path, self.service_token,
                                       json_body=body, request_id=self.ctx.request_id)
        if resp.status != 404 and not 200 <= resp.status < 300:
            raise CentralRefused(reason=_neutron_message(_json(resp.body)))
        return resp.status, _json(resp.body)

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


def _neutron_type(doc: Any) -> str:
    if isinstance(doc, dict) and isinstance(doc.get("NeutronError"), dict):
        return str(doc["NeutronError"].get("type", ""))
    return ""


def _neutron_message(doc: Any) -> str:
    if isinstance(doc, dict) and isinstance(doc.get("NeutronError"), dict):
        return str(doc["NeutronError"].get("message", ""))
    return "Central Neutron refused the request."


# Network id -> its availability_zone_hints as the user reads them (None: the
# user cannot see it), read once per boot for the scheduler (`network_hints`).
NetworkHints = dict[str, list[str] | None]


async def prepare_networks(app: web.Application, ctx: RequestContext, pod: PodInfo,
                           doc: dict[str, Any],
                           hints: NetworkHints | None = None) -> PreparedNetworks | None:
    """Realise the create's top networks/ports in `pod` and rewrite ``doc`` to
    boot on the bottom ports; None (body untouched) when it names no top network.
    `hints`: what `network_hints` read for this create (not read again).

    Raises NetworkNotFound / PortNotFound (400), PortInUse (409), CentralRefused
    (400, central Neutron's message), faults.PodUnavailable / CentralUnavailable
    (503), BottomRefused (500). On failure, what this call made is removed again.
    """
    member = doc.get("server")
    wanted = plan.requested_networks(member) if isinstance(member, dict) else None
    if wanted is None or not isinstance(member, dict) or not configured(app):
        return None  # without central Neutron, the pod judges the networks itself
    prepared = await prepare_ports(app, ctx, pod, wanted, member.get("security_groups"),
                                   hints=hints)
    member["networks"] = [{"port": p.bottom_port, **({"tag": r.tag} if r.tag else {})}
                          for p, r in zip(prepared.ports, wanted, strict=True)]
    member.pop("security_groups", None)  # applied to the central ports already
    return prepared


async def network_hints(app: web.Application, ctx: RequestContext,
                        doc: dict[str, Any]) -> NetworkHints:
    """The availability_zone_hints of a server create's top networks (``{"uuid"}``
    items), read with the user's token, when the create names no AZ (the scheduler
    then places it where they allow; `prepare_networks` reuses them). {} when it
    names an AZ (`prepare_networks` checks the hints itself, alongside the port
    create). One GET per network, all at once."""
    member = doc.get("server")
    wanted = plan.requested_networks(member) if isinstance(member, dict) else None
    if not wanted or not isinstance(member, dict) or member.get("availability_zone") \
            or not configured(app):
        return {}
    ids = sorted({r.network_id for r in wanted if r.network_id})
    found = await asyncio.gather(*(_user_hints(app, ctx, i) for i in ids))
    return {i: h for i, h in zip(ids, found, strict=True) if h is not _UNKNOWN}


def zones_of(hints: NetworkHints) -> tuple[str, ...]:
    """The top AZs networks with `hints` allow, for the scheduler; () when they do
    not restrict it."""
    zones: set[str] | None = None
    for found in hints.values():
        if found:
            zones = set(found) if zones is None else zones & set(found)
    if zones is None:
        return ()
    return tuple(sorted(zones)) or ("",)  # hints that exclude each other: no pod fits


_UNKNOWN: Any = object()  # central did not answer 200 or 404: judged in the prepare


async def _user_hints(app: web.Application, ctx: RequestContext, network: str) -> Any:
    """The network's hints (read lately, else with the user's token); None when
    the user cannot see it (not cached: the port's POST says so as well)."""
    cached = hints_cache(app).get(network)
    if cached is not None:
        return list(cached)
    resp = await central(app).call("GET", f"/v2.0/networks/{network}?fields=id&fields=tags",
                                   ctx.auth_token or "", request_id=ctx.request_id)
    if resp.status == 404:
        return None
    if resp.status != 200:
        return _UNKNOWN
    hints = azhints.hints_of((_json(resp.body) or {}).get("network") or {})
    hints_cache(app).put(network, tuple(hints))
    return hints


async def prepare_ports(app: web.Application, ctx: RequestContext, pod: PodInfo,
                        wanted: list[plan.RequestedNetwork],
                        security_groups: Any = None, *,
                        hints: NetworkHints | None = None) -> PreparedNetworks:
    """A bottom port in `pod` for each of `wanted` (central ports made where a
    network is named, with `security_groups`: the create's names or ids), all
    at once. Raises as `prepare_networks`; on failure what this call made is
    removed again (the network, subnet and group copies stay for reuse)."""
    boot = await _start(app, ctx, pod, hints, defer_tags=True)
    prepared = PreparedNetworks(pod, ctx.project_id or "")
    groups = await _group_ids(boot, security_groups)
    results = await asyncio.gather(*(_prepare_one(boot, req, groups) for req in wanted),
                                   return_exceptions=True)
    failed = await boot.finish(results)
    for result in results:
        if isinstance(result, _PartlyMade):
            prepared.ports.append(result.port)
        elif isinstance(result, BootPort):
            prepared.ports.append(result)
    if failed is not None:
        await abandon(app, ctx, prepared)
        raise failed
    return prepared


def configured(app: web.Application) -> bool:
    """Whether central Neutron is configured (else pods judge networks themselves)."""
    try:
        return bool(central(app).url)
    except CentralNotConfigured:
        return False


async def _start(app: web.Application, ctx: RequestContext, pod: PodInfo,
                 hints: NetworkHints | None = None, *, defer_tags: bool = False) -> _Boot:
    token = await app[keys.SERVICE_AUTH].token()
    try:
        client = await app[keys.PODS].get(pod.region_name)
    except PodRequestError as exc:
        raise faults.PodUnavailable(pod=pod.region_name) from exc
    bottom = BottomNetworking(app[keys.DB], PodNeutron(client, token, pod),
                              ctx.project_id or "", defer_tags=defer_tags)
    return _Boot(app, ctx, central(app), token, bottom, hints or {})


async def _group_ids(boot: _Boot, requested: Any) -> list[str] | None:
    """Central ids of the create's ``security_groups`` (names or ids); None = default."""
    if not isinstance(requested, list) or not requested:
        return None
    names = [i.get("name") for i in requested if isinstance(i, dict)]
    names = [n for n in names if isinstance(n, str)]
    if not names:
        return []
    status, found = await boot.as_user(
        "GET", f"/security-groups?project_id={boot.ctx.project_id}&fields=id&fields=name")
    groups = (found or {}).get("security_groups", []) if status == 200 else []
    ids = []
    for name in names:
        match = [g["id"] for g in groups if name in (g["id"], g["name"])]
        if not match:
            raise faults.BadRequest("Security group %(name)s not found for project "
                                    "%(project)s.", name=name, project=boot.ctx.project_id)
        ids.append(match[0])
    return ids


class _PartlyMade(Exception):
    """A port whose preparation failed after its central port was made: `abandon`
    removes what there is."""

    def __init__(self, port: BootPort, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.port, self.cause = port, cause


async def _prepare_one(boot: _Boot, req: plan.RequestedNetwork,
                       groups: list[str] | None) -> BootPort:
    """The central port (made for a network) and its bottom port. Raises
    _PartlyMade once a central port was made, else the cause. A central port made
    here is tagged as the server's after the answer (`attached`): until then the
    gateway knows it made it (`BootPort.created_top`)."""
    if req.port_id:
        port = await _user_port(boot, req.port_id)
    else:
        port = await _new_central_port(boot, req, groups)
    made = BootPort(port["id"], "", not req.port_id, list(port.get("security_groups") or []),
                    str(port.get("network_id") or ""))
    try:
        made.bottom_port = await _bottom_port(boot, port, fresh=not req.port_id)
    except Exception as exc:
        raise _PartlyMade(made, exc) from exc
    return made


async def _user_port(boot: _Boot, port_id: str) -> dict[str, Any]:
    status, found = await boot.as_user("GET", f"/ports/{port_id}")
    if status == 404:
        raise PortNotFound(id=port_id)
    if status != 200:
        raise CentralRefused(reason=_neutron_message(found))
    port: dict[str, Any] = found["port"]
    if port.get("device_id"):
        raise PortInUse(id=port_id)
    return port


async def _new_central_port(boot: _Boot, req: plan.RequestedNetwork,
                            groups: list[str] | None) -> dict[str, Any]:
    """The central port made (user's token) for `req`'s network, while what the
    network's copy needs is read and its hints are checked; a port made for a
    network the hints exclude is deleted again. Raises NetworkNotFound,
    NetworkNotInZone, CentralRefused."""
    network = str(req.network_id)
    known = boot.hints.get(network, _UNKNOWN)
    if known is None:
        raise NetworkNotFound(id=network)
    checks: list[Awaitable[Any]] = []
    if not await _bound(boot, NETWORK, network):
        # new to the pod: central's documents (admin) also tell the hints
        checks += [boot.once(("top-network", network), lambda: _top_network(boot, network)),
                   boot.once(("top-subnets", network), lambda: _top_subnets(boot, network))]
    elif known is _UNKNOWN:
        checks.append(_check_hints(boot, network))
    else:
        azhints.check({"id": network, "tags": [azhints.TAG + h for h in known]},
                      boot.bottom.neutron.pod)
    results = await asyncio.gather(_post_central_port(boot, req, groups), *checks,
                                   return_exceptions=True)
    port, failed = results[0], [r for r in results[1:] if isinstance(r, BaseException)]
    if isinstance(port, BaseException):
        raise port
    if failed:
        await boot.admin("DELETE", f"/ports/{port['id']}")
        raise failed[0]
    return dict(port)


async def _post_central_port(boot: _Boot, req: plan.RequestedNetwork,
                             groups: list[str] | None) -> dict[str, Any]:
    status, made = await boot.as_user("POST", "/ports", plan.central_port_body(req, groups))
    if status == 404 and "network" in _neutron_type(made).lower():
        raise NetworkNotFound(id=req.network_id)
    if status != 201:
        raise CentralRefused(reason=_neutron_message(made))
    return dict(made["port"])


async def _check_hints(boot: _Boot, network: str) -> None:
    found = await _user_hints(boot.app, boot.ctx, network)
    if found is None:
        raise NetworkNotFound(id=network)
    if found is not _UNKNOWN:
        azhints.check({"id": network, "tags": [azhints.TAG + h for h in found]},
                      boot.bottom.neutron.pod)


async def _bound(boot: _Boot, kind: str, top_id: str) -> str | None:
    route = await boot.bottom.existing(kind, top_id)
    return route.bottom_id if route is not None and route.bottom_id else None


async def _top_network(boot: _Boot, top_id: str) -> dict[str, Any]:
    """Central's network (admin), checked: hints allow the pod, segment copyable."""
    status, found = await boot.call_admin("GET", f"/networks/{top_id}")
    if status == 404:
        raise NetworkNotFound(id=top_id)
    top: dict[str, Any] = found["network"]
    azhints.check(top, boot.bottom.neutron.pod)
    try:
        plan.segment(top)
    except plan.UnsupportedSegment as exc:
        raise CentralRefused(reason=f"Network {top_id}: {exc}") from exc
    return top


async def _top_subnets(boot: _Boot, network: str) -> dict[str, dict[str, Any]]:
    found = await boot.admin("GET", f"/subnets?network_id={network}")
    return {s["id"]: s for s in (found or {}).get("subnets", [])}


async def _bottom_port(boot: _Boot, top_port: dict[str, Any], *, fresh: bool) -> str:
    """The bottom port of `top_port` in the pod, with everything it needs there
    (network and subnets, and groups, made at once)."""
    network_id = top_port["network_id"]
    subnet_ids = [ip["subnet_id"] for ip in top_port.get("fixed_ips", [])]
    group_ids = list(top_port.get("security_groups") or [])

    copy = boot.once(("network", network_id), lambda: _network(boot, network_id))
    # the subnets (central's part) and the groups while the network is made
    made = await _all(copy, *(boot.once(("subnet", s), functools.partial(
        _subnet, boot, s, network_id, copy)) for s in subnet_ids),
        *(boot.once(("group", g), functools.partial(_group, boot, g)) for g in group_ids))
    network: str = made[0][0]
    subnets, groups = made[1:1 + len(subnet_ids)], made[1 + len(subnet_ids):]
    project = top_port.get("project_id") or top_port.get("tenant_id") or boot.ctx.project_id
    body = plan.bottom_port_body(top_port, network, dict(zip(subnet_ids, subnets, strict=True)),
                                 dict(zip(group_ids, groups, strict=True)), project or "")
    bottom = boot.bottom
    if not fresh:
        await l3hooks.evict_shadow(bottom, top_port["id"])  # a floating IP's stand-in
    # its tag comes with the attach job, after the answer (`binding.attach_port`)
    port, _ = await bottom.ensure(PORT, top_port["id"],
                                  lambda: sgroups.create(bottom, "ports", body),
                                  adopt=not fresh, tag=False)
    return port


async def _network(boot: _Boot, top_id: str) -> tuple[str, bool]:
    """(bottom network, made now)."""
    bound = await _bound(boot, NETWORK, top_id)
    if bound:
        return bound, False
    top = await boot.once(("top-network", top_id), lambda: _top_network(boot, top_id))
    body = plan.bottom_network_body(top, top.get("project_id") or top.get("tenant_id"))
    bottom = boot.bottom
    # a pod refuses a second network on a segment: look for a copy only then
    return await bottom.ensure(NETWORK, top_id, lambda: sgroups.create(bottom, "networks", body),
                               adopt=False, adopt_if_refused=True)


async def _subnet(boot: _Boot, top_id: str, network: str,
                  bottom_network: Awaitable[tuple[str, bool]]) -> str:
    """The bottom subnet of central's subnet `top_id` on `network`, whose bottom
    copy `bottom_network` is being made meanwhile."""
    bottom = boot.bottom
    bound = await _bound(boot, SUBNET, top_id)
    if bound:
        return bound
    top = await _top_subnet(boot, top_id, network)
    project = top.get("project_id") or top.get("tenant_id") or ""

    async def create() -> str:
        if plan.wants_pod_dhcp(top):  # its address reserved while the network is made
            reserved, (net, _) = await _all(_dhcp_reservation(boot, top), bottom_network)
            return await _subnet_with_dhcp(boot, top, net, project, reserved)
        net, _ = await bottom_network
        return await sgroups.create(bottom, "subnets",
                                    plan.bottom_subnet_body(top, net, project))
    # a pod refuses the same CIDR twice on one network: look for a copy only then
    return (await bottom.ensure(SUBNET, top_id, create, adopt=False,
                                adopt_if_refused=True))[0]


async def _all(*steps: Awaitable[Any]) -> list[Any]:
    """Run `steps` at once, each to its end; their results, or the first failure."""
    results = await asyncio.gather(*steps, return_exceptions=True)
    failed = next((r for r in results if isinstance(r, BaseException)), None)
    if failed is not None:
        raise failed
    return list(results)


async def _top_subnet(boot: _Boot, top_id: str, network: str) -> dict[str, Any]:
    """Central's subnet (admin): read with its network's when that was new here."""
    listed = boot.tasks.get(("top-subnets", network))
    subnets = await listed if listed is not None else {}
    if top_id in subnets:
        return dict(subnets[top_id])
    return dict((await boot.admin("GET", f"/subnets/{top_id}"))["subnet"])


async def _dhcp_reservation(boot: _Boot, top: dict[str, Any]) -> dict[str, Any]:
    """The central port reserving the pod's DHCP address on subnet `top`."""
    region = boot.bottom.neutron.pod.region_name
    name = plan.dhcp_port_name(region, top["id"])
    found = await boot.admin("GET", f"/ports?network_id={top['network_id']}&name={name}")
    reserved = (found.get("ports") or [None])[0]
    if reserved is None:
        reserved = (await boot.admin("POST", "/ports",
                                     plan.central_dhcp_port_body(top, region)))["port"]
    return dict(reserved)


async def _subnet_with_dhcp(boot: _Boot, top: dict[str, Any], bottom_network: str,
                            project: str, reserved: dict[str, Any]) -> str:
    """The bottom subnet with DHCP: the subnet's pool the one address `reserved`
    (a central port) holds, and the pod's DHCP port with that address."""
    address = plan.reserved_address(reserved, top["id"])
    body = plan.bottom_subnet_body(top, bottom_network, project, address)
    subnet = await sgroups.create(boot.bottom, "subnets", body)
    port = plan.bottom_dhcp_port_body(reserved, bottom_network, subnet, project, top["id"])
    # the subnet was made just now: no copy of the port can be on it yet
    await boot.bottom.ensure(PORT, reserved["id"],
                             lambda: sgroups.create(boot.bottom, "ports", port), adopt=False)
    return subnet


async def _group(boot: _Boot, top_id: str) -> str:
    """The bottom security group (made with central's rules; afterwards rule
    changes reach it through `networking.sync`)."""
    bound = await _bound(boot, SECURITY_GROUP, top_id)
    if bound:
        return bound
    top = (await boot.admin("GET", f"/security-groups/{top_id}"))["security_group"]
    return await sgroups.ensure_group(boot.bottom, top, lambda path: boot.admin("GET", path))


async def attached(app: web.Application, ctx: RequestContext, prepared: PreparedNetworks | None,
                   server_id: str | None, *, later: bool = False) -> None:
    """The pod accepted the boot (or interface attach): the central ports show the
    server (``device_id``, ``device_owner`` = ``compute:<top AZ>``) and the bottom
    ports get their tag, then a job copies the bottom port's host once the pod
    bound it. `later`: by a job run right after the answer, off the critical path
    (a boot: Nova too answers before its ports show the server); else now, as
    Nova's interface attach does (a failure then leaves it to the job)."""
    if prepared is None or not server_id:
        return
    owner = f"compute:{prepared.pod.az_name}"
    done = set() if later else await _attach_now(app, ctx, prepared, server_id, owner)
    async with app[keys.DB].session() as s:
        for port in prepared.ports:
            if port.top_port not in done:
                await binding.enqueue_attach(s, port.top_port, port.bottom_port,
                                             prepared.pod.id, prepared.project_id, server_id,
                                             owner, created_top=port.created_top)
            await binding.enqueue_binding(s, port.top_port, port.bottom_port, prepared.pod.id,
                                          prepared.project_id)
        # groups naming these ports' groups as remote group: other pods learn the addresses
        await sync.enqueue_members(s, [g for p in prepared.ports for g in p.groups],
                                   prepared.project_id)
        # routers on these ports' networks and their floating IPs reach this pod
        await l3hooks.enqueue_ports(s, [(p.top_port, p.network or None) for p in prepared.ports],
                                    prepared.project_id)
    engine = app[keys.SERVICES].get("jobs")
    if engine is not None:
        engine.wake()


async def _attach_now(app: web.Application, ctx: RequestContext, prepared: PreparedNetworks,
                      server_id: str, owner: str) -> set[str]:
    """The top ports attached here and now (the others are left to a job)."""
    done = set()
    body = {"port": {"device_id": server_id, "device_owner": owner}}
    try:
        boot = await _start(app, ctx, prepared.pod)
        for port in prepared.ports:
            resp = await boot.central.call("PUT", f"/v2.0/ports/{port.top_port}",
                                           boot.service_token, json_body=body,
                                           request_id=ctx.request_id)
            if resp.status != 200:
                LOG.warning("central port %s not updated: %d", port.top_port, resp.status)
                continue
            if port.created_top:
                await binding.tag_central(boot.central, boot.service_token, port.top_port)
            await binding.tag_bottom(boot.bottom.neutron, port.bottom_port, port.top_port)
            done.add(port.top_port)
    except faults.TricircleError as exc:
        LOG.warning("ports of server %s left to a job: %s", server_id, exc)
    return done


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
