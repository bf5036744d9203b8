"""Every other ``/compute/v2.1/...`` call, forwarded to one pod as is.

Project-level calls (``/limits``, ``/os-quota-sets``, ``/os-simple-tenant-usage``,
``/os-server-groups``, unknown paths, unrouted methods, ...) go to a pod the
project is bound to if any (first by AZ name), else to the first enabled pod by
region name: a pod answers exactly as Nova would, never a 404/501 of our own.

Quota changes (PUT/DELETE ``/os-quota-sets/...``, ``/os-quota-class-sets/...``)
are sent to every pod not disabled, so a limit set through the gateway holds in
whichever pod a server lands (per pod, until distributed quota lands); the answer
is the first refusal by region name, else the first pod's. A pod that cannot be
reached is skipped with a warning (its quota drifts until set again).
"""

from __future__ import annotations

from aiohttp import web

from tricircle.api import keys
from tricircle.pods.registry import PodInfo
from tricircle.proxy import home
from tricircle.proxy.forward import Target, pod_path
from tricircle.proxy.service import ComputeCore, compute_core
from tricircle.resources import COMPUTE

_EVERY_POD = ("/os-quota-sets/", "/os-quota-class-sets/")


async def _default_pod(request: web.Request) -> PodInfo:
    core = compute_core(request.app)
    return await home.default_pod(request.app[keys.DB], core.locator,
                                  request[keys.CTX].project_id)


async def forward(request: web.Request) -> web.Response:
    """The pod's answer, translated (links, Location, AZ names)."""
    core = compute_core(request.app)
    path = pod_path(request, COMPUTE)
    body = await request.read() or None
    if request.method in ("PUT", "DELETE") and any(p in path for p in _EVERY_POD):
        return await _everywhere(request, core, path, body)
    pod = await _default_pod(request)
    return await core.forwarder.forward(request, Target(pod, path), body=body)


async def _everywhere(request: web.Request, core: ComputeCore, path: str,
                      body: bytes | None) -> web.Response:
    pods = await home.pods_not_disabled(core.locator)
    return await core.forwarder.forward_to_all(request, [Target(p, path) for p in pods],
                                               body=body)
