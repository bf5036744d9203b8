"""Nova's image proxy (``/compute/v2.1/images``, microversions below 2.36) over
the image registry: one image is answered by the Nova of its home pod (whose
Glance holds it); lists merge every pod's, each image once.

Status codes are Nova's (the pods answer); 404 from 2.36 on is Nova's too.
"""

from __future__ import annotations

from aiohttp import web
from multidict import CIMultiDict

from tricircle.api import keys
from tricircle.api.compute.lists import MISSING_HEADER, pod_answer
from tricircle.fanout.images import NOVA
from tricircle.fanout.servers import VERSION_HEADERS
from tricircle.images.service import image_service
from tricircle.proxy import home, microversion
from tricircle.proxy.forward import Target, pod_path
from tricircle.proxy.service import compute_core
from tricircle.resources import COMPUTE
from tricircle.routing.translate import top_base


async def index(request: web.Request) -> web.Response:
    """GET /images: id, name, links of every image the caller sees, merged."""
    return await _list(request, detail=False)


async def detail(request: web.Request) -> web.Response:
    """GET /images/detail: Nova's image records from every pod, merged."""
    return await _list(request, detail=True)


async def _list(request: web.Request, *, detail: bool) -> web.Response:
    fanout = request.app[keys.CONF].fanout
    versions = {h: request.headers[h] for h in VERSION_HEADERS if h in request.headers}
    result = await image_service(request.app).list(
        request, fanout.pod_deadline, fanout.max_concurrency, collection=NOVA,
        top_base=top_base(request, COMPUTE.surface_path), detail=detail, headers=versions)
    if result.passthrough is not None:
        return pod_answer(request, result.passthrough)
    rid = request[keys.REQUEST_ID]
    headers = CIMultiDict({"X-OpenStack-Request-ID": rid, "X-Compute-Request-ID": rid})
    # Nova's microversion headers, as a pod would send them (clients check them)
    _low, high = await compute_core(request.app).versions.compute()
    headers.update(microversion.response_headers(request.headers, f"{high[0]}.{high[1]}"))
    response = web.json_response(result.body, headers=headers)
    if result.missing:
        response.headers[MISSING_HEADER] = ", ".join(result.missing)
    return response


async def member(request: web.Request) -> web.Response:
    """Any call on /images/{image_id}[/...]: the Nova of the image's home pod."""
    images, core = image_service(request.app), compute_core(request.app)
    image_id = request.match_info["image_id"]
    found = await images.home(image_id)
    pod = found.pod if found else await home.default_pod(
        request.app[keys.DB], core.locator, request[keys.CTX].project_id)
    body = await request.read() or None
    target = Target(pod, pod_path(request, COMPUTE))
    resp = await core.forwarder.send(request, target, body=body)
    if found is not None and request.method != "GET" and 200 <= resp.status < 300:
        tail = request.match_info.get("tail", "").split("/", 1)[0]
        await images.after_write(request, found, image_id, tail)
    return await core.forwarder.respond(request, target, resp)
