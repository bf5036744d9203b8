"""/volume/v3/types...: volume types, extra specs and access lists, the same in
every pod in service (`tricircle.distributed.volume_types`); /group_types...
(group specs) the same way.

Reads are answered by the first pod in service that answers (ids are that pod's:
the top ids). Writes go to that pod first — its answer, status and error words
are the client's (200 create/update, 202 delete, 200 extra specs, 202 access;
400/403/404/409 as Cinder says) — then to the others with their own id of the
type; pods that missed the write get a `volume_type_sync` job. 503 when no pod in
service answers.
"""

from __future__ import annotations

from aiohttp import web

from tricircle.api import keys
from tricircle.api.volume.common import cinder_answer
from tricircle.distributed import replicate
from tricircle.distributed import volume_types as domain
from tricircle.proxy.forward import Target, pod_path, request_headers
from tricircle.resources import VOLUME_SURFACE
from tricircle.volumes import group_types
from tricircle.volumes.service import volume_core


@cinder_answer
async def read(request: web.Request) -> web.StreamResponse:
    """GET any type URL: answered by one pod in service."""
    app, path = request.app, pod_path(request, VOLUME_SURFACE)
    candidates = await replicate.pods_in_service(app[keys.DB])
    answer = await replicate.read_any(app[keys.PODS], candidates, path,
                                      headers=request_headers(request, request[keys.CTX]),
                                      service_type=domain.SERVICE)
    return await volume_core(app).forwarder.respond(request, Target(answer.pod, path),
                                                    answer.response)


@cinder_answer
async def write(request: web.Request) -> web.StreamResponse:
    """POST/PUT/DELETE on type URLs: applied in every pod in service."""
    return await _write(request, volume_core(request.app).types)


@cinder_answer
async def group_write(request: web.Request) -> web.StreamResponse:
    """POST/PUT/DELETE on group type URLs: applied in every pod in service; pods
    that missed the write get a `group_type_sync` job."""
    return await _write(request, volume_core(request.app).group_types)


async def _write(request: web.Request, ids: domain.TypeIds) -> web.StreamResponse:
    app, path, core = request.app, pod_path(request, VOLUME_SURFACE), volume_core(request.app)
    candidates = await replicate.pods_in_service(app[keys.DB])
    outcome = await domain.write(
        app[keys.PODS], ids, candidates, request.method, path,
        headers=dict(request_headers(request, request[keys.CTX])),
        body=await request.read() or None, deadline=app[keys.CONF].pods.request_timeout)
    if outcome.accepted and outcome.lagging and outcome.name:
        enqueue = domain.enqueue_sync if ids.kind is domain.VOLUME_TYPES \
            else group_types.enqueue_sync
        async with app[keys.DB].session() as s:
            await enqueue(s, outcome.name, outcome.pod.region_name,
                          request_id=request[keys.REQUEST_ID])
    return await core.forwarder.respond(request, Target(outcome.pod, path), outcome.response)
