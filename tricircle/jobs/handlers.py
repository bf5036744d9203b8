"""Job handlers: what a job of each type does, registered by type name.

A handler is `async def handler(ctx: JobContext) -> None`. It is level-triggered
and idempotent (it may run again after a crash or a lost lease): it re-reads the
state it needs and makes the pods match. Raising retries with exponential
backoff; raising `PermanentFailure` stops retrying.

Modules that define handlers must be imported by the process that runs the
worker; `load_all()` imports the API surfaces, which import their domain modules.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from oslo_config import cfg
from sqlalchemy import update

from tricircle.db.clock import utc_after
from tricircle.db.models import Job

if TYPE_CHECKING:
    from tricircle.clients.pod import PodClients
    from tricircle.db.engine import Database
    from tricircle.identity.service_auth import ServiceAuth

LOG = logging.getLogger(__name__)


@dataclass
class JobDeps:
    """What handlers may use: the database, pod clients, service account, config."""

    db: Database
    pods: PodClients
    service_auth: ServiceAuth
    conf: cfg.ConfigOpts
    services: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobContext:
    job_id: str
    job_type: str
    resource_key: str
    project_id: str
    payload: dict[str, Any]
    deps: JobDeps
    attempt: int = 1
    request_id: str | None = None
    lease_owner: str = field(default="", repr=False)

    async def set_progress(self, **progress: Any) -> None:
        """Record progress for the admin API and extend this run's lease."""
        lease = float(self.deps.conf.jobs.lease_seconds)
        async with self.deps.db.session() as s:
            await s.execute(update(Job).where(Job.id == self.job_id,
                                              Job.lease_owner == self.lease_owner)
                            .values(progress=progress, lease_expires_at=utc_after(lease)))


class PermanentFailure(Exception):
    """Raised by a handler: retrying cannot help; the job ends failed."""


Handler = Callable[[JobContext], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}
# Imported by load_all(): modules whose import registers handlers.
HANDLER_MODULES = ("tricircle.api.routes", "tricircle.routing.repair",
                   "tricircle.distributed.flavors", "tricircle.distributed.keypairs",
                   "tricircle.distributed.volume_types", "tricircle.volumes.group_types",
                   "tricircle.networking.binding", "tricircle.networking.cleanup",
                   "tricircle.networking.release", "tricircle.networking.sync",
                   "tricircle.networking.routers", "tricircle.networking.l3hooks",
                   "tricircle.networking.interfaces", "tricircle.networking.audit",
                   "tricircle.networking.settle",
                   "tricircle.images.replicate", "tricircle.images.sync")


def register(job_type: str) -> Callable[[Handler], Handler]:
    """Decorator: `handler` runs the jobs of `job_type` (the last registration wins)."""

    def decorator(handler: Handler) -> Handler:
        HANDLERS[job_type] = handler
        return handler

    return decorator


# Run once when a worker loop starts (e.g. queue the next run of a periodic job).
StartupTask = Callable[[JobDeps], Awaitable[None]]
STARTUP: list[StartupTask] = []


def on_worker_start(task: StartupTask) -> StartupTask:
    """Decorator: `task(deps)` runs when a worker loop starts (failures are logged)."""
    STARTUP.append(task)
    return task


async def run_startup(deps: JobDeps) -> None:
    for task in STARTUP:
        try:
            await task(deps)
        except Exception:  # a worker must start whatever a task does
            LOG.exception("worker start task %s failed", getattr(task, "__name__", task))


def get(job_type: str) -> Handler | None:
    return HANDLERS.get(job_type)


def load_all() -> None:
    """Import the modules that register handlers (for a standalone worker)."""
    for name in HANDLER_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            LOG.warning("job handler module %s not loaded: %s", name, exc)
