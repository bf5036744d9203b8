"""Startup hook of the api process: the job engine and the pod health prober.

Registers `app[keys.SERVICES]["jobs"]` (JobEngine: `wake()` after an enqueue
for a prompt run) and `["pod_health"]` (HealthProber). The job worker loop runs
inside the api process when `[api] run_worker` is true, or unset with a SQLite
database (the embedded single-process setup); with PostgreSQL/MySQL run
`tricircle worker` processes instead. The prober always runs; processes share
the probes through the database. Nothing here creates or upgrades the schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterator, Iterator

from aiohttp import web
from oslo_config import cfg

from tricircle.api import app as api_app
from tricircle.api import keys
from tricircle.db import migrate
from tricircle.db.engine import Database
from tricircle.jobs import handlers
from tricircle.jobs.engine import JobEngine
from tricircle.jobs.handlers import JobDeps
from tricircle.pods.health import HealthProber

LOG = logging.getLogger(__name__)
JOBS = "jobs"
POD_HEALTH = "pod_health"
_SHUTDOWN_GRACE = 10.0


def run_worker_here(conf: cfg.ConfigOpts, db: Database) -> bool:
    """Whether the api process runs the job worker: `[api] run_worker`, default SQLite."""
    configured = conf.api.run_worker
    return db.is_sqlite if configured is None else bool(configured)


@contextlib.contextmanager
def single_worker_lock(db: Database) -> Iterator[bool]:
    """Whether this process may run the job worker: with SQLite only one process on the
    host may (an exclusive lock on `<database file>.worker-lock`, released on exit, so
    `[api] workers > 1` and `tricircle worker` never add a second one). Always True
    for PostgreSQL and MySQL, which share the queue with row locks."""
    path = db.sqlite_path
    if path is None:
        yield True
        return
    fd = os.open(path + ".worker-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
        else:
            yield True
    finally:
        os.close(fd)


async def stop_tasks(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Ask the loops to stop; cancel what is still running after a grace period
    (a job cut short is claimed again when its lease expires)."""
    stop.set()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=_SHUTDOWN_GRACE)
    for task in pending:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def background(app: web.Application) -> AsyncIterator[None]:
    conf, db = app[keys.CONF], app[keys.DB]
    problem = await _schema_problem(db)
    if problem:
        LOG.error("%s", problem)
    deps = JobDeps(db=db, pods=app[keys.PODS], service_auth=app[keys.SERVICE_AUTH],
                   conf=conf, services=app[keys.SERVICES])
    engine = JobEngine(deps)
    prober = HealthProber(db, app[keys.PODS], conf)
    app[keys.SERVICES][JOBS] = engine
    app[keys.SERVICES][POD_HEALTH] = prober
    stop = asyncio.Event()
    tasks = [asyncio.create_task(prober.run_forever(stop), name="pod-health")]
    with contextlib.ExitStack() as held:
        if run_worker_here(conf, db):
            if held.enter_context(single_worker_lock(db)):
                handlers.load_all()
                tasks.append(asyncio.create_task(engine.run_forever(stop), name="job-worker"))
            else:
                LOG.info("another process runs the job worker of this SQLite database")
        try:
            yield
        finally:
            await stop_tasks(stop, tasks)


async def _schema_problem(db: Database) -> str | None:
    try:
        return await migrate.schema_problem(db.engine)
    except Exception as exc:  # database unreachable: requests will say so too
        return f"database check failed: {exc.__class__.__name__}"


api_app.STARTUP_HOOKS.append(background)
