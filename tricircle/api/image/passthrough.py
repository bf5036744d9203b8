"""``/image/...``: Glance v2 forwarded to the image home pod (interim).

The home pod is the first enabled, healthy pod by region name. Image data
(``PUT .../file``, ``.../stage``) streams through without being buffered, so the
request body limit does not apply to it. A full image registry with replicas
in every pod comes with the image issue; until then an image created here
exists in the home pod only (documented in README).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.api.middleware import public
from tricircle.clients.pod import PodRequestError
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo
from tricircle.proxy.forward import Forwarder, Target, pod_path, request_headers
from tricircle.resources.image import IMAGE

SERVICE_NAME = "image-passthrough"
_DATA_SUFFIXES = ("/file", "/stage")
_CHUNK = 256 * 1024


def _forwarder(app: web.Application) -> Forwarder:
    services = app[keys.SERVICES]
    fwd = services.get(SERVICE_NAME)
    if fwd is None:
        fwd = services[SERVICE_NAME] = Forwarder(app[keys.PODS], IMAGE)
    return fwd  # type: ignore[no-any-return]


async def _home_pod(request: web.Request) -> PodInfo:
    async with request.app[keys.DB].session() as s:
        pods = await registry.list_pods(s)
    usable = sorted((p for p in pods if p.state == "enabled"),
                    key=lambda p: (p.health == "unhealthy", p.region_name))
    if not usable:
        raise faults.ServiceUnavailable("No pod is registered.")
    return usable[0]


async def _stream(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(_CHUNK):
        yield chunk


async def forward(request: web.Request) -> web.Response:
    """The home pod's answer, with hrefs and Location pointing at the gateway."""
    fwd = _forwarder(request.app)
    target = Target(await _home_pod(request), pod_path(request, IMAGE) or "/")
    if request.method in ("PUT", "POST") and request.path.endswith(_DATA_SUFFIXES):
        headers = request_headers(request, request[keys.CTX])
        resp = await fwd.send(request, target, body=_stream(request),  # type: ignore[arg-type]
                              headers=headers)
        return await fwd.respond(request, target, resp)
    body = await request.read()
    return await fwd.forward(request, target, body=body or None)


@public
async def versions(request: web.Request) -> web.Response:
    """Glance's unauthenticated version documents (``/image/``, ``/image/versions``)."""
    target = Target(await _home_pod(request), pod_path(request, IMAGE) or "/")
    try:
        client = await request.app[keys.PODS].get(target.pod.region_name)
        resp = await client.request("image", "GET", target.path)
    except PodRequestError as exc:
        raise faults.PodUnavailable(pod=target.pod.region_name) from exc
    return await _forwarder(request.app).respond(request, target, resp)
