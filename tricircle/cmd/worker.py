"""Run the job worker and the pod health prober against the shared database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from oslo_config import cfg

from tricircle.clients.pod import PodClients
from tricircle.cmd import common
from tricircle.db import migrate
from tricircle.db.engine import Database
from tricircle.identity.service_auth import ServiceAuth
from tricircle.jobs import handlers
from tricircle.jobs.engine import JobEngine
from tricircle.jobs.handlers import JobDeps
from tricircle.jobs.service import single_worker_lock, stop_tasks
from tricircle.pods.health import HealthProber

LOG = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true",
                        help="Run the jobs that are due until none is, then exit.")


def run(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    return common.run(lambda: _main(args, conf))


async def _main(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    db = Database(conf.database.connection, echo=conf.database.echo,
                  pool_size=conf.database.pool_size)
    pods = PodClients(ServiceAuth(conf), timeout=conf.pods.request_timeout,
                      pool_size=conf.pods.connections_per_pod,
                      refresh=conf.keystone.catalog_refresh)
    try:
        problem = await migrate.schema_problem(db.engine)
        if problem:
            LOG.error("%s", problem)
            return 1
        with single_worker_lock(db) as mine:
            if not mine:
                LOG.error("another process runs the job worker of this SQLite database "
                          "(an api process, or another tricircle worker); SQLite has one")
                return 1
            handlers.load_all()
            deps = JobDeps(db=db, pods=pods, service_auth=ServiceAuth(conf), conf=conf)
            engine = JobEngine(deps)
            if args.once:
                print(f"{await engine.run_until_idle()} job run(s)")
                return 0
            await _serve(engine, HealthProber(db, pods, conf))
            return 0
    finally:
        await pods.close()
        await db.close()


async def _serve(engine: JobEngine, prober: HealthProber) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(engine.run_forever(stop), name="job-worker"),
             asyncio.create_task(prober.run_forever(stop), name="pod-health")]
    await stop.wait()
    LOG.info("stopping: waiting for running jobs")
    await stop_tasks(stop, tasks)
