"""Cinder calls whose pod follows from what they name rather than from a routed
id in the URL:

* ``POST /groups/action`` (``create-from-src``): the pod of the source group or
  group snapshot; the new group and the volumes Cinder made in it get their rows.
* ``manageable_volumes`` / ``os-volume-manage`` (adopt a backend volume, list
  what could be adopted): the pod of the ``availability_zone`` the body gives,
  else of the ``host`` (body or query), else the default pod (Cinder words the
  refusal). ``manageable_snapshots`` / ``os-snapshot-manage``: the pod of the
  snapshot's ``volume_id`` (lists: of the ``host``). An adopted volume or
  snapshot gets its row in that pod.

Status codes: Cinder's (202 adopt and create-from-src, 200 lists, its 400/403/
404); 404 for a source id the caller cannot see; 503 when the pod is down.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from tricircle.api import keys
from tricircle.api.volume.common import cinder_answer, path_prefix
from tricircle.clients.pod import PodResponse
from tricircle.pods.registry import PodInfo
from tricircle.proxy import home
from tricircle.proxy.forward import Target, pod_path, request_headers
from tricircle.resources import GROUP, GROUP_SNAPSHOT, SNAPSHOT, VOLUME, VOLUME_SURFACE, Resource
from tricircle.routing import table
from tricircle.volumes import manage
from tricircle.volumes.service import volume_core

LOG = logging.getLogger(__name__)


def _json(body: bytes | None) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None


def _member(doc: Any, key: str) -> dict[str, Any]:
    member = doc.get(key) if isinstance(doc, dict) else None
    return member if isinstance(member, dict) else {}


async def _send(request: web.Request, pod: PodInfo, body: bytes | None
                ) -> tuple[Target, PodResponse]:
    target = Target(pod, pod_path(request, VOLUME_SURFACE))
    return target, await volume_core(request.app).forwarder.send(request, target, body=body)


async def _default(request: web.Request) -> PodInfo:
    core = volume_core(request.app)
    return await home.default_pod(request.app[keys.DB], core.locator,
                                  request[keys.CTX].project_id)


async def _route(request: web.Request, resource: Resource, ident: Any, pod: PodInfo) -> None:
    """A row for `ident`, made by `pod` in the caller's project."""
    if not isinstance(ident, str) or not ident:
        return
    ctx = request[keys.CTX]
    try:
        async with request.app[keys.DB].session() as s:
            await table.create_route(s, top_id=ident, bottom_id=ident, pod_id=pod.id,
                                     project_id=ctx.project_id or "",
                                     resource_type=resource.routing_type)
    except table.RoutingConflict:
        return
    LOG.info("%s %s made in %s [%s]", resource.name, ident, pod.region_name, ctx.request_id)


# ---- groups ---------------------------------------------------------------------------
@cinder_answer
async def group_action(request: web.Request) -> web.StreamResponse:
    """POST /groups/action: a group made from a group snapshot or another group,
    in the source's pod."""
    core, ctx = volume_core(request.app), request[keys.CTX]
    body = await request.read() or None
    source = _member(_json(body), "create-from-src")
    pod = await _default(request)
    for field, resource in (("group_snapshot_id", GROUP_SNAPSHOT), ("source_group_id", GROUP)):
        ident = source.get(field)
        if isinstance(ident, str) and ident:
            pod = (await core.locator.find(resource, ident, ctx)).pod
            break
    target, resp = await _send(request, pod, body)
    if 200 <= resp.status < 300 and source:
        group = _member(_json(resp.body), "group").get("id")
        await _route(request, GROUP, group, pod)
        if isinstance(group, str):
            await _group_volumes(request, pod, group)
    return await core.forwarder.respond(request, target, resp)


async def _group_volumes(request: web.Request, pod: PodInfo, group_id: str) -> None:
    """Rows for the volumes Cinder made in a new group (listed by ``group_id``)."""
    client = await request.app[keys.PODS].get(pod.region_name)
    resp = await client.request(
        VOLUME_SURFACE.service_type, "GET", f"{path_prefix(request)}/volumes",
        params={"group_id": group_id}, headers=request_headers(request, request[keys.CTX]))
    listed = _json(resp.body) if resp.status == 200 else None
    for volume in (listed or {}).get("volumes") or []:
        if isinstance(volume, dict):
            await _route(request, VOLUME, volume.get("id"), pod)


# ---- manage ---------------------------------------------------------------------------
async def _pod_for(request: web.Request, member: dict[str, Any]) -> PodInfo | None:
    """The pod of the AZ or host a manage call names (None: names neither, or no
    single pod has it)."""
    core = volume_core(request.app)
    pods = sorted((await core.locator.pods()).values(), key=lambda p: p.region_name)
    by_az = manage.pod_of_az(pods, member.get("availability_zone"))
    if by_az is not None:
        return by_az
    host = manage.host_of(member.get("host")) or manage.host_of(request.query.get("host"))
    if host is None:
        return None
    return await manage.pod_of_host(
        request.app[keys.PODS], [p for p in pods if p.state != "disabled"], host,
        path_prefix=path_prefix(request), headers=request_headers(request, request[keys.CTX]),
        deadline=request.app[keys.CONF].fanout.pod_deadline)


@cinder_answer
async def manageable_volumes(request: web.Request) -> web.StreamResponse:
    """Adopt a volume (POST) or list adoptable ones (GET) in the pod of the AZ or
    host named; the adopted volume gets its row there."""
    core = volume_core(request.app)
    body = await request.read() or None
    doc = _json(body)
    member = _member(doc, "volume")
    pod = await _pod_for(request, member) or await _default(request)
    az = member.get("availability_zone")
    if isinstance(az, str) and az == pod.az_name and isinstance(doc, dict):
        member["availability_zone"] = core.forwarder.az_rewriter(pod).to_pod(az)
        body = json.dumps(doc).encode()
    target, resp = await _send(request, pod, body)
    if request.method == "POST" and 200 <= resp.status < 300:
        await _route(request, VOLUME, _member(_json(resp.body), "volume").get("id"), pod)
    return await core.forwarder.respond(request, target, resp)


@cinder_answer
async def manageable_snapshots(request: web.Request) -> web.StreamResponse:
    """Adopt a snapshot (POST: in its volume's pod) or list adoptable ones (GET:
    in the pod of the host named); the adopted snapshot gets its row there."""
    core, ctx = volume_core(request.app), request[keys.CTX]
    body = await request.read() or None
    member = _member(_json(body), "snapshot")
    volume = member.get("volume_id")
    if request.method == "POST" and isinstance(volume, str) and volume:
        pod = (await core.locator.find(VOLUME, volume, ctx)).pod
    else:
        pod = await _pod_for(request, member) or await _default(request)
    target, resp = await _send(request, pod, body)
    if request.method == "POST" and 200 <= resp.status < 300:
        await _route(request, SNAPSHOT, _member(_json(resp.body), "snapshot").get("id"), pod)
    return await core.forwarder.respond(request, target, resp)
