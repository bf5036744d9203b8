"""Volumes, snapshots and backups: creates (placed next to what they use, else by
the scheduler) and every call on one of them, routed by its routing row.

Status codes: Cinder's own (202 creates, deletes and actions; 200 reads and
updates; its 400/403/404/409/413 passed through); 404 itemNotFound when the id is
not the caller's (admin: anyone's); 400 when the AZ asked for is not where the
resources the create uses are; 409 conflictingRequest when a backup is restored
to a volume of another pod; 503 when the pod cannot be reached.
"""

from __future__ import annotations

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.api.volume.common import Handler, cinder_answer, path_prefix
from tricircle.proxy import member as routed
from tricircle.proxy.forward import request_headers
from tricircle.proxy.locate import Located
from tricircle.resources import TRANSFER, VOLUME, Resource
from tricircle.scheduler.errors import AvailabilityZoneNotAvailable
from tricircle.volumes import attachments, lifecycle, placement, type_ids
from tricircle.volumes.service import volume_core


def create(resource: Resource) -> Handler:
    """POST /volumes, /snapshots, /backups: 202 with Cinder's answer."""

    @cinder_answer
    async def handler(request: web.Request) -> web.StreamResponse:
        creates, body = volume_core(request.app).creates[resource.name], await request.read()
        try:
            return await creates.create(request, body)
        except AvailabilityZoneNotAvailable as exc:
            az = placement.requested_az(body, resource.member_key)
            raise placement.InvalidAvailabilityZone(az=az) from exc
        except faults.NoValidPod as exc:
            raise placement.NoValidBackend() from exc

    return handler


def member(resource: Resource) -> Handler:
    """Any call on ``/<collection>/<id>[/...]``: the pod's answer, translated."""

    @cinder_answer
    async def handler(request: web.Request) -> web.StreamResponse:
        core, ctx = volume_core(request.app), request[keys.CTX]
        located = await _find(request, resource)
        body = await request.read() or None
        tail = request.match_info.get("tail")
        body = await lifecycle.before(request.app, ctx, core.locator, core.types, lifecycle.Call(
            resource, request.method, tail, body, b""), located)
        other_ids = await type_ids.top_ids(core.types, request.app[keys.DB], request.headers) \
            if resource is VOLUME else None
        answer, resp, located = await routed.forward(core.forwarder, core.locator, request,
                                                     resource, located, body,
                                                     other_ids=other_ids)
        if 200 <= resp.status < 300:
            await lifecycle.after(request.app, ctx, lifecycle.Call(
                resource, request.method, tail, body, resp.body), located, core.locator)
        return answer

    return handler


async def _find(request: web.Request, resource: Resource) -> Located:
    """The row of the id in the URL; an attachment a pod's Nova made (a message
    its Cinder wrote) is looked up in the pods holding the caller's volumes.
    Raises NotFoundInGateway."""
    core, ctx, app = volume_core(request.app), request[keys.CTX], request.app
    ident = request.match_info["id"]

    async def discover() -> bool:
        return await attachments.discover(
            app[keys.DB], app[keys.PODS], core.volume_pods, resource, ident, ctx,
            path_prefix=path_prefix(request), headers=request_headers(request, ctx),
            deadline=app[keys.CONF].fanout.pod_deadline)

    return await attachments.find(core.locator, resource, ident, ctx, discover=discover)


@cinder_answer
async def accept(request: web.Request) -> web.StreamResponse:
    """POST /os-volume-transfer/<id>/accept: 202 from the volume's pod; the
    accepting project owns the volume's row afterwards. 404 for an unknown id."""
    core, ctx, app = volume_core(request.app), request[keys.CTX], request.app
    # the acceptor is another project: the transfer's row is looked up in any project
    located = await lifecycle.find_any(app, core.locator, TRANSFER, request.match_info["id"])
    answer, resp, located = await routed.forward(core.forwarder, core.locator, request,
                                                 TRANSFER, located, await request.read() or None)
    if 200 <= resp.status < 300:
        await lifecycle.transferred(app, ctx, core.locator, located, resp.body)
    return answer
