"""The networking audit (``networking.audit``): routing rows vs the pods.

For every pod and every type the gateway copies (ports, subnets, networks,
security groups) it reads the routing rows, the pod's resources and central
Neutron's documents of the top ids involved; `reconcile.judge` decides; this
module repairs what is safe (release a row whose copy vanished, delete a copy
whose top object is gone, adopt a marked orphan, bring drifted attributes and
group rules in step) and records every finding in the job's ``progress``
(``report``), which the admin API (``/v1.0/audits``) shows. Findings that are
not safe to repair (a port still used by a device) are reported only.

Runs on demand (``POST /v1.0/audits``, ``tricircle audit``) and periodically:
each periodic run enqueues the next one (`[networking] audit_interval`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tricircle import faults
from tricircle.clients.pod import PodRequestError
from tricircle.db.clock import utcnow
from tricircle.db.engine import Database
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, JobDeps, on_worker_start, register
from tricircle.networking import groups, reconcile, rules
from tricircle.networking import sync as _sync
from tricircle.networking.bottom import COLLECTIONS, BottomNetworking, PodNeutron
from tricircle.networking.central import CentralNeutron, CentralNotConfigured
from tricircle.networking.reconcile import Finding, Observed
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo
from tricircle.resources.network import NETWORK, PORT, SECURITY_GROUP, SUBNET
from tricircle.routing import table

LOG = logging.getLogger(__name__)
AUDIT = "networking.audit"
ON_DEMAND = "on-demand"
# Ports before subnets before networks: a deletion never meets a copy still in use.
KINDS = (PORT, SUBNET, NETWORK, SECURITY_GROUP)
_CHUNK = 40  # top ids per central query (?id=..&id=..)
_MAX_FINDINGS = 500  # kept in the report (counts cover them all)


async def enqueue(s: Any, *, key: str = ON_DEMAND, delay: float = 0,
                  request_id: str | None = None) -> str:
    """Schedule an audit run; the job's id (coalesced with a live one of `key`)."""
    return await jobs.enqueue(s, AUDIT, key, delay=delay, request_id=request_id)


def periodic_key(interval: float, now: float | None = None,
                 after: str | None = None) -> tuple[str, float]:
    """(key, delay) of the next periodic run: one key per slot of `interval`
    seconds, so every process that schedules it names the same job. `after`, the
    key of a run that just finished: the slot after it at the earliest (a run
    made early, e.g. redone by hand, must not queue its own slot again)."""
    now = time.time() if now is None else now
    slot = math.floor(now / interval) + 1
    done = _slot(after)
    if done is not None:
        slot = max(slot, done + 1)
    return f"periodic:{slot}", max(0.0, slot * interval - now)


def _slot(key: str | None) -> int | None:
    prefix, _, number = (key or "").partition(":")
    return int(number) if prefix == "periodic" and number.isdigit() else None


async def schedule_periodic(db: Database, interval: float, *, after: str | None = None) -> None:
    """Make sure the next periodic run is queued (no-op when `interval` is 0)."""
    if interval <= 0:
        return
    key, delay = periodic_key(interval, after=after)
    async with db.session() as s:
        await enqueue(s, key=key, delay=delay)


@on_worker_start
async def _first_periodic_run(deps: JobDeps) -> None:
    await schedule_periodic(deps.db, float(deps.conf.networking.audit_interval))


@register(AUDIT)
async def audit_job(ctx: JobContext) -> None:
    report = await run(ctx.deps)
    await ctx.set_progress(report=report)
    interval = float(ctx.deps.conf.networking.audit_interval)
    if ctx.resource_key.startswith("periodic:") and interval > 0:
        await schedule_periodic(ctx.deps.db, interval, after=ctx.resource_key)


async def run(deps: JobDeps, *, repair: bool = True) -> dict[str, Any]:
    """Audit every pod; the report: findings (each with its action and whether it
    was done), counts per problem, start and end times."""
    started = utcnow()
    central = CentralNeutron(deps.conf, deps.pods)
    try:
        _ = central.url
    except CentralNotConfigured:
        return {"started_at": str(started), "finished_at": str(utcnow()), "findings": [],
                "skipped": "central Neutron is not configured"}
    token = await deps.service_auth.token()
    async with deps.db.session() as s:
        pods = await registry.list_pods(s)
    findings: list[dict[str, Any]] = []
    for pod in pods:
        findings += await _audit_pod(deps, central, token, pod, repair=repair)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["problem"]] = counts.get(f["problem"], 0) + 1
    LOG.info("networking audit: %s", counts or "nothing to report")
    return {"started_at": str(started), "finished_at": str(utcnow()), "counts": counts,
            "findings": findings[:_MAX_FINDINGS], "truncated": len(findings) > _MAX_FINDINGS}


async def _audit_pod(deps: JobDeps, central: CentralNeutron, token: str, pod: PodInfo, *,
                     repair: bool) -> list[dict[str, Any]]:
    try:
        neutron = PodNeutron(await deps.pods.get(pod.region_name), token, pod)
        async with deps.db.session() as s:
            rows = await _all_routes(s, pod.id)
        known = frozenset({r.top_id for r in rows} | {r.bottom_id for r in rows if r.bottom_id})
        out = []
        for kind in KINDS:
            seen = await _observe(neutron, central, token, pod, kind, rows, known)
            for finding in reconcile.judge(seen):
                out.append(await _act(deps, neutron, central, token, finding, repair=repair))
            if kind == SECURITY_GROUP:
                out += await _group_rules(deps, neutron, central, token, seen, repair=repair)
        return out
    except (faults.PodUnavailable, PodRequestError) as exc:
        LOG.warning("audit of %s skipped: %s", pod.region_name, exc)
        return [Finding(pod.region_name, "pod", pod.id, None, "unreachable", "report",
                        str(exc)).as_dict() | {"done": False}]


