"""Inspect and manage durable jobs (list, show, redo, delete)."""

from __future__ import annotations

import argparse

from oslo_config import cfg

from tricircle.cmd import common
from tricircle.db.models import JOB_STATES
from tricircle.jobs import api as jobs

COLUMNS = ("id", "type", "resource_key", "status", "attempts", "not_before", "last_error")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="List jobs, newest first.")
    listing.add_argument("--status", choices=JOB_STATES)
    listing.add_argument("--type", dest="job_type")
    listing.add_argument("--project", dest="project_id")
    listing.add_argument("--limit", type=int, default=100)
    for name, text in (("show", "Show a job."),
                       ("redo", "Run a job again (back to new, attempts reset)."),
                       ("delete", "Delete a job that is not running.")):
        p = sub.add_parser(name, help=text)
        p.add_argument("id")
        if name != "delete":
            common.add_format(p)
    common.add_format(listing)


def run(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    action = {"list": _list, "show": _show, "redo": _redo, "delete": _delete}[args.action]
    return common.run(lambda: action(args, conf))


async def _list(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        found = await jobs.list_jobs(s, status=args.status, job_type=args.job_type,
                                     project_id=args.project_id, limit=args.limit)
    common.print_table(found, COLUMNS, args.format)
    return 0


async def _show(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        job = await jobs.get_job(s, args.id)
    common.print_record(job, args.format)
    return 0


async def _redo(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        job = await jobs.redo_job(s, args.id)
    common.print_record(job, args.format)
    return 0


async def _delete(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        await jobs.delete_job(s, args.id)
    print(f"job {args.id} deleted")
    return 0
