"""``/image/...``: Glance v2 over every pod (tricircle.images.service).

Status codes are Glance's own (the pods answer in their words); the gateway adds
400 for an upload whose body broke off, 409 for an id taken at the top, 503 when
the image's home pod cannot be reached. Image lists answer 200 without a pod that
is down, naming it in `X-Tricircle-Missing-Pods`.
"""

from __future__ import annotations

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.api.middleware import public
from tricircle.clients.pod import HOP_HEADERS, PodRequestError
from tricircle.images.service import image_service
from tricircle.proxy.forward import Target, pod_path
from tricircle.resources.image import IMAGE

MISSING_HEADER = "X-Tricircle-Missing-Pods"


async def create(request: web.Request) -> web.Response:
    """POST /v2/images: 201 from the home pod (the new image's home)."""
    return await image_service(request.app).create(request, await request.read())


async def index(request: web.Request) -> web.Response:
    """GET /v2/images: every pod's images, each once, Glance's paging."""
    fanout = request.app[keys.CONF].fanout
    result = await image_service(request.app).list(request, fanout.pod_deadline,
                                                    fanout.max_concurrency)
    rid = {"X-OpenStack-Request-ID": request[keys.REQUEST_ID]}
    if result.passthrough is not None:
        pod = result.passthrough
        headers = {k: v for k, v in pod.headers.items()
                   if k.lower() not in HOP_HEADERS and k.lower() != "x-openstack-request-id"}
        return web.Response(status=pod.status, body=pod.body, headers={**headers, **rid})
    response = web.json_response(result.body, headers=rid)
    if result.missing:
        response.headers[MISSING_HEADER] = ", ".join(result.missing)
    return response


async def member(request: web.Request) -> web.StreamResponse:
    """Any call on /v2/images/{image_id}[/...]: the image's home pod answers."""
    return await image_service(request.app).member(request, request.match_info["image_id"])


async def forward(request: web.Request) -> web.Response:
    """Other Glance calls (schemas, info, tasks): the default pod."""
    return await image_service(request.app).forward(request)


@public
async def versions(request: web.Request) -> web.Response:
    """Glance's unauthenticated version documents (``/image/``, ``/image/versions``)."""
    svc = image_service(request.app)
    target = Target(await svc.default_pod(), pod_path(request, IMAGE) or "/")
    try:
        client = await request.app[keys.PODS].get(target.pod.region_name)
        resp = await client.request("image", "GET", target.path)
    except PodRequestError as exc:
        raise faults.PodUnavailable(pod=target.pod.region_name) from exc
    return await svc.forwarder.respond(request, target, resp)
