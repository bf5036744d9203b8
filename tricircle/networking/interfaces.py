"""``os-interface`` across pods: attach a top network or port, detach it.

Attach (``POST /servers/{id}/os-interface`` with ``net_id`` [+ ``fixed_ips``] or
``port_id``): like a boot, the server's pod gets the bottom network, subnets,
groups and a port with central's address and MAC (`boot.prepare_ports`), and
the body is rewritten to attach that bottom port. Answers name top ids again
(`top_ids`). Detach (``DELETE .../os-interface/{top port}``): the pod's path names
the bottom port; once the pod let it go, ``networking.detach_port`` removes the
bottom port and deletes the central port (the gateway made it) or unbinds it
(the user's).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from tricircle.api import keys
from tricircle.context import RequestContext
from tricircle.db.engine import Database
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register
from tricircle.networking import boot, plan, release, sync
from tricircle.networking.bottom import BottomNetworking, PodNeutron
from tricircle.networking.central import CentralNeutron
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo
from tricircle.resources.network import NETWORK, PORT, SUBNET
from tricircle.routing import table

LOG = logging.getLogger(__name__)
DETACH_PORT = "networking.detach_port"


class StillAttached(Exception):
    """The pod has not let the port go yet: retry."""


async def prepare_attach(app: web.Application, ctx: RequestContext, pod: PodInfo,
                         doc: Any) -> boot.PreparedNetworks | None:
    """Realise the attach's top network/port in `pod` and rewrite ``doc`` to
    attach the bottom port; None (body untouched) when it names none. Raises
    as `boot.prepare_networks`."""
    attachment = doc.get("interfaceAttachment") if isinstance(doc, dict) else None
    wanted = plan.requested_interface(attachment) if isinstance(attachment, dict) else None
    if wanted is None or not boot.configured(app):
        return None
    prepared = await boot.prepare_ports(app, ctx, pod, [wanted])
    doc["interfaceAttachment"] = {"port_id": prepared.ports[0].bottom_port,
                                  **({"tag": wanted.tag} if wanted.tag else {})}
    return prepared


async def top_ids(db: Database, pod: PodInfo, body: bytes) -> dict[str, str]:
    """Bottom -> top ids of the ports, networks and subnets in an os-interface
    answer (``interfaceAttachment`` or ``interfaceAttachments``) from `pod`."""
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        return {}
    if not isinstance(doc, dict):
        return {}
    items = doc.get("interfaceAttachments") or [doc.get("interfaceAttachment")]
    wanted: list[tuple[str, Any]] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            wanted += [(PORT, item.get("port_id")), (NETWORK, item.get("net_id"))]
            wanted += [(SUBNET, ip.get("subnet_id")) for ip in item.get("fixed_ips") or []
                       if isinstance(ip, dict)]
    ids = {}
    async with db.session() as s:
        for kind, bottom_id in wanted:
            if isinstance(bottom_id, str) and bottom_id and bottom_id not in ids:
                route = await table.find_by_bottom(s, bottom_id, kind, pod.id)
                if route is not None and route.top_id != bottom_id:
                    ids[bottom_id] = route.top_id
    return ids


async def bottom_port(db: Database, pod: PodInfo, top_port: str) -> str | None:
    """The bottom id of `top_port` in `pod`, if the gateway realised it there."""
    async with db.session() as s:
        routes = await table.lookup(s, top_port, PORT, project_id=None)
    return next((r.bottom_id for r in routes if r.pod_id == pod.id and r.bottom_id), None)


async def detached(app: web.Application, pod: PodInfo, server: tuple[str, str],
                   top_port: str, bottom: str, project_id: str) -> None:
    """The pod accepted the detach: schedule the release of the port (`server`:
    its top and bottom id)."""
    async with app[keys.DB].session() as s:
        await jobs.enqueue(s, DETACH_PORT, top_port, project_id=project_id, delay=1.0,
                           payload={"server_id": server[0], "bottom_server": server[1],
                                    "pod_id": pod.id, "bottom_port": bottom})
    engine = app[keys.SERVICES].get("jobs")
    if engine is not None:
        engine.wake()


@register(DETACH_PORT)
async def detach_port(ctx: JobContext) -> None:
    """Once the pod's port no longer belongs to the server: remove it, release the
    central port, and let the other pods forget its address."""
    deps, payload = ctx.deps, ctx.payload
    token = await deps.service_auth.token()
    async with deps.db.session() as s:
        pod = await registry.get_pod(s, payload["pod_id"])
    neutron = PodNeutron(await deps.pods.get(pod.region_name), token, pod)
    found = await neutron.call("GET", f"/ports/{payload['bottom_port']}?fields=device_id",
                               missing_ok=True)
    if found is not None and found["port"].get("device_id") == payload["bottom_server"]:
        raise StillAttached(f"port {payload['bottom_port']} still on {payload['server_id']}")
    central = CentralNeutron(deps.conf, deps.pods)
    resp = await central.call("GET", f"/v2.0/ports/{ctx.resource_key}", token)
    await BottomNetworking(deps.db, neutron, ctx.project_id).remove(PORT, ctx.resource_key)
    if resp.status == 404:
        return
    port = resp.json()["port"]
    if port.get("device_id") == payload["server_id"]:
        await release.release_central(central, token, port)
    async with deps.db.session() as s:
        await sync.enqueue_members(s, port.get("security_groups") or [], ctx.project_id)
    LOG.info("port %s detached from %s in %s", ctx.resource_key, payload["server_id"],
             pod.region_name)
