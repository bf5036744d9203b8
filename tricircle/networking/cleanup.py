"""Bottom copies of a deleted top network go too (``networking.network_cleanup``).

When central Neutron accepts ``DELETE /v2.0/networks/<id>`` through the gateway,
a job (key: the network id) removes, in every pod holding a copy: the routed
bottom ports still on it, its bottom subnets, then the bottom network, and their
routing rows. Level-triggered: a pod that cannot be reached makes the job retry.
A deleted security group likewise (``networking.security_group_cleanup``): every
bottom copy and its row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from tricircle.api import keys
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register
from tricircle.networking import routers, sync
from tricircle.networking.bottom import BottomNetworking, PodNeutron
from tricircle.networking.central import CentralNeutron
from tricircle.pods import registry
from tricircle.resources.network import NETWORK, PORT, SECURITY_GROUP, SUBNET
from tricircle.routing import table

LOG = logging.getLogger(__name__)
NETWORK_CLEANUP = "networking.network_cleanup"
GROUP_CLEANUP = "networking.security_group_cleanup"
SUBNET_CLEANUP = "networking.subnet_cleanup"
PORT_CLEANUP = "networking.port_cleanup"
_GROUP_DELETE = re.compile(r"^/v2\.0/security-groups/([^/?]+)/?(?:\?.*)?$")
_NETWORK_DELETE = re.compile(r"^/v2\.0/networks/([^/?]+)/?(?:\?.*)?$")
_SUBNET_DELETE = re.compile(r"^/v2\.0/subnets/([^/?]+)/?(?:\?.*)?$")
_PORT_DELETE = re.compile(r"^/v2\.0/ports/([^/?]+)/?(?:\?.*)?$")

_DELETES = ((_NETWORK_DELETE, NETWORK, NETWORK_CLEANUP),
            (_GROUP_DELETE, SECURITY_GROUP, GROUP_CLEANUP),
            (_SUBNET_DELETE, SUBNET, SUBNET_CLEANUP),
            (_PORT_DELETE, PORT, PORT_CLEANUP))


async def after_answer(app: web.Application, method: str, path: str, status: int,
                       project_id: str) -> None:
    """Schedule the clean-up when central Neutron deleted a network or a security
    group (204) that some pod holds a copy of."""
    if method != "DELETE" or status != 204:
        return
    found = [(m.group(1), kind, job) for pattern, kind, job in _DELETES
             if (m := pattern.match(path)) is not None]
    if not found:
        return
    top_id, kind, job = found[0]
    async with app[keys.DB].session() as s:
        if not await table.lookup(s, top_id, kind, project_id=None):
            return  # never copied to a pod
        await jobs.enqueue(s, job, top_id, project_id=project_id)
    engine = app[keys.SERVICES].get("jobs")
    if engine is not None:
        engine.wake()


# What must go from a pod before the copy itself: (the pod's side, its routing row).
Before = Callable[[BottomNetworking, table.Route], Awaitable[None]]


async def _remove_copies(ctx: JobContext, kind: str, before: Before | None = None) -> None:
    """In every pod holding a copy of the top object `ctx.resource_key` of `kind`:
    `before` (what has to go first), then the copy and its routing row. A pod
    that cannot be reached fails the job, which retries (the pods done stay done)."""
    deps = ctx.deps
    token = await deps.service_auth.token()
    async with deps.db.session() as s:
        routes = await table.lookup(s, ctx.resource_key, kind, project_id=None)
    for route in routes:
        async with deps.db.session() as s:
            pod = await registry.get_pod(s, route.pod_id)
        neutron = PodNeutron(await deps.pods.get(pod.region_name), token, pod)
        bottom = BottomNetworking(deps.db, neutron, route.project_id)
        if before is not None and route.bottom_id:
            await before(bottom, route)
        await bottom.remove(kind, ctx.resource_key)
        LOG.info("%s %s removed from %s", kind, ctx.resource_key, pod.region_name)


@register(NETWORK_CLEANUP)
async def network_cleanup(ctx: JobContext) -> None:
    async def empty(bottom: BottomNetworking, route: table.Route) -> None:
        await _empty(bottom, route.bottom_id or "", route.pod_id)

    await _remove_copies(ctx, NETWORK, empty)


async def _empty(bottom: BottomNetworking, network: str, pod_id: str) -> None:
    """Remove the routed ports and the subnets of a bottom network."""
    for kind, collection in ((PORT, "ports"), (SUBNET, "subnets")):
        found = await bottom.neutron.call("GET", f"/{collection}?network_id={network}")
        for item in (found or {}).get(collection, []):
            if kind == PORT and await routers.detach_stale(bottom, item):
                continue  # a router's port (or a floating IP's shadow): off its router
            async with bottom.db.session() as s:
                route = await table.find_by_bottom(s, item["id"], kind, pod_id)
            if route is not None:
                await bottom.remove(kind, route.top_id)
            elif kind == SUBNET:  # a subnet of our network is ours, routed or not
                await bottom.neutron.call("DELETE", f"/subnets/{item['id']}", missing_ok=True)


@register(GROUP_CLEANUP)
async def security_group_cleanup(ctx: JobContext) -> None:
    await _remove_copies(ctx, SECURITY_GROUP)
    # rules naming the group as remote group went with it (central cascades): the
    # project's other copies drop the addresses they were expanded to
    async with ctx.deps.db.session() as s:
        others = await table.list_routes(s, project_id=ctx.project_id,
                                         resource_type=SECURITY_GROUP)
        for top_id in sorted({r.top_id for r in others} - {ctx.resource_key}):
            await jobs.enqueue(s, sync.SYNC, f"{SECURITY_GROUP}:{top_id}",
                               project_id=ctx.project_id)


@register(SUBNET_CLEANUP)
async def subnet_cleanup(ctx: JobContext) -> None:
    """A top subnet deleted (its network kept): in each pod, the routed ports
    still on the copy (the pod's DHCP port, and its central reservation) and the
    copy go."""
    deps = ctx.deps
    central = CentralNeutron(deps.conf, deps.pods)

    async def ports_first(bottom: BottomNetworking, route: table.Route) -> None:
        found = await bottom.neutron.call(
            "GET", f"/ports?fixed_ips=subnet_id%3D{route.bottom_id}"
            "&fields=id&fields=device_owner")
        for item in (found or {}).get("ports", []):
            async with deps.db.session() as s:
                port = await table.find_by_bottom(s, item["id"], PORT, route.pod_id)
            if port is not None:
                await bottom.remove(PORT, port.top_id)
                if item.get("device_owner") == "network:dhcp":  # the pod's reservation
                    token = await deps.service_auth.token()
                    await central.call("DELETE", f"/v2.0/ports/{port.top_id}", token)

    await _remove_copies(ctx, SUBNET, ports_first)


@register(PORT_CLEANUP)
async def port_cleanup(ctx: JobContext) -> None:
    """A top port deleted: its copies go, and other pods forget its address."""
    groups: list[str] = []

    async def note_groups(bottom: BottomNetworking, route: table.Route) -> None:
        groups.extend(await _top_groups(bottom, route.bottom_id or "", route.pod_id))

    await _remove_copies(ctx, PORT, note_groups)
    async with ctx.deps.db.session() as s:
        await sync.enqueue_members(s, groups, ctx.project_id)


async def _top_groups(bottom: BottomNetworking, bottom_port: str, pod_id: str) -> list[str]:
    """Top ids of the groups of a bottom port (before it goes)."""
    found = await bottom.neutron.call("GET", f"/ports/{bottom_port}?fields=security_groups",
                                      missing_ok=True)
    tops = []
    for group in ((found or {}).get("port") or {}).get("security_groups") or []:
        async with bottom.db.session() as s:
            route = await table.find_by_bottom(s, group, SECURITY_GROUP, pod_id)
        if route is not None:
            tops.append(route.top_id)
    return tops
