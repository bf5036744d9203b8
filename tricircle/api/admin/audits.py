"""/v1.0/audits: the networking audit (routing rows vs the pods' copies).

Each run is a ``networking.audit`` job; its report (findings, each with the
action taken or ``report`` for the operator) is the job's progress.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.api.admin.common import authorize, ctx, db, limit_of, query, respond
from tricircle.jobs import api as jobs
from tricircle.jobs.api import JobInfo
from tricircle.networking import audit


class AuditNotFound(faults.NotFound):
    code = "tricircle.audit_not_found"
    message = "Audit %(id)s could not be found."


def _record(job: JobInfo) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "trigger": job.resource_key,
            "attempts": job.attempts, "created_at": job.created_at,
            "updated_at": job.updated_at, "last_error": job.last_error,
            "report": job.progress.get("report")}


async def index(request: web.Request) -> web.Response:
    """GET /v1.0/audits[?status=&limit=] -> 200 {"audits"} newest first; 400; 403."""
    authorize(request, "tricircle:audits:list")
    filters = query(request, ["status"])
    async with db(request).session() as s:
        found = await jobs.list_jobs(s, status=filters.get("status"), job_type=audit.AUDIT,
                                     marker=request.query.get("marker"),
                                     limit=limit_of(request))
    return respond({"audits": [_record(j) for j in found]})


async def show(request: web.Request) -> web.Response:
    """GET /v1.0/audits/{id} -> 200 {"audit"}; 403; 404."""
    authorize(request, "tricircle:audits:show")
    async with db(request).session() as s:
        try:
            job = await jobs.get_job(s, request.match_info["id"])
        except jobs.JobNotFound:
            job = None
    if job is None or job.type != audit.AUDIT:
        raise AuditNotFound(id=request.match_info["id"])
    return respond({"audit": _record(job)})


async def create(request: web.Request) -> web.Response:
    """POST /v1.0/audits (no body needed) -> 202 {"audit"}: a run now (coalesced
    with a pending on-demand run); 403."""
    authorize(request, "tricircle:audits:create")
    async with db(request).session() as s:
        job_id = await audit.enqueue(s, request_id=ctx(request).request_id)
        job = await jobs.get_job(s, job_id)
    engine = request.app[keys.SERVICES].get("jobs")
    if engine is not None:
        engine.wake()
    return respond({"audit": _record(job)}, 202)
