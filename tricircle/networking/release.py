"""Release of a deleted server's ports, as a job (``networking.release_ports``).

Enqueued with the server's delete. Level-triggered: it waits (retries) until the
pod no longer has the server, then for each central port whose ``device_id`` is
the server: deletes the bottom port and its routing row; deletes the central
port if the gateway created it for the boot (tag `plan.AUTO_PORT_TAG`), else
unbinds it (``device_id`` '', ``device_owner`` '') so it can be used again, in
any pod.
"""

from __future__ import annotations

import logging
from typing import Any

from tricircle.clients.pod import PodClient, PodRequestError
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register
from tricircle.networking import plan
from tricircle.networking.bottom import BottomNetworking, PodNeutron
from tricircle.networking.central import CentralNeutron, CentralNotConfigured
from tricircle.pods import registry
from tricircle.resources.network import PORT
from tricircle.routing.table import Route

LOG = logging.getLogger(__name__)
RELEASE_PORTS = "networking.release_ports"


class ServerStillThere(Exception):
    """The pod still has the server: retry later."""


async def enqueue_release(s: Any, route: Route, *, delay: float = 2.0) -> None:
    """Schedule the release of the ports of the deleted server `route` (same transaction)."""
    await jobs.enqueue(s, RELEASE_PORTS, route.top_id, project_id=route.project_id,
                       delay=delay, payload={"server_id": route.top_id, "pod_id": route.pod_id,
                                             "bottom_id": route.bottom_id or route.top_id})


@register(RELEASE_PORTS)
async def release_ports(ctx: JobContext) -> None:
    deps = ctx.deps
    neutron = CentralNeutron(deps.conf, deps.pods)
    try:
        _ = neutron.url
    except CentralNotConfigured:
        return
    token = await deps.service_auth.token()
    async with deps.db.session() as s:
        pod = await registry.get_pod(s, ctx.payload["pod_id"])
    client = await deps.pods.get(pod.region_name)
    await _check_gone(client, token, ctx.payload["bottom_id"])
    bottom = BottomNetworking(deps.db, PodNeutron(client, token, pod), ctx.project_id)
    resp = await neutron.call("GET", f"/v2.0/ports?device_id={ctx.payload['server_id']}", token)
    for port in (resp.json() or {}).get("ports", []) if resp.status == 200 else []:
        await bottom.remove(PORT, port["id"])
        await _release_central(neutron, token, port)


async def _check_gone(client: PodClient, token: str, server_id: str) -> None:
    try:
        resp = await client.request("compute", "GET", f"/servers/{server_id}",
                                    headers={"X-Auth-Token": token})
    except PodRequestError as exc:
        raise ServerStillThere(f"pod not reachable: {exc}") from exc
    if resp.status != 404:
        raise ServerStillThere(f"server {server_id} still answers {resp.status}")


async def _release_central(neutron: CentralNeutron, token: str, port: dict[str, Any]) -> None:
    if plan.AUTO_PORT_TAG in (port.get("tags") or []):
        resp = await neutron.call("DELETE", f"/v2.0/ports/{port['id']}", token)
    else:
        body = {"port": {"device_id": "", "device_owner": "", "binding:host_id": ""}}
        resp = await neutron.call("PUT", f"/v2.0/ports/{port['id']}", token, json_body=body)
    if resp.status not in (200, 204, 404):
        raise RuntimeError(f"central port {port['id']}: {resp.status} {resp.body[:200]!r}")
    LOG.info("port %s of deleted server released", port["id"])
