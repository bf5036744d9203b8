"""GET /volumes, /snapshots, /backups (and ``/detail``): one list over every pod
holding the caller's items, merged on Cinder's sort keys, paged by marker/limit
with next hrefs at the gateway (docs/lists.md, docs/volumes.md).

Status codes: 200 (also when a pod is down: its items are left out and named in
`X-Tricircle-Missing-Pods`), 400 (bad limit or sort, worded by a pod), 404
(unknown marker, as Cinder), 401, 403 (a pod's policy, e.g. all_tenants), 503
(a pod down and `[fanout] down_pod_policy = fail`).
"""

from __future__ import annotations

from aiohttp import web
from multidict import CIMultiDict

from tricircle import faults
from tricircle.api import keys
from tricircle.api.compute.lists import MISSING_HEADER, pod_answer
from tricircle.api.volume.common import SURFACE_PATH, Handler, cinder_answer, path_prefix
from tricircle.fanout.servers import Collection, ListRequest
from tricircle.proxy import home
from tricircle.proxy.forward import pod_path, request_headers
from tricircle.resources import VOLUME, VOLUME_SURFACE, Resource
from tricircle.routing.translate import top_base
from tricircle.volumes import summary as volume_summary
from tricircle.volumes import type_ids
from tricircle.volumes.collections import BY_RESOURCE
from tricircle.volumes.service import volume_core


def listing(resource: Resource, *, detail: bool,
            collection: Collection | None = None) -> Handler:
    """The list handler of one collection (summary or detail view)."""
    collection = collection or BY_RESOURCE[resource.name]

    @cinder_answer
    async def handler(request: web.Request) -> web.StreamResponse:
        fanout = request.app[keys.CONF].fanout
        headers = CIMultiDict({h: request.headers[h] for h in collection.version_headers
                               if h in request.headers})
        lister = volume_core(request.app).listers[resource.name]
        result = await lister.list_page(ListRequest(
            ctx=request[keys.CTX], query=request.query, headers=headers, detail=detail,
            top_base=top_base(request, SURFACE_PATH), deadline=fanout.pod_deadline,
            concurrency=fanout.max_concurrency, down_pod_policy=fanout.down_pod_policy,
            collection=collection, path_prefix=path_prefix(request)))
        if result.passthrough is not None:
            return pod_answer(request, result.passthrough)
        if resource is VOLUME and detail:
            core = volume_core(request.app)
            type_ids.map_listed(result.body, collection.name, await type_ids.top_ids(
                core.types, request.app[keys.DB], request.headers))
        rid = request[keys.REQUEST_ID]
        response = web.json_response(result.body, headers={
            **result.headers, "X-OpenStack-Request-ID": rid, "X-Compute-Request-ID": rid})
        if result.missing:
            response.headers[MISSING_HEADER] = ", ".join(result.missing)
        return response

    return handler


@cinder_answer
async def summary(request: web.Request) -> web.StreamResponse:
    """GET /volumes/summary: 200 with the sums over the pods holding the caller's
    volumes (pods down left out and named); a pod's 4xx (e.g. below 3.12) as is."""
    app, ctx = request.app, request[keys.CTX]
    core = volume_core(app)
    everyone = ctx.is_admin and request.query.get("all_tenants") not in (None, "0", "false")
    listed = await core.volume_pods.pods(None if everyone else ctx.project_id)
    result = await volume_summary.summarise(
        app[keys.PODS], listed, pod_path(request, VOLUME_SURFACE).split("?")[0],
        params=list(request.query.items()), headers=request_headers(request, ctx),
        deadline=app[keys.CONF].fanout.pod_deadline)
    if result.passthrough is not None:
        return pod_answer(request, result.passthrough)
    rid = request[keys.REQUEST_ID]
    response = web.json_response(result.body, headers={
        **result.headers, "X-OpenStack-Request-ID": rid, "X-Compute-Request-ID": rid})
    if result.missing:
        response.headers[MISSING_HEADER] = ", ".join(result.missing)
    return response


@cinder_answer
async def limits(request: web.Request) -> web.StreamResponse:
    """GET /limits: 200, the default pod's limits with the usage summed over the pods
    holding the caller's volumes (pods down left out and named); a pod's 4xx as is;
    503 when no pod answers."""
    app, ctx = request.app, request[keys.CTX]
    core = volume_core(app)
    listed = [p.region for p in await core.volume_pods.pods(ctx.project_id) if p.usable]
    default = await home.default_pod(app[keys.DB], core.locator, ctx.project_id)
    result = await volume_summary.limits(
        app[keys.PODS], listed, default.region_name,
        pod_path(request, VOLUME_SURFACE).split("?")[0],
        params=list(request.query.items()), headers=request_headers(request, ctx),
        deadline=app[keys.CONF].fanout.pod_deadline)
    if result.passthrough is not None:
        return pod_answer(request, result.passthrough)
    if result.body is None:
        raise faults.PodUnavailable(pod=", ".join(result.missing))
    rid = request[keys.REQUEST_ID]
    response = web.json_response(result.body, headers={
        **result.headers, "X-OpenStack-Request-ID": rid, "X-Compute-Request-ID": rid})
    if result.missing:
        response.headers[MISSING_HEADER] = ", ".join(result.missing)
    return response
