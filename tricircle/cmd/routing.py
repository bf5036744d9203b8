"""Inspect and repair the routing table (where top resources live)."""

from __future__ import annotations

import argparse

from oslo_config import cfg

from tricircle.cmd import common
from tricircle.pods import registry
from tricircle.routing import table

COLUMNS = ("id", "resource_type", "top_id", "bottom_id", "region_name", "project_id",
           "created_at")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="List routings (every project).")
    listing.add_argument("--project", dest="project_id")
    listing.add_argument("--type", dest="resource_type")
    listing.add_argument("--pod", help="Pod id or region name.")
    listing.add_argument("--top-id")
    listing.add_argument("--bottom-id")
    listing.add_argument("--reservations", action="store_true",
                         help="Only reservations (bottom id not set yet).")
    listing.add_argument("--marker", type=int, help="List after this routing id.")
    listing.add_argument("--limit", type=int, default=1000)
    show = sub.add_parser("show", help="Show a routing.")
    show.add_argument("id", type=int)
    delete = sub.add_parser("delete", help="Delete a routing (the bottom resource stays).")
    delete.add_argument("id", type=int)
    for p in (listing, show):
        common.add_format(p)


def run(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    action = {"list": _list, "show": _show, "delete": _delete}[args.action]
    return common.run(lambda: action(args, conf))


async def _list(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        pod_id = None
        if args.pod:
            pod_id = (await registry.get_pod(s, args.pod)).id
        routes = await table.list_routes(
            s, project_id=args.project_id, resource_type=args.resource_type, pod_id=pod_id,
            top_id=args.top_id, bottom_id=args.bottom_id, marker=args.marker,
            limit=args.limit)
    if args.reservations:
        routes = [r for r in routes if r.bottom_id is None]
    common.print_table(routes, COLUMNS, args.format)
    return 0


async def _show(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        route = await table.get_route(s, args.id)
    common.print_record(route, args.format)
    return 0


async def _delete(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        await table.delete_route(s, args.id)
    print(f"routing {args.id} deleted")
    return 0
