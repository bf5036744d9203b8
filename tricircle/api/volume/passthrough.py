"""Every other ``/volume/v3/...`` call, forwarded to one pod as is: limits, quota
reads, extensions, services and pools (admin), messages, group types, unknown
URLs and unrouted methods — a pod answers exactly as Cinder would.

Quota changes (PUT/DELETE ``/os-quota-sets/...``, ``/os-quota-class-sets/...``)
go to every pod not disabled, as on the compute surface (per-pod quota until
distributed quota lands); the answer is the first refusal by region name, else
the first pod's.
"""

from __future__ import annotations

from aiohttp import web

from tricircle.api import keys
from tricircle.api.volume.common import cinder_answer, version_headers
from tricircle.fanout import zones
from tricircle.proxy import home
from tricircle.proxy.forward import Target, pod_path
from tricircle.resources import VOLUME_SURFACE
from tricircle.volumes.service import volume_core

_EVERY_POD = ("/os-quota-sets/", "/os-quota-class-sets/")


@cinder_answer
async def forward(request: web.Request) -> web.StreamResponse:
    """The pod's answer, translated (links, AZ names)."""
    core = volume_core(request.app)
    path = pod_path(request, VOLUME_SURFACE)
    body = await request.read() or None
    if request.method in ("PUT", "DELETE") and any(p in path for p in _EVERY_POD):
        pods = await home.pods_not_disabled(core.locator)
        return await core.forwarder.forward_to_all(request, [Target(p, path) for p in pods],
                                                   body=body)
    pod = await home.default_pod(request.app[keys.DB], core.locator,
                                 request[keys.CTX].project_id)
    return await core.forwarder.forward(request, Target(pod, path), body=body)


@cinder_answer
async def availability_zones(request: web.Request) -> web.StreamResponse:
    """GET /os-availability-zone: 200, the top AZs (pods' own names never show)."""
    info = await zones.summary(request.app[keys.DB])
    rid = request[keys.REQUEST_ID]
    return web.json_response({"availabilityZoneInfo": info}, headers={
        **await version_headers(request), "X-OpenStack-Request-ID": rid,
        "X-Compute-Request-ID": rid})
