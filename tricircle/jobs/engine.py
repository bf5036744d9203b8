"""The job engine: claim due jobs, run their handlers, retry with backoff (DESIGN.md §9).

Claiming takes row locks that skip locked rows (`SELECT … FOR UPDATE SKIP
LOCKED`) on PostgreSQL and MySQL/MariaDB, so any number of workers share the
queue; every claim is also a conditional UPDATE, so even SQLite (one worker by
design) never runs a job twice. A claimed job carries a lease (owner + expiry in
database time) that a heartbeat extends while the handler runs; a job whose
lease expired (its worker died) is claimed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, case, null, or_, select, update

from tricircle.db.clock import utc_after, utcnow
from tricircle.db.models import Job
from tricircle.jobs import handlers as registry
from tricircle.jobs.handlers import Handler, JobContext, JobDeps, PermanentFailure

LOG = logging.getLogger(__name__)
_MAX_ERROR = 4000
_NO_SYNC = {"synchronize_session": False}


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number `attempt` (1-based): base·2^(n-1), capped."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _due() -> Any:
    return or_(and_(Job.status == "new", Job.not_before <= utcnow()),
               and_(Job.status == "running", Job.lease_expires_at < utcnow()))


class JobEngine:
    """Claims and runs jobs. `run_until_idle()` is the synchronous runner tests use;
    `run_forever(stop)` is the worker loop."""

    def __init__(self, deps: JobDeps, *, owner: str | None = None,
                 handlers: Mapping[str, Handler] | None = None) -> None:
        self.deps = deps
        self.owner = owner or default_owner()
        self._handlers = handlers
        self._wake = asyncio.Event()
        opts = deps.conf.jobs
        self.lease = float(opts.lease_seconds)
        self.max_attempts = int(opts.max_attempts)
        self.batch_size = int(opts.batch_size)
        self.poll_interval = float(opts.poll_interval)

    def wake(self) -> None:
        """Look for due jobs now instead of at the next poll (after an enqueue)."""
        self._wake.set()

    async def claim(self, limit: int | None = None) -> list[JobContext]:
        """Lease up to `limit` due jobs to this engine and return them."""
        db = self.deps.db
        async with db.session() as s:
            stmt = (select(Job.id).where(_due()).order_by(Job.not_before, Job.id)
                    .limit(limit or self.batch_size))
            if not db.is_sqlite:
                stmt = stmt.with_for_update(skip_locked=True)
            ids = list((await s.execute(stmt)).scalars())
            claimed = []
            for job_id in ids:
                done = await s.execute(
                    update(Job).where(Job.id == job_id, _due())
                    .values(status="running", lease_owner=self.owner,
                            lease_expires_at=utc_after(self.lease), attempts=Job.attempts + 1)
                    .execution_options(**_NO_SYNC))
                if done.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(job_id)
            rows = (await s.execute(select(Job).where(Job.id.in_(claimed))
                                    .order_by(Job.not_before, Job.id))).scalars().all()
            return [self._context(job) for job in rows]

    def _context(self, job: Job) -> JobContext:
        return JobContext(job_id=job.id, job_type=job.type, resource_key=job.resource_key,
                          project_id=job.project_id, payload=dict(job.payload or {}),
                          deps=self.deps, attempt=job.attempts, request_id=job.request_id,
                          lease_owner=self.owner)

    async def run_once(self) -> int:
        """Claim one batch and run it concurrently; return how many jobs ran."""
        jobs = await self.claim()
        if jobs:
            await asyncio.gather(*(self.run_job(ctx) for ctx in jobs))
        return len(jobs)

    async def run_until_idle(self, max_rounds: int = 1000) -> int:
        """Run due jobs until none is due (jobs waiting for backoff are not due);
        return how many runs happened."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_once()
            if not ran:
                break
            total += ran
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        """The worker loop: keep up to `[jobs] batch_size` jobs running, claiming more
        as runs end; sleep `[jobs] poll_interval` (or until `wake()`) when none is due.
        Cancelling it cancels the runs (their leases expire; others take them over)."""
        LOG.info("job worker %s started", self.owner)
        await registry.run_startup(self.deps)
        running: set[asyncio.Future[str]] = set()
        try:
            while not stop.is_set():
                claimed = await self._claim_free_slots(len(running))
                running.update(asyncio.ensure_future(self._run_logged(c)) for c in claimed)
                if claimed and len(running) < self.batch_size:
                    continue  # more may be due
                running = await self._wait(stop, running)
            if running:
                await asyncio.wait(running)
        finally:
            for run in running:
                run.cancel()
            LOG.info("job worker %s stopped", self.owner)

    async def _run_logged(self, ctx: JobContext) -> str:
        try:
            return await self.run_job(ctx)
        except Exception:  # recording the outcome failed (database down): lease expires
            LOG.exception("job %s: could not record the outcome", ctx.job_id)
            return "lost"

    async def _claim_free_slots(self, busy: int) -> list[JobContext]:
        if busy >= self.batch_size:
            return []
        try:
            return await self.claim(self.batch_size - busy)
        except Exception:  # database down: keep the worker alive, retry later
            LOG.exception("job worker %s: claiming failed", self.owner)
            return []

    async def _wait(self, stop: asyncio.Event,
                    running: set[asyncio.Future[str]]) -> set[asyncio.Future[str]]:
        """Wait for a run to end, a wake-up, a stop or the poll interval; return the
        runs still going."""
        self._wake.clear()
        signals = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        watched: list[asyncio.Future[Any]] = [*running, *signals]
        try:
            await asyncio.wait(watched, timeout=self.poll_interval,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for signal in signals:
                signal.cancel()
        return {run for run in running if not run.done()}

    async def run_job(self, ctx: JobContext) -> str:
        """Run one claimed job; return its status afterwards ('lost' if the lease was lost)."""
        where = f"job {ctx.job_id} {ctx.job_type}[{ctx.resource_key}] attempt {ctx.attempt}"
        if ctx.request_id:
            where += f" (request {ctx.request_id})"
        if ctx.attempt > self.max_attempts:
            return await self._failed(ctx, where, "gave up: the lease expired on every attempt",
                                      permanent=True)
        handler = (self._handlers or registry.HANDLERS).get(ctx.job_type)
        if handler is None:
            return await self._failed(ctx, where, f"no handler for job type {ctx.job_type!r}",
                                      permanent=False)
        LOG.info("%s started", where)
        try:
            await self._with_heartbeat(ctx, handler)
        except asyncio.CancelledError:  # shutdown: hand the job back at once
            await asyncio.shield(self._release(ctx, where))
            raise
        except PermanentFailure as exc:
            return await self._failed(ctx, where, _describe(exc), permanent=True)
        except Exception as exc:
            return await self._failed(ctx, where, _describe(exc), permanent=False)
        return await self._succeeded(ctx, where)

    async def _with_heartbeat(self, ctx: JobContext, handler: Handler) -> None:
        beat = asyncio.ensure_future(self._heartbeat(ctx))
        try:
            await handler(ctx)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _heartbeat(self, ctx: JobContext) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                async with self.deps.db.session() as s:
                    await s.execute(update(Job).where(*self._mine(ctx))
                                    .values(lease_expires_at=utc_after(self.lease))
                                    .execution_options(**_NO_SYNC))
            except Exception:
                LOG.warning("job %s: lease renewal failed", ctx.job_id, exc_info=True)

    async def _release(self, ctx: JobContext, where: str) -> None:
        try:
            async with self.deps.db.session() as s:
                await s.execute(update(Job).where(*self._mine(ctx))
                                .values(status="new", not_before=utcnow(), lease_owner=None,
                                        lease_expires_at=None)
                                .execution_options(**_NO_SYNC))
            LOG.info("%s interrupted by shutdown; handed back", where)
        except Exception:
            LOG.warning("%s interrupted; its lease will expire", where, exc_info=True)

    def _mine(self, ctx: JobContext) -> tuple[Any, ...]:
        return (Job.id == ctx.job_id, Job.lease_owner == self.owner, Job.status == "running")

    async def _finish(self, ctx: JobContext, final: dict[str, Any]) -> str:
        """End this run: back to new if a trigger arrived meanwhile (`rerun`), else
        `final` (status, last_error). One UPDATE decides on the locked row, so a
        trigger committed between a check and a write cannot be lost."""
        again = Job.rerun.is_(True)

        def pick(if_rerun: Any, otherwise: Any) -> Any:
            return case((again, if_rerun), else_=otherwise)

        # MySQL assigns left to right: `rerun` must be reset last.
        assignments = [
            (Job.status, pick("new", final["status"])),
            (Job.live_key, pick(Job.live_key, null())),
            (Job.attempts, pick(0, Job.attempts)),
            (Job.not_before, pick(utcnow(), Job.not_before)),
            (Job.last_error, final["last_error"]),
            (Job.lease_owner, None), (Job.lease_expires_at, None),
            (Job.updated_at, utcnow()),
            (Job.rerun, False),
        ]
        async with self.deps.db.session() as s:
            done = await s.execute(update(Job).where(*self._mine(ctx))
                                   .ordered_values(*assignments)
                                   .execution_options(**_NO_SYNC))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return "lost"
            status = await s.execute(select(Job.status).where(Job.id == ctx.job_id))
            return str(status.scalar_one())

    async def _succeeded(self, ctx: JobContext, where: str) -> str:
        status = await self._finish(ctx, {"status": "succeeded", "last_error": None})
        self._log_end(where, status, None)
        return status

    async def _failed(self, ctx: JobContext, where: str, error: str, *, permanent: bool) -> str:
        error = error[:_MAX_ERROR]
        if permanent or ctx.attempt >= self.max_attempts:
            status = await self._finish(ctx, {"status": "failed", "last_error": error})
        else:
            opts = self.deps.conf.jobs
            delay = backoff(ctx.attempt, opts.backoff_base, opts.backoff_max)
            async with self.deps.db.session() as s:
                done = await s.execute(
                    update(Job).where(*self._mine(ctx))
                    .values(status="new", rerun=False, not_before=utc_after(delay),
                            last_error=error, lease_owner=None, lease_expires_at=None)
                    .execution_options(**_NO_SYNC))
            status = "retry" if done.rowcount == 1 else "lost"  # type: ignore[attr-defined]
        self._log_end(where, status, error)
        return "new" if status == "retry" else status

    @staticmethod
    def _log_end(where: str, status: str, error: str | None) -> None:
        if status == "lost":
            LOG.warning("%s: lease lost (another worker took the job over)", where)
        elif error is None:
            LOG.info("%s %s", where, status)
        else:
            LOG.warning("%s %s: %s", where, "will be retried" if status == "retry" else status,
                        error)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
