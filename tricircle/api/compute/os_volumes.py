"""/compute/v2.1/os-volumes[/...]: Nova's (deprecated, below 2.36) proxy to its
pod's Cinder. A top volume lives in one pod, so a call on one volume goes to that
pod's Nova, and the list asks every pod holding the caller's volumes.

Status codes: Nova's own (200, 202, 404 when its Cinder does not know the id,
400/403 as Nova says); a pod that cannot be reached: 503 for one volume, left out
of the list (named in `X-Tricircle-Missing-Pods`). Creates (`POST /os-volumes`)
go to the default pod as any unrouted call (no routing row: such a volume is not
seen through /volume), so the list always asks the default pod too.
"""

from __future__ import annotations

import json

from aiohttp import web

from tricircle.api import keys
from tricircle.api.compute.lists import MISSING_HEADER, pod_answer
from tricircle.api.compute.passthrough import forward as passthrough
from tricircle.clients.pod import PodResponse
from tricircle.fanout.gather import gather
from tricircle.fanout.servers import VERSION_HEADERS
from tricircle.proxy import home
from tricircle.proxy.forward import Target, pod_path, request_headers
from tricircle.proxy.locate import NotFoundInGateway
from tricircle.proxy.service import compute_core
from tricircle.resources import COMPUTE, VOLUME
from tricircle.volumes.service import volume_core


async def member(request: web.Request) -> web.StreamResponse:
    """Any call on one volume: the pod holding it (unknown ids: the default pod)."""
    core = compute_core(request.app)
    try:
        located = await core.locator.find(VOLUME, request.match_info["volume_id"],
                                          request[keys.CTX])
    except NotFoundInGateway:
        return await passthrough(request)
    return await core.forwarder.forward(request, Target(located.pod, pod_path(request, COMPUTE)),
                                        body=await request.read() or None)


async def index(request: web.Request) -> web.StreamResponse:
    """GET /os-volumes[/detail]: the volumes of every pod holding the caller's."""
    app, ctx = request.app, request[keys.CTX]
    listed = [p.region for p in await volume_core(app).volume_pods.pods(ctx.project_id)
              if p.usable]
    # volumes created through this proxy (no routing row) are in the default pod
    default = await home.default_pod(app[keys.DB], compute_core(app).locator, ctx.project_id)
    regions = sorted({*listed, default.region_name})
    path, headers = pod_path(request, COMPUTE), request_headers(request, ctx)

    async def call(region: str) -> PodResponse:
        client = await app[keys.PODS].get(region)
        return await client.request("compute", "GET", path, headers=headers,
                                    timeout=app[keys.CONF].fanout.pod_deadline)

    results = await gather(regions, call,
                           deadline=app[keys.CONF].fanout.pod_deadline)
    answers = [(r.pod, r.value) for r in results if r.ok and r.value is not None
               and r.value.status < 500]
    refused = next((a for _pod, a in answers if a.status != 200), None)
    if refused is not None:
        return pod_answer(request, refused)
    core = compute_core(app)
    pods = {p.region_name: p for p in (await core.locator.pods()).values()}
    volumes = []
    for region, answer in answers:
        links = await core.forwarder.link_rewriter(request, pods[region])
        body = core.forwarder.rewrite_body(answer.body, links,
                                           core.forwarder.az_rewriter(pods[region]))
        volumes += (json.loads(body) or {}).get("volumes", [])
    version = {h: answers[0][1].headers[h] for h in (*VERSION_HEADERS, "Vary")
               if answers and h in answers[0][1].headers}
    response = web.json_response({"volumes": volumes}, headers={**version, **_ids(request)})
    missing = [r.pod for r in results
               if not (r.ok and r.value is not None and r.value.status < 500)]
    if missing:
        response.headers[MISSING_HEADER] = ", ".join(missing)
    return response


def _ids(request: web.Request) -> dict[str, str]:
    rid = request[keys.REQUEST_ID]
    return {"X-OpenStack-Request-ID": rid, "X-Compute-Request-ID": rid}
