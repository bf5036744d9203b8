"""The central port reflects its bottom port's binding (``networking.port_binding``).

After a boot the pod binds the bottom port when the server lands on a host,
which is later than the boot's 202. This job (key: the top port id) waits for
that (retrying with the engine's backoff) and copies ``binding:host_id`` to the
central port with the service account.
"""

from __future__ import annotations

import logging
from typing import Any

from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, PermanentFailure, register
from tricircle.networking.bottom import PodNeutron
from tricircle.networking.central import CentralNeutron
from tricircle.pods import registry

LOG = logging.getLogger(__name__)
PORT_BINDING = "networking.port_binding"


class NotBoundYet(Exception):
    """The bottom port has no host yet: retry."""


async def enqueue_binding(s: Any, top_port: str, bottom_port: str, pod_id: str,
                          project_id: str, *, delay: float = 1.0) -> None:
    """Schedule the copy of the bottom port's host to the central port."""
    await jobs.enqueue(s, PORT_BINDING, top_port, project_id=project_id, delay=delay,
                       payload={"bottom_port": bottom_port, "pod_id": pod_id})


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
