"""Run the networking audit (routing rows vs the pods' copies) or show its reports."""

from __future__ import annotations

import argparse
import json

from oslo_config import cfg

from tricircle.clients.pod import PodClients
from tricircle.cmd import common
from tricircle.identity.service_auth import ServiceAuth
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobDeps
from tricircle.networking import audit

COLUMNS = ("pod", "kind", "top_id", "bottom_id", "problem", "action", "done", "detail")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    now = sub.add_parser("run", help="Audit now, in this process, and print the findings.")
    now.add_argument("--dry-run", action="store_true",
                     help="Report only: repair nothing.")
    common.add_format(now)
    sub.add_parser("request", help="Ask the job worker to audit now (prints the job id).")
    show = sub.add_parser("show", help="Findings of an audit run (default: the latest).")
    show.add_argument("id", nargs="?")
    common.add_format(show)


def run(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    action = {"run": _run, "request": _request, "show": _show}[args.action]
    return common.run(lambda: action(args, conf))


async def _run(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    auth = ServiceAuth(conf)
    pods = PodClients(auth, timeout=conf.pods.request_timeout)
    try:
        async with common.database(conf) as db:
            report = await audit.run(JobDeps(db=db, pods=pods, service_auth=auth, conf=conf),
                                     repair=not args.dry_run)
    finally:
        await pods.close()
    _print(report, args.format)
    return 0


async def _request(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        job_id = await audit.enqueue(s)
    print(job_id)
    return 0


async def _show(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        if args.id:
            job = await jobs.get_job(s, args.id)
        else:
            found = await jobs.list_jobs(s, job_type=audit.AUDIT, status="succeeded", limit=1)
            if not found:
                print("no audit has finished yet")
                return 1
            job = found[0]
    _print(job.progress.get("report") or {}, args.format)
    return 0


def _print(report: dict, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(report, indent=2, sort_keys=True))
        return
    common.print_table(report.get("findings", []), COLUMNS, fmt)
    print(f"counts: {report.get('counts') or {}}")
