"""What triggers cross-pod L3 realisation (`routers.ROUTER_SETUP`).

* Router mutations central Neutron accepted through the gateway: create with a
  gateway, update (gateway, routes), add/remove interface, delete.
* Floating IP create/update/delete: ``networking.floatingip`` (key: the FIP id)
  finds the routers concerned — the one central names now and the ones whose
  bottom routers hold a copy — and enqueues them.
* A VM port landing in a pod or leaving it (boot, release): ``networking.l3_port``
  (key: the port id) enqueues the routers attached to the port's network and the
  routers of its floating IPs. Nothing of this is on a boot's critical path.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from tricircle.api import keys
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register
from tricircle.networking import l3plan, routers
from tricircle.networking.bottom import BottomNetworking, PodNeutron
from tricircle.networking.bridge import AdminCentral
from tricircle.networking.central import CentralNeutron
from tricircle.pods import registry
from tricircle.routing import table

LOG = logging.getLogger(__name__)
FLOATINGIP = "networking.floatingip"
L3_PORT = "networking.l3_port"
_ROUTER = re.compile(r"^/v2\.0/routers(?:/([^/?]+))?(/add_router_interface|"
                     r"/remove_router_interface)?/?(?:\?.*)?$")
_FIP = re.compile(r"^/v2\.0/floatingips(?:/([^/?]+))?/?(?:\?.*)?$")


def _doc(body: bytes, key: str) -> dict[str, Any]:
    try:
        doc = json.loads(body) if body else {}
    except ValueError:
        return {}
    found = doc.get(key) if isinstance(doc, dict) else None
    return found if isinstance(found, dict) else {}


def triggered(method: str, path: str, status: int, body: bytes) -> list[tuple[str, str]]:
    """(job type, key) pairs to enqueue after central Neutron answered."""
    if not 200 <= status < 300 or method == "GET":
        return []
    if (m := _ROUTER.match(path)) is not None:
        router = m.group(1) or _doc(body, "router").get("id")
        if method == "POST" and not m.group(1):
            # a new router matters only with a gateway (nothing else can be set yet)
            if not _doc(body, "router").get("external_gateway_info"):
                return []
        return [(routers.ROUTER_SETUP, router)] if router else []
    if (m := _FIP.match(path)) is not None:
        fip = m.group(1) or _doc(body, "floatingip").get("id")
        return [(FLOATINGIP, fip)] if fip else []
    return []


async def after_answer(app: web.Application, method: str, path: str, status: int,
                       body: bytes, project_id: str) -> None:
    """Enqueue the L3 jobs a router or floating IP mutation calls for."""
    found = triggered(method, path, status, body)
    if not found:
        return
    async with app[keys.DB].session() as s:
        for job, key in found:
            if method == "DELETE" and not await _realised(s, job, key):
                continue  # never realised in a pod: nothing to remove
            await jobs.enqueue(s, job, key, project_id=project_id)
    engine = app[keys.SERVICES].get("jobs")
    if engine is not None:
        engine.wake()


async def _realised(s: Any, job: str, key: str) -> bool:
    kind = routers.ROUTER if job == routers.ROUTER_SETUP else routers.FLOATINGIP
    return bool(await table.lookup(s, key, kind, project_id=None))


async def enqueue_ports(s: Any, ports: Iterable[tuple[str, str | None]],
                        project_id: str) -> None:
    """After VM ports (top port id, top network id if known) landed in or left a
    pod (same transaction as the caller's change)."""
    for port, network in ports:
        await jobs.enqueue(s, L3_PORT, port, project_id=project_id,
                           payload={"network_id": network or ""})


@register(L3_PORT)
async def port_moved(ctx: JobContext) -> None:
    central = await _central(ctx)
    network = ctx.payload.get("network_id")
    if not network:
        doc = await central.get(f"/ports/{ctx.resource_key}")
        network = doc["port"]["network_id"] if doc else None
    owners = "&".join(f"device_owner={o}" for o in l3plan.INTERFACE_OWNERS)
    found = set()
    if network:
        itfs = await central.items("ports", f"network_id={network}&{owners}&fields=device_id")
        found |= {p["device_id"] for p in itfs if p.get("device_id")}
    fips = await central.items("floatingips", f"port_id={ctx.resource_key}&fields=router_id")
    found |= {f["router_id"] for f in fips if f.get("router_id")}
    await _enqueue_routers(ctx, found)


@register(FLOATINGIP)
async def floating_ip_changed(ctx: JobContext) -> None:
    central = await _central(ctx)
    doc = await central.get(f"/floatingips/{ctx.resource_key}")
    found = set()
    if doc is not None and doc["floatingip"].get("router_id"):
        found.add(doc["floatingip"]["router_id"])
    found |= await _routers_holding(ctx, central)
    await _enqueue_routers(ctx, found)


async def _routers_holding(ctx: JobContext, central: AdminCentral) -> set[str]:
    """Top routers whose bottom routers hold a copy of this floating IP."""
    deps, held = ctx.deps, set()
    async with deps.db.session() as s:
        rows = await table.lookup(s, ctx.resource_key, routers.FLOATINGIP, project_id=None)
    token = await deps.service_auth.token()
    for route in rows:
        async with deps.db.session() as s:
            pod = await registry.get_pod(s, route.pod_id)
        neutron = PodNeutron(await deps.pods.get(pod.region_name), token, pod)
        found = await neutron.call("GET", f"/floatingips/{route.bottom_id}", missing_ok=True) \
            if route.bottom_id else None
        if found is None:
            await BottomNetworking(deps.db, neutron, route.project_id).remove(
                routers.FLOATINGIP, ctx.resource_key)
            continue
        async with deps.db.session() as s:
            owner = await table.find_by_bottom(s, found["floatingip"].get("router_id") or "",
                                               routers.ROUTER, pod.id)
        if owner is not None:
            held.add(owner.top_id)
    return held


async def _central(ctx: JobContext) -> AdminCentral:
    token = await ctx.deps.service_auth.token()
    return AdminCentral(CentralNeutron(ctx.deps.conf, ctx.deps.pods), token)


async def _enqueue_routers(ctx: JobContext, found: set[str]) -> None:
    if not found:
        return
    async with ctx.deps.db.session() as s:
        for router in sorted(found):
            await routers.enqueue(s, router, ctx.project_id)
    engine = ctx.deps.services.get("jobs")
    if engine is not None:
        engine.wake()


async def evict_shadow(bottom: BottomNetworking, top_port: str) -> None:
    """Before a VM port is made in a pod, remove the shadow a floating IP left
    there for it (same address and MAC: the pod would refuse the real port)."""
    marker = l3plan.shadow_marker(top_port)
    route = await bottom.existing(routers.SHADOW_PORT, marker)
    if route is None:
        return
    if route.bottom_id:
        fips = await bottom.neutron.call("GET", f"/floatingips?port_id={route.bottom_id}")
        for fip in (fips or {}).get("floatingips", []):
            await bottom.neutron.call("DELETE", f"/floatingips/{fip['id']}", missing_ok=True)
            async with bottom.db.session() as s:
                row = await table.find_by_bottom(s, fip["id"], routers.FLOATINGIP,
                                                 bottom.neutron.pod.id)
                if row is not None:
                    await table.release(s, row.id, top_id=row.top_id)
    await bottom.remove(routers.SHADOW_PORT, marker)
    LOG.info("shadow of port %s removed from %s", top_port, bottom.neutron.pod.region_name)
