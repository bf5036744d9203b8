"""The central port follows its server after a boot.

``networking.attach_port`` (key: the top port id), enqueued before the answer of
an accepted boot and run right after it: the central port shows the server
(``device_id``, ``device_owner`` = ``compute:<top AZ>``) and, when the gateway
made it for the boot, carries `plan.AUTO_PORT_TAG` (released with the server);
the bottom port gets its tag (the audit's marker; its description carries the
top id from the create on). Both are off the boot's critical path; a release of the
server's ports waits for a pending attach (`release`).

``networking.port_binding`` (key: the top port id): the pod binds the bottom
port when the server lands on a host, later than the boot's 202; this job waits
for that (retrying with the engine's backoff) and copies ``binding:host_id`` to
the central port with the service account.
"""

from __future__ import annotations

import logging
from typing import Any

from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, PermanentFailure, register
from tricircle.networking import plan
from tricircle.networking.bottom import PodNeutron
from tricircle.networking.central import CentralNeutron
from tricircle.pods import registry

LOG = logging.getLogger(__name__)
PORT_BINDING = "networking.port_binding"
ATTACH_PORT = "networking.attach_port"


class NotBoundYet(Exception):
    """The bottom port has no host yet: retry."""


async def enqueue_binding(s: Any, top_port: str, bottom_port: str, pod_id: str,
                          project_id: str, *, delay: float = 1.0) -> None:
    """Schedule the copy of the bottom port's host to the central port."""
    await jobs.enqueue(s, PORT_BINDING, top_port, project_id=project_id, delay=delay,
                       payload={"bottom_port": bottom_port, "pod_id": pod_id})


async def enqueue_attach(s: Any, top_port: str, bottom_port: str, pod_id: str,
                         project_id: str, server_id: str, device_owner: str, *,
                         created_top: bool) -> None:
    """Schedule, at once, the central port showing `server_id` (and tagged as the
    server's when the gateway made it: `created_top`) and the bottom port's tag."""
    await jobs.enqueue(s, ATTACH_PORT, top_port, project_id=project_id,
                       payload={"bottom_port": bottom_port, "pod_id": pod_id,
                                "server_id": server_id, "device_owner": device_owner,
                                "created_top": created_top})


@register(ATTACH_PORT)
async def attach_port(ctx: JobContext) -> None:
    deps, payload = ctx.deps, ctx.payload
    token = await deps.service_auth.token()
    body = {"port": {"device_id": payload["server_id"],
                     "device_owner": payload["device_owner"]}}
    central = CentralNeutron(deps.conf, deps.pods)
    if payload.get("created_top"):
        await tag_central(central, token, ctx.resource_key)
    resp = await central.call("PUT", f"/v2.0/ports/{ctx.resource_key}", token, json_body=body)
    if resp.status == 404:
        LOG.info("port %s is gone: nothing to attach", ctx.resource_key)
        return
    if resp.status != 200:
        raise RuntimeError(f"central port: {resp.status} {resp.body[:200]!r}")
    async with deps.db.session() as s:
        pod = await registry.get_pod(s, payload["pod_id"])
    await tag_bottom(PodNeutron(await deps.pods.get(pod.region_name), token, pod),
                     payload["bottom_port"], ctx.resource_key)
    LOG.info("port %s shows server %s", ctx.resource_key, payload["server_id"])


async def tag_central(central: CentralNeutron, token: str, port_id: str) -> None:
    """Mark a central port the gateway made for a boot as the server's (released
    with it). Gone already is fine; raises RuntimeError when central refuses."""
    resp = await central.call("PUT", f"/v2.0/ports/{port_id}/tags/{plan.AUTO_PORT_TAG}", token)
    if resp.status not in (200, 201, 204, 404):
        raise RuntimeError(f"central port {port_id} not tagged: {resp.status}")


async def tag_bottom(neutron: PodNeutron, bottom_port: str, top_port: str) -> None:
    """Tag the bottom port with its top id (gone already is fine)."""
    await neutron.call("PUT", f"/ports/{bottom_port}/tags", {"tags": [top_port]},
                       missing_ok=True)


@register(PORT_BINDING)
async def copy_binding(ctx: JobContext) -> None:
    deps = ctx.deps
    token = await deps.service_auth.token()
    async with deps.db.session() as s:
        pod = await registry.get_pod(s, ctx.payload["pod_id"])
    neutron = PodNeutron(await deps.pods.get(pod.region_name), token, pod)
    found = await neutron.call("GET", f"/ports/{ctx.payload['bottom_port']}", missing_ok=True)
    if found is None:
        raise PermanentFailure("bottom port is gone")
    host = found["port"].get("binding:host_id")
    if not host:
        raise NotBoundYet(f"bottom port {ctx.payload['bottom_port']} not bound yet")
    body = {"port": {"binding:host_id": host}}
    resp = await CentralNeutron(deps.conf, deps.pods).call(
        "PUT", f"/v2.0/ports/{ctx.resource_key}", token, json_body=body)
    if resp.status == 404:
        raise PermanentFailure("central port is gone")
    if resp.status != 200:
        raise RuntimeError(f"central port: {resp.status} {resp.body[:200]!r}")
    LOG.info("port %s bound to %s in %s", ctx.resource_key, host, pod.region_name)