async def _all_routes(s: Any, pod_id: str) -> list[table.Route]:
    rows: list[table.Route] = []
    while True:
        page = await table.list_routes(s, pod_id=pod_id, marker=rows[-1].id if rows else None,
                                       limit=1000)
        rows += page
        if len(page) < 1000:
            return rows


async def _observe(neutron: PodNeutron, central: CentralNeutron, token: str, pod: PodInfo,
                   kind: str, rows: list[table.Route], known: frozenset[str]) -> Observed:
    collection = COLLECTIONS[kind]
    listed = await neutron.call("GET", f"/{collection}")
    bottom = (listed or {}).get(collection.replace("-", "_"), [])
    routes = [r for r in rows if r.resource_type == kind]
    wanted = {r.top_id for r in routes} | {t for t in map(reconcile.marker, bottom) if t}
    tops = await _central_docs(central, token, collection, sorted(wanted))
    return Observed(pod.region_name, kind, routes, bottom, tops, known)


async def _central_docs(central: CentralNeutron, token: str, collection: str,
                        ids: list[str]) -> dict[str, dict[str, Any]]:
    """Central's documents of `ids` that exist (admin, any project)."""
    docs: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        query = "&".join(f"id={i}" for i in ids[start:start + _CHUNK])
        resp = await central.call("GET", f"/v2.0/{collection}?{query}", token)
        if resp.status != 200:
            raise RuntimeError(f"central GET {collection}: {resp.status}")
        for doc in resp.json().get(collection.replace("-", "_"), []):
            docs[doc["id"]] = doc
    return docs


async def _act(deps: JobDeps, neutron: PodNeutron, central: CentralNeutron, token: str,
               finding: Finding, *, repair: bool) -> dict[str, Any]:
    done = False
    if repair and finding.action != "report":
        try:
            await _ACTIONS[finding.action](deps, neutron, finding)
            done = True
        except (faults.TricircleError, RuntimeError) as exc:
            LOG.warning("audit could not %s %s %s in %s: %s", finding.action, finding.kind,
                        finding.top_id, finding.pod, exc)
    return finding.as_dict() | {"done": done}


async def _release(deps: JobDeps, neutron: PodNeutron, f: Finding) -> None:
    collection = COLLECTIONS[f.kind]
    if await neutron.call("GET", f"/{collection}/{f.bottom_id}", missing_ok=True) is not None:
        raise RuntimeError("the copy is there after all")  # listed before it was made
    async with deps.db.session() as s:
        route = next((r for r in await table.lookup(s, f.top_id, f.kind, project_id=None)
                      if r.pod_id == neutron.pod.id and r.bottom_id == f.bottom_id), None)
        if route is not None:
            await table.release(s, route.id)


async def _delete(deps: JobDeps, neutron: PodNeutron, f: Finding) -> None:
    await neutron.call("DELETE", f"/{COLLECTIONS[f.kind]}/{f.bottom_id}", missing_ok=True)
    await _release(deps, neutron, f)


async def _adopt(deps: JobDeps, neutron: PodNeutron, f: Finding) -> None:
    found = await neutron.call("GET", f"/{COLLECTIONS[f.kind]}/{f.bottom_id}")
    item = next(iter(found.values()))
    async with deps.db.session() as s:
        if any(r.pod_id == neutron.pod.id
               for r in await table.lookup(s, f.top_id, f.kind, project_id=None)):
            return  # a row appeared meanwhile (a create bound it)
        await table.create_route(s, top_id=f.top_id, bottom_id=str(f.bottom_id),
                                 pod_id=neutron.pod.id, resource_type=f.kind,
                                 project_id=item.get("project_id") or item.get("tenant_id")
                                 or "")


async def _resync(deps: JobDeps, neutron: PodNeutron, f: Finding) -> None:
    async with deps.db.session() as s:
        await jobs.enqueue(s, _sync.SYNC, f"{f.kind}:{f.top_id}")


_ACTIONS: dict[str, Callable[[JobDeps, PodNeutron, Finding], Awaitable[None]]] = {
    "release": _release, "delete": _delete, "adopt": _adopt, "sync": _resync}


async def _group_rules(deps: JobDeps, neutron: PodNeutron, central: CentralNeutron, token: str,
                       seen: Observed, *, repair: bool) -> list[dict[str, Any]]:
    """Copies of groups whose rules differ from central's (remote groups expanded)."""
    out = []
    by_id = {item["id"]: item for item in seen.bottom}

    async def central_get(path: str) -> Any:
        return (await central.call("GET", "/v2.0" + path, token)).json()

    for route in seen.routes:
        top, item = seen.tops.get(route.top_id), by_id.get(route.bottom_id or "")
        if top is None or item is None:
            continue
        bottom = BottomNetworking(deps.db, neutron, route.project_id)
        top_rules = top.get("security_group_rules", [])
        view = await groups.remote_view(bottom, top_rules, central_get)
        add, delete = rules.rule_changes(top_rules, item.get("security_group_rules", []),
                                         top["id"], item["id"], view)
        if add or delete:
            finding = Finding(seen.pod, SECURITY_GROUP, route.top_id, route.bottom_id,
                              "drifted", "sync", f"rules: {len(add)} missing, "
                              f"{len(delete)} extra")
            if repair:
                await groups.sync_rules(bottom, top, item["id"], central_get)
            out.append(finding.as_dict() | {"done": repair})
    return out
