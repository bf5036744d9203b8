"""Ports of a boot whose outcome is unknown or whose undo failed
(``networking.settle_ports``).

A pod that cannot be reached in the middle of a boot leaves ports made for it:
when the boot itself could not be sent (or its answer was lost), the pod may or
may not have the server; when a refused or failed boot's ports could not be
removed, they are still there. This job (retried with backoff while the pod is
away, visible in ``/v1.0/jobs``) settles them once it can:

* a server reservation was involved: wait until `routing.repair` resolved it;
  bound (the pod made the server) -> the central ports show the server as after
  any boot; released (no server) -> the ports go;
* otherwise: the bottom ports and their rows go, and the central ports the
  gateway made for the boot are deleted.

Other pods' group copies are synced either way (members came or went).
"""

from __future__ import annotations

import logging
from typing import Any

from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register
from tricircle.networking import binding, sync
from tricircle.networking.bottom import BottomNetworking, PodNeutron
from tricircle.networking.central import CentralNeutron
from tricircle.pods import registry
from tricircle.resources.network import PORT
from tricircle.routing import table

LOG = logging.getLogger(__name__)
SETTLE_PORTS = "networking.settle_ports"


class NotSettled(Exception):
    """The server's reservation is not resolved yet: retry."""


async def enqueue_settle(s: Any, pod_id: str, project_id: str, ports: list[dict[str, Any]],
                         route: table.Route | None = None, *, delay: float = 5.0) -> None:
    """Schedule the settling of `ports` ({top_port, bottom_port, created_top,
    groups}) made in `pod_id`, after the reservation `route` if one is involved."""
    payload: dict[str, Any] = {"pod_id": pod_id, "ports": ports}
    if route is not None:
        payload.update(route_id=route.id, route_created=str(route.created_at))
    key = route.top_id if route is not None else ports[0]["top_port"]
    await jobs.enqueue(s, SETTLE_PORTS, key, project_id=project_id, delay=delay,
                       payload=payload)


@register(SETTLE_PORTS)
async def settle_ports(ctx: JobContext) -> None:
    payload, deps = ctx.payload, ctx.deps
    server = await _server(ctx) if "route_id" in payload else None
    token = await deps.service_auth.token()
    central = CentralNeutron(deps.conf, deps.pods)
    ports = payload["ports"]
    async with deps.db.session() as s:
        pod = await registry.get_pod(s, payload["pod_id"])
    neutron = PodNeutron(await deps.pods.get(pod.region_name), token, pod)
    if server is not None:
        await _attach(ctx, central, neutron, token, server, pod.az_name)
    else:
        bottom = BottomNetworking(deps.db, neutron, ctx.project_id)
        for port in ports:
            await bottom.remove(PORT, port["top_port"])
            if port.get("created_top"):
                resp = await central.call("DELETE", f"/v2.0/ports/{port['top_port']}", token)
                if resp.status not in (204, 404):
                    raise RuntimeError(f"central port {port['top_port']}: {resp.status}")
        LOG.info("ports of an unfinished boot in %s removed: %s", pod.region_name,
                 [p["top_port"] for p in ports])
    async with deps.db.session() as s:
        await sync.enqueue_members(s, [g for p in ports for g in p.get("groups") or []],
                                   ctx.project_id)


async def _server(ctx: JobContext) -> str | None:
    """The server the reservation was bound to; None when it was released.
    Raises NotSettled while it is still a reservation."""
    async with ctx.deps.db.session() as s:
        try:
            route = await table.get_route(s, int(ctx.payload["route_id"]))
        except table.RouteNotFound:
            return None
    if str(route.created_at) != ctx.payload["route_created"]:
        return None  # the id was reused by a newer row: ours was released
    if not route.bottom_id:
        raise NotSettled(f"reservation {route.id} in {route.region_name} not resolved yet")
    return route.top_id


async def _attach(ctx: JobContext, central: CentralNeutron, neutron: PodNeutron, token: str,
                  server: str, az: str) -> None:
    body = {"port": {"device_id": server, "device_owner": f"compute:{az}"}}
    for port in ctx.payload["ports"]:
        resp = await central.call("PUT", f"/v2.0/ports/{port['top_port']}", token,
                                  json_body=body)
        if resp.status != 200:
            raise RuntimeError(f"central port {port['top_port']}: {resp.status}")
        if port.get("created_top"):
            await binding.tag_central(central, token, port["top_port"])
        await binding.tag_bottom(neutron, port["bottom_port"], port["top_port"])
        async with ctx.deps.db.session() as s:
            await binding.enqueue_binding(s, port["top_port"], port["bottom_port"],
                                          ctx.payload["pod_id"], ctx.project_id)
    LOG.info("ports of server %s (boot answer lost) attached", server)
