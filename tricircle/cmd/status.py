"""Check the deployment: database and schema, Keystone, pods, jobs."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from oslo_config import cfg
from sqlalchemy.engine import make_url

from tricircle.cmd import common
from tricircle.db import migrate
from tricircle.identity.service_auth import ServiceAuth
from tricircle.jobs import api as jobs
from tricircle.pods import registry


@dataclass
class Report:
    ok: bool = True
    checks: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, good: bool, detail: Any) -> None:
        self.ok = self.ok and good
        self.checks[name] = {"ok": good, "detail": detail}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_format(parser)


def run(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    return common.run(lambda: _main(args, conf))


async def _main(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    report = Report()
    await _check_database(conf, report)
    await _check_keystone(conf, report)
    if args.format == "json":
        print(json.dumps(common.plain(report.checks), indent=2, sort_keys=True))
    else:
        _print(report)
    return 0 if report.ok else 1


async def _check_database(conf: cfg.ConfigOpts, report: Report) -> None:
    url = make_url(conf.database.connection).render_as_string(hide_password=True)
    async with common.database(conf) as db:
        try:
            problem = await migrate.schema_problem(db.engine)
        except Exception as exc:
            report.add("database", False, f"{url}: unreachable: {exc.__class__.__name__}: {exc}")
            return
        report.add("database", problem is None, f"{url}: {problem or 'schema at head'}")
        if problem:
            return
        async with db.session() as s:
            pods = await registry.list_pods(s)
            counts = await jobs.count_by_status(s)
    # "unknown" (not probed yet) is not a failure: a new pod needs a few probes.
    unhealthy = [p.region_name for p in pods
                 if p.state != "disabled" and p.health == "unhealthy"]
    report.add("pods", not unhealthy, [
        {"region": p.region_name, "az": p.az_name, "state": p.state, "health": p.health,
         "compute": p.capabilities.get("compute", {}).get("max_version", ""),
         "error": p.last_error or ""} for p in pods])
    report.add("jobs", True, counts)


async def _check_keystone(conf: cfg.ConfigOpts, report: Report) -> None:
    url = str(conf.keystone.auth_url)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http, \
                http.get(url) as resp:
            reachable = resp.status < 500
            detail = f"{url}: HTTP {resp.status}"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        reachable, detail = False, f"{url}: unreachable: {exc.__class__.__name__}"
    report.add("keystone", reachable, detail)
    if not reachable:
        return
    try:
        await ServiceAuth(conf).token()
        report.add("service_account", True, f"{conf.keystone.username}: token obtained")
    except Exception as exc:  # keystoneauth1 raises many kinds; report, never the password
        report.add("service_account", False,
                   f"{conf.keystone.username}: {exc.__class__.__name__}")


def _print(report: Report) -> None:
    for name, check in report.checks.items():
        mark = "ok  " if check["ok"] else "FAIL"
        detail = check["detail"]
        if name == "pods":
            print(f"{mark}  pods: {len(detail)} registered")
            common.print_table(detail, ("region", "az", "state", "health", "compute", "error"))
        elif name == "jobs":
            print(f"{mark}  jobs: " + ", ".join(f"{k} {v}" for k, v in detail.items()))
        else:
            print(f"{mark}  {name}: {detail}")
