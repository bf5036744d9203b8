"""/v1.0/bindings: pin a project to one pod in the pod's availability zone."""

from __future__ import annotations

from aiohttp import web

from tricircle.api.admin import schemas
from tricircle.api.admin.common import authorize, db, no_content, query, read_body, respond
from tricircle.pods import bindings


async def index(request: web.Request) -> web.Response:
    """GET /v1.0/bindings[?project_id=&az_name=&pod_id=] -> 200 {"bindings"}; 400; 403."""
    authorize(request, "tricircle:bindings:list")
    filters = query(request, ["project_id", "az_name", "pod_id"])
    async with db(request).session() as s:
        found = await bindings.list_bindings(s, **filters)
    return respond({"bindings": found})


async def show(request: web.Request) -> web.Response:
    """GET /v1.0/bindings/{id} -> 200 {"binding"}; 403; 404."""
    authorize(request, "tricircle:bindings:show")
    async with db(request).session() as s:
        binding = await bindings.get_binding(s, request.match_info["id"])
    return respond({"binding": binding})


async def create(request: web.Request) -> web.Response:
    """POST /v1.0/bindings {"binding": {project_id, pod_id}} -> 201 {"binding"};
    400 invalid body or unknown pod; 403; 409 project already bound in that AZ."""
    authorize(request, "tricircle:bindings:create")
    body = await read_body(request, "binding", schemas.BINDING_CREATE)
    async with db(request).session() as s:
        binding = await bindings.create_binding(s, **body)
    return respond({"binding": binding}, 201)


async def update(request: web.Request) -> web.Response:
    """PUT /v1.0/bindings/{id} {"binding": {pod_id}} -> 200 {"binding"}; 400 invalid
    body, unknown pod or pod of another AZ; 403; 404."""
    authorize(request, "tricircle:bindings:update")
    body = await read_body(request, "binding", schemas.BINDING_UPDATE)
    async with db(request).session() as s:
        binding = await bindings.update_binding(s, request.match_info["id"], **body)
    return respond({"binding": binding})


async def delete(request: web.Request) -> web.Response:
    """DELETE /v1.0/bindings/{id} -> 204; 403; 404."""
    authorize(request, "tricircle:bindings:delete")
    async with db(request).session() as s:
        await bindings.delete_binding(s, request.match_info["id"])
    return no_content()
