"""/v1.0/jobs: the durable job queue. List/show/redo/delete for operators; create
to trigger work by hand (e.g. resynchronise a pod)."""

from __future__ import annotations

import logging

from aiohttp import web

from tricircle.api import keys
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
from tricircle.jobs import api as jobs

LOG = logging.getLogger(__name__)
ALL_PROJECTS = "tricircle:jobs:all_projects"


def _wake_worker(request: web.Request) -> None:
    engine = request.app[keys.SERVICES].get("jobs")
    if engine is not None:
        engine.wake()


async def index(request: web.Request) -> web.Response:
    """GET /v1.0/jobs[?status=&type=&project_id=&resource_key=&marker=&limit=] -> 200
    {"jobs", "jobs_links"} newest first; 400 bad filter or marker; 403."""
    authorize(request, "tricircle:jobs:list")
    filters = query(request, ["status", "type", "project_id", "resource_key"])
    scope = project_scope(request, ALL_PROJECTS)
    if scope is not None and filters.setdefault("project_id", scope) != scope:
        return respond({"jobs": [], "jobs_links": []})
    limit = limit_of(request)
    async with db(request).session() as s:
        found = await jobs.list_jobs(
            s, status=filters.get("status"), job_type=filters.get("type"),
            project_id=filters.get("project_id"), resource_key=filters.get("resource_key"),
            marker=request.query.get("marker"), limit=limit)
    return respond({"jobs": found, "jobs_links": next_links(request, found, limit)})


async def show(request: web.Request) -> web.Response:
    """GET /v1.0/jobs/{id} -> 200 {"job"}; 403; 404 (also another project's)."""
    authorize(request, "tricircle:jobs:show")
    scope = project_scope(request, ALL_PROJECTS)
    async with db(request).session() as s:
        job = await jobs.get_job(s, request.match_info["id"], project_id=scope)
    return respond({"job": job})


async def create(request: web.Request) -> web.Response:
    """POST /v1.0/jobs {"job": {type, resource_key, project_id, payload}} -> 202 {"job"}
    (coalesced into the live job of the same type and resource); 400; 403."""
    authorize(request, "tricircle:jobs:create")
    body = await read_body(request, "job", schemas.JOB_CREATE)
    async with db(request).session() as s:
        job_id = await jobs.enqueue(s, body["type"], body["resource_key"],
                                    project_id=body.get("project_id", ""),
                                    payload=body.get("payload"),
                                    request_id=ctx(request).request_id)
        job = await jobs.get_job(s, job_id)
    _wake_worker(request)
    return respond({"job": job}, 202)


async def redo(request: web.Request) -> web.Response:
    """PUT /v1.0/jobs/{id} -> 200 {"job"} back to new, attempts reset; 403; 404;
    409 running, or superseded by another live job for the same resource."""
    authorize(request, "tricircle:jobs:update")
    async with db(request).session() as s:
        job = await jobs.redo_job(s, request.match_info["id"])
    LOG.info("job %s redone by admin [%s]", job.id, ctx(request).request_id)
    _wake_worker(request)
    return respond({"job": job})


async def delete(request: web.Request) -> web.Response:
    """DELETE /v1.0/jobs/{id} -> 204; 403; 404; 409 running."""
    authorize(request, "tricircle:jobs:delete")
    async with db(request).session() as s:
        await jobs.delete_job(s, request.match_info["id"])
    LOG.info("job %s deleted by admin [%s]", request.match_info["id"], ctx(request).request_id)
    return no_content()
