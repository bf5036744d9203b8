"""/v1.0/pods: register, list, show, change (state: enabled|draining|disabled), remove pods."""

from __future__ import annotations

import logging

from aiohttp import web

from tricircle.api.admin import schemas
from tricircle.api.admin.common import (
    authorize,
    ctx,
    db,
    no_content,
    query,
    read_body,
    respond,
)
from tricircle.pods import lifecycle, registry

LOG = logging.getLogger(__name__)


async def index(request: web.Request) -> web.Response:
    """GET /v1.0/pods[?state=] -> 200 {"pods": [...]} by region; 400 bad filter; 403."""
    authorize(request, "tricircle:pods:list")
    filters = query(request, ["state"])
    if "state" in filters:
        registry.check_state(filters["state"])
    async with db(request).session() as s:
        pods = await registry.list_pods(s, state=filters.get("state"))
    return respond({"pods": pods})


async def show(request: web.Request) -> web.Response:
    """GET /v1.0/pods/{pod} (id or region name) -> 200 {"pod"}; 403; 404."""
    authorize(request, "tricircle:pods:show")
    async with db(request).session() as s:
        pod = await registry.get_pod(s, request.match_info["pod"])
    return respond({"pod": pod})


async def create(request: web.Request) -> web.Response:
    """POST /v1.0/pods {"pod": {...}} -> 201 {"pod"}; 400 invalid body; 403;
    409 region already registered."""
    authorize(request, "tricircle:pods:create")
    body = await read_body(request, "pod", schemas.POD_CREATE)
    async with db(request).session() as s:
        pod = await lifecycle.add_pod(s, **body)
    LOG.info("pod %s registered (az %r) [%s]", pod.region_name, pod.az_name,
             ctx(request).request_id)
    return respond({"pod": pod}, 201)


async def update(request: web.Request) -> web.Response:
    """PUT /v1.0/pods/{pod} {"pod": {az_name, pod_az_name, dc_name, state}} -> 200
    {"pod"}; 400 invalid body; 403; 404."""
    authorize(request, "tricircle:pods:update")
    body = await read_body(request, "pod", schemas.POD_UPDATE, partial=True)
    async with db(request).session() as s:
        pod = await lifecycle.change_pod(s, request.match_info["pod"], **body)
    LOG.info("pod %s updated: %s [%s]", pod.region_name, body, ctx(request).request_id)
    return respond({"pod": pod})


async def delete(request: web.Request) -> web.Response:
    """DELETE /v1.0/pods/{pod} -> 204; 403; 404; 409 routings still point at the pod."""
    authorize(request, "tricircle:pods:delete")
    async with db(request).session() as s:
        await registry.delete_pod(s, request.match_info["pod"])
    LOG.info("pod %s removed [%s]", request.match_info["pod"], ctx(request).request_id)
    return no_content()
