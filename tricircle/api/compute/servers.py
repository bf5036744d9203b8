"""Servers: create (placed by the scheduler), and every call on one server —
show, update, delete, actions and sub-resources — routed by its routing row.

Lists (``GET /servers``, ``/servers/detail``) live in `lists.py`.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.images import snapshots
from tricircle.proxy import member as routed
from tricircle.proxy import microversion
from tricircle.proxy.locate import Located
from tricircle.proxy.service import ComputeCore, compute_core
from tricircle.resources import SERVER
from tricircle.volumes import attach

LOG = logging.getLogger(__name__)
_ATTACH = "os-volume_attachments"


async def _with_version_headers(request: web.Request, exc: faults.TricircleError) -> None:
    """Nova puts its microversion headers on its JSON faults; so do we."""
    _low, high = await compute_core(request.app).versions.compute()
    exc.headers.update(microversion.response_headers(request.headers, f"{high[0]}.{high[1]}"))


async def create(request: web.Request) -> web.Response:
    """202 with Nova's create answer; the pod's own error when it refuses; 400
    when no pod can take the server or the AZ is unknown; 406 for a microversion
    no pod serves."""
    body = await request.read()
    try:
        return await compute_core(request.app).servers.create(request, body)
    except faults.TricircleError as exc:
        await _with_version_headers(request, exc)
        raise


async def member(request: web.Request) -> web.Response:
    """Any call on ``/servers/{server_id}[/...]``: the pod's answer, translated;
    404 itemNotFound when the server is not the caller's (admin: anyone's)."""
    core = compute_core(request.app)
    try:
        located = await core.locator.find(SERVER, request.match_info["server_id"],
                                          request[keys.CTX])
        raw = await request.read()
        if request.method in ("POST", "PUT") and \
                request.match_info.get("tail", "").startswith(_ATTACH):
            # a pod's Nova attaches (or swaps to) only its own Cinder's volumes: 409
            await attach.check_same_pod(core.locator, request[keys.CTX],
                                        located.route.top_id, located.pod, raw)
        body = _request_body(core, located, raw)
        response, located = await _forward(core, request, located, body)
    except faults.TricircleError as exc:  # ours (404, pod unreachable), not the pod's
        await _with_version_headers(request, exc)
        raise
    if request.method == "DELETE" and "tail" not in request.match_info \
            and 200 <= response.status < 300:
        await _deleted(core, request, located)
    if request.method == "POST" and request.match_info.get("tail") == "action":
        await snapshots.register_action_image(request, located.pod, body, response)
    return response


async def _forward(core: ComputeCore, request: web.Request, located: Located,
                   body: bytes | None) -> tuple[web.Response, Located]:
    """The pod's answer and the routing row it came from (re-read after a 404 that
    a stale cached row may explain)."""
    try:
        answer, _resp, located = await routed.forward(core.forwarder, core.locator, request,
                                                      SERVER, located, body)
    except faults.PodUnavailable:
        if not _down_pod_show(request):
            raise
        return await _minimal_record(core, request, located), located
    return answer, located


def _bottom_path(request: web.Request, located: Located) -> str:
    """The pod's path: the top id replaced by the bottom id where they differ."""
    return routed.bottom_path(request, SERVER, located)


_ids = routed.id_map


# Nova 2.69: a server in a cell that does not answer is shown as a minimal record.
_DOWN_CELL_VERSION = (2, 69)


def _down_pod_show(request: web.Request) -> bool:
    if request.method != "GET" or "tail" in request.match_info:
        return False
    text = microversion.requested(request.headers)
    try:
        version = microversion.parse(text)
    except ValueError:
        return False
    return text == "latest" or (version is not None and version >= _DOWN_CELL_VERSION)


async def _minimal_record(core: ComputeCore, request: web.Request,
                          located: Located) -> web.Response:
    """What Nova answers for a server whose cell is down (2.69+), from the routing row."""
    route, top = located.route, core.forwarder.top_base(request)
    record = {"id": route.top_id, "status": "UNKNOWN", "tenant_id": route.project_id,
              "created": route.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "OS-EXT-AZ:availability_zone": located.pod.az_name,
              "links": [{"rel": "self", "href": f"{top}/servers/{route.top_id}"},
                        {"rel": "bookmark",
                         "href": f"{top.rsplit('/', 1)[0]}/servers/{route.top_id}"}]}
    _low, high = await core.versions.compute()
    headers = microversion.response_headers(request.headers, f"{high[0]}.{high[1]}")
    for name in SERVER.surface.request_id_headers:
        headers[name] = request[keys.REQUEST_ID]
    return web.Response(body=json.dumps({"server": record}).encode(),
                        content_type="application/json", headers=headers)


def _request_body(core: ComputeCore, located: Located, body: bytes) -> bytes | None:
    """The body for the pod: unchanged, except a top AZ (unshelve) -> the pod's AZ."""
    if b"availability_zone" not in body:
        return body or None
    try:
        doc = json.loads(body)
    except ValueError:
        return body  # the pod answers its own 400
    azs = core.forwarder.az_rewriter(located.pod)
    for value in doc.values() if isinstance(doc, dict) else []:
        if isinstance(value, dict) and isinstance(value.get("availability_zone"), str):
            value["availability_zone"] = azs.to_pod(value["availability_zone"])
    return json.dumps(doc).encode()


async def _deleted(core: ComputeCore, request: web.Request, located: Located) -> None:
    """The pod accepted the delete: keep the row until the pod confirms it is gone."""
    from tricircle.networking import release
    from tricircle.routing import repair

    core.locator.forget(SERVER, located.route.top_id)
    async with request.app[keys.DB].session() as s:
        await repair.enqueue_forget(s, located.route)
        # Networking (issue 4): release the server's bottom ports (and central ones
        # the gateway created) once the pod no longer has it.
        await release.enqueue_release(s, located.route)
    engine = request.app[keys.SERVICES].get("jobs")
    if engine is not None:
        engine.wake()
