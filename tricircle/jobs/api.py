"""Durable jobs: enqueue (in the caller's transaction) and the admin operations.

A job is a row (DESIGN.md §9): new -> running -> succeeded | failed. One live
(new or running) job per (type, resource key), enforced by the unique
`live_key`; a new trigger coalesces into the live job, and a trigger that
arrives while it runs sets `rerun`, so the job runs once more afterwards.
The engine that claims and runs jobs is tricircle/jobs/engine.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, true, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tricircle import faults
from tricircle.db.clock import utc_after, utcnow
from tricircle.db.models import JOB_STATES, Job, new_uuid
from tricircle.db.upsert import dialect_of


@dataclass(frozen=True, slots=True)
class JobInfo:
    id: str
    type: str
    resource_key: str
    project_id: str
    status: str
    attempts: int
    rerun: bool
    not_before: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_error: str | None
    request_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class JobNotFound(faults.NotFound):
    code = "tricircle.job_not_found"
    message = "Job %(id)s could not be found."


class JobBusy(faults.Conflict):
    code = "tricircle.job_busy"
    message = "Job %(id)s is %(why)s."


def live_key(job_type: str, resource_key: str) -> str:
    return f"{job_type}:{resource_key}"


def to_info(job: Job) -> JobInfo:
    return JobInfo(id=job.id, type=job.type, resource_key=job.resource_key,
                   project_id=job.project_id, status=job.status, attempts=job.attempts,
                   rerun=job.rerun, not_before=job.not_before, lease_owner=job.lease_owner,
                   lease_expires_at=job.lease_expires_at, last_error=job.last_error,
                   request_id=job.request_id, payload=dict(job.payload or {}),
                   progress=dict(job.progress or {}), created_at=job.created_at,
                   updated_at=job.updated_at)


async def enqueue(s: AsyncSession, job_type: str, resource_key: str, *, project_id: str = "",
                  payload: dict[str, Any] | None = None, delay: float = 0,
                  request_id: str | None = None) -> str:
    """Add a job in the caller's transaction and return its id.

    If a live job of (job_type, resource_key) exists, coalesce into it and
    return its id: a new one runs no later than `delay` seconds from now (and
    takes `payload` if given); a running one is marked to run once more.
    """
    key = live_key(job_type, resource_key)
    row = {"id": new_uuid(), "type": job_type, "resource_key": resource_key, "live_key": key,
           "project_id": project_id or "", "status": "new", "payload": payload or {},
           "not_before": utc_after(delay), "request_id": request_id, "attempts": 0,
           "rerun": False, "progress": {}, "created_at": utcnow(), "updated_at": utcnow()}
    await s.execute(_upsert(dialect_of(s), row, replace_payload=payload is not None))
    # The upsert holds the live row's lock until the caller commits: it cannot end meanwhile.
    return str((await s.execute(select(Job.id).where(Job.live_key == key))).scalar_one())


def _upsert(dialect: str, row: dict[str, Any], *, replace_payload: bool) -> Any:
    """One statement that inserts the job or coalesces into the live one. A single
    upsert (no insert-then-select-for-update) is what keeps concurrent triggers of
    one resource from deadlocking on MySQL/MariaDB."""
    if dialect == "mysql":
        stmt: Any = mysql.insert(Job).values(**row)
        new = stmt.inserted
    else:
        stmt = (postgresql.insert(Job) if dialect == "postgresql" else sqlite.insert(Job))
        stmt = stmt.values(**row)
        new = stmt.excluded
    changes: dict[str, Any] = {
        "rerun": case((Job.status == "running", true()), else_=Job.rerun),
        "not_before": case(((Job.status == "new") & (Job.not_before > new.not_before),
                            new.not_before), else_=Job.not_before),
        "updated_at": utcnow(),
    }
    if replace_payload:
        changes["payload"] = new.payload
    if dialect == "mysql":
        return stmt.on_duplicate_key_update(**changes)
    return stmt.on_conflict_do_update(index_elements=[Job.live_key], set_=changes)


async def get_job(s: AsyncSession, job_id: str, *, project_id: str | None = None) -> JobInfo:
    """The job `job_id` (of `project_id` unless None). Raises JobNotFound."""
    job = await s.get(Job, job_id, populate_existing=True)
    if job is None or (project_id is not None and job.project_id != project_id):
        raise JobNotFound(id=job_id)
    return to_info(job)


async def list_jobs(s: AsyncSession, *, status: str | None = None, job_type: str | None = None,
                    project_id: str | None = None, resource_key: str | None = None,
                    marker: str | None = None, limit: int = 1000) -> list[JobInfo]:
    """Jobs matching every given filter, newest first, after job `marker`, at most
    `limit`. Raises faults.BadRequest for an unknown status, JobNotFound for a marker."""
    if status is not None and status not in JOB_STATES:
        raise faults.BadRequest("Invalid job status %(s)r: expected one of %(v)s.",
                                s=status, v=", ".join(JOB_STATES))
    stmt = select(Job)
    filters = {Job.status: status, Job.type: job_type, Job.project_id: project_id,
               Job.resource_key: resource_key}
    stmt = stmt.where(*(col == value for col, value in filters.items() if value is not None))
    if marker is not None:
        last = await get_job(s, marker)
        stmt = stmt.where((Job.created_at < last.created_at)
                          | ((Job.created_at == last.created_at) & (Job.id < last.id)))
    stmt = stmt.order_by(Job.created_at.desc(), Job.id.desc()).limit(max(0, limit))
    return [to_info(j) for j in (await s.execute(stmt)).scalars()]


async def redo_job(s: AsyncSession, job_id: str) -> JobInfo:
    """Run a job again now: an ended one goes back to new with its attempts reset;
    a new one becomes due at once. Raises JobNotFound, JobBusy (running, or another
    live job already exists for the same resource)."""
    job = await get_job(s, job_id)
    if job.status == "running":
        raise JobBusy(id=job_id, why="running")
    key = live_key(job.type, job.resource_key)
    clash = select(Job.id).where(Job.live_key == key, Job.id != job_id)
    other = (await s.execute(clash)).scalar()
    if other is not None:
        raise JobBusy(id=job_id, why=f"superseded by live job {other}")
    values: dict[str, Any] = {"status": "new", "live_key": key, "not_before": utcnow(),
                              "lease_owner": None, "lease_expires_at": None}
    if job.status != "new":
        values.update(attempts=0, rerun=False)
    try:
        await s.execute(update(Job).where(Job.id == job_id).values(**values))
    except IntegrityError as exc:  # a trigger created a live job meanwhile
        raise JobBusy(id=job_id, why="superseded by a new live job") from exc
    return await get_job(s, job_id)


async def delete_job(s: AsyncSession, job_id: str) -> None:
    """Delete a job that is not running. Raises JobNotFound, JobBusy."""
    job = await get_job(s, job_id)
    if job.status == "running":
        raise JobBusy(id=job_id, why="running")
    await s.execute(delete(Job).where(Job.id == job_id))


async def count_by_status(s: AsyncSession) -> dict[str, int]:
    """{status: number of jobs} for every status (zero included)."""
    rows = (await s.execute(select(Job.status, func.count()).group_by(Job.status))).all()
    counts = dict.fromkeys(JOB_STATES, 0)
    counts.update({status: n for status, n in rows})
    return counts
