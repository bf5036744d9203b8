"""Register and manage pods (member OpenStack regions)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from oslo_config import cfg

from tricircle.clients.pod import PodClients
from tricircle.cmd import common
from tricircle.db.models import POD_STATES
from tricircle.identity.service_auth import ServiceAuth
from tricircle.pods import health, lifecycle, registry

COLUMNS = ("region_name", "az_name", "pod_az_name", "dc_name", "state", "health", "id")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="Register a pod (a Keystone region).")
    add.add_argument("region", help="Keystone region name of the pod.")
    add.add_argument("--az", default="", help="Top availability zone users see.")
    add.add_argument("--pod-az", default="", help="Availability zone name inside the pod.")
    add.add_argument("--dc", default="", help="Data centre name (informational).")
    add.add_argument("--state", choices=POD_STATES, default="enabled")
    add.add_argument("--no-probe", action="store_true",
                     help="Do not check the pod's endpoints (catalog) and capabilities now.")
    listing = sub.add_parser("list", help="List pods.")
    listing.add_argument("--state", choices=POD_STATES)
    show = sub.add_parser("show", help="Show a pod.")
    show.add_argument("region", help="Region name or pod id.")
    update = sub.add_parser("update", help="Change a pod (e.g. --state draining).")
    update.add_argument("region", help="Region name or pod id.")
    update.add_argument("--az", dest="az_name")
    update.add_argument("--pod-az", dest="pod_az_name")
    update.add_argument("--dc", dest="dc_name")
    update.add_argument("--state", choices=POD_STATES)
    delete = sub.add_parser("delete", help="Remove a pod that holds no resources.")
    delete.add_argument("region", help="Region name or pod id.")
    for p in (add, listing, show, update):
        common.add_format(p)


def run(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    action = {"add": _add, "list": _list, "show": _show, "update": _update,
              "delete": _delete}[args.action]
    return common.run(lambda: action(args, conf))


async def _add(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db:
        async with db.session() as s:
            pod = await lifecycle.add_pod(s, region_name=args.region, az_name=args.az,
                                            pod_az_name=args.pod_az, dc_name=args.dc,
                                            state=args.state)
        if not args.no_probe:
            pod = await probe_now(db, conf, pod)
    common.print_record(pod, args.format)
    return 0


async def probe_now(db: Any, conf: cfg.ConfigOpts, pod: registry.PodInfo) -> registry.PodInfo:
    """Probe `pod` once (endpoints from the catalog, capabilities); warn on failure."""
    pods = PodClients(ServiceAuth(conf), timeout=conf.pods.request_timeout)
    try:
        after = await health.HealthProber(db, pods, conf).probe_pod(pod)
    finally:
        await pods.close()
    if after.last_error:
        print(f"warning: pod {pod.region_name} is registered but its probe failed: "
              f"{after.last_error}", file=sys.stderr)
    return after


async def _list(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        pods = await registry.list_pods(s, state=args.state)
    common.print_table(pods, COLUMNS, args.format)
    return 0


async def _show(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        pod = await registry.get_pod(s, args.region)
    common.print_record(pod, args.format)
    return 0


async def _update(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    fields = {k: getattr(args, k) for k in ("az_name", "pod_az_name", "dc_name", "state")
              if getattr(args, k) is not None}
    if not fields:
        print("error: nothing to update (give --state, --az, --pod-az or --dc)",
              file=sys.stderr)
        return 2
    async with common.database(conf) as db, db.session() as s:
        pod = await lifecycle.change_pod(s, args.region, **fields)
    common.print_record(pod, args.format)
    return 0


async def _delete(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    async with common.database(conf) as db, db.session() as s:
        await registry.delete_pod(s, args.region)
    print(f"pod {args.region} deleted")
    return 0
