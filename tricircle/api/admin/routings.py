"""/v1.0/routings: where top resources live. Reads are project-scoped unless the
caller may see every project (`tricircle:routings:all_projects`, admin by
default): another project's rows look absent (404). Writes are for repair (admin)."""

from __future__ import annotations

import logging

from aiohttp import web

from tricircle import faults
from tricircle.api.admin import schemas
from tricircle.api.admin.common import (
    authorize,
    ctx,
    db,
    limit_of,
    next_links,
    no_content,
    project_scope,
    query,
    read_body,
    respond,
)
from tricircle.routing import table

LOG = logging.getLogger(__name__)
FILTERS = ("top_id", "bottom_id", "pod_id", "project_id", "resource_type")
ALL_PROJECTS = "tricircle:routings:all_projects"


def _route_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise table.RouteNotFound(id=raw)
    return int(raw)


def _marker(request: web.Request) -> int | None:
    raw = request.query.get("marker")
    if raw is None:
        return None
    if not raw.isdigit():
        raise faults.BadRequest("marker must be a routing id.")
    return int(raw)


async def index(request: web.Request) -> web.Response:
    """GET /v1.0/routings[?top_id=&bottom_id=&pod_id=&project_id=&resource_type=
    &marker=&limit=] -> 200 {"routings", "routings_links"}; 400; 403."""
    authorize(request, "tricircle:routings:list")
    filters = query(request, FILTERS)
    scope = project_scope(request, ALL_PROJECTS)
    if scope is not None and filters.setdefault("project_id", scope) != scope:
        return respond({"routings": [], "routings_links": []})
    marker, limit = _marker(request), limit_of(request)
    async with db(request).session() as s:
        routes = await table.list_routes(s, **filters, marker=marker, limit=limit)
    return respond({"routings": routes, "routings_links": next_links(request, routes, limit)})


async def show(request: web.Request) -> web.Response:
    """GET /v1.0/routings/{id} -> 200 {"routing"}; 403; 404 (also another project's)."""
    authorize(request, "tricircle:routings:show")
    scope = project_scope(request, ALL_PROJECTS)
    async with db(request).session() as s:
        route = await table.get_route(s, _route_id(request), project_id=scope)
    return respond({"routing": route})


async def create(request: web.Request) -> web.Response:
    """POST /v1.0/routings {"routing": {top_id, pod_id, project_id, resource_type,
    bottom_id}} -> 201 {"routing"}; 400 invalid body or unknown pod; 403; 409 taken."""
    authorize(request, "tricircle:routings:create")
    body = await read_body(request, "routing", schemas.ROUTING_CREATE)
    async with db(request).session() as s:
        route = await table.create_route(s, **body)
    LOG.info("routing %d created by admin: %s [%s]", route.id, body, ctx(request).request_id)
    return respond({"routing": route}, 201)


async def update(request: web.Request) -> web.Response:
    """PUT /v1.0/routings/{id} {"routing": {...}} -> 200 {"routing"}; 400; 403; 404; 409."""
    authorize(request, "tricircle:routings:update")
    body = await read_body(request, "routing", schemas.ROUTING_UPDATE, partial=True)
    async with db(request).session() as s:
        route = await table.update_route(s, _route_id(request), **body)
    LOG.info("routing %d updated by admin: %s [%s]", route.id, body, ctx(request).request_id)
    return respond({"routing": route})


async def delete(request: web.Request) -> web.Response:
    """DELETE /v1.0/routings/{id} -> 204; 403; 404."""
    authorize(request, "tricircle:routings:delete")
    async with db(request).session() as s:
        await table.delete_route(s, _route_id(request))
    LOG.info("routing %s deleted by admin [%s]", request.match_info["id"],
             ctx(request).request_id)
    return no_content()
