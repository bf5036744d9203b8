"""Updates at the top reach every pod holding a copy (``networking.sync``).

After central Neutron accepted, through the gateway, an update of a network,
subnet, port or security group, or a change of security group rules, a job
(key: ``<type>:<top id>``) re-reads the top object as admin and brings each
bottom copy in step (`plan.bottom_update`, `groups.sync_rules`). Level-triggered
and coalesced: several updates in a row make one run. Objects with no copy in
any pod are not enqueued.

Members of a group coming and going (a port realised in or released from a pod,
a port's groups changed) enqueue the same job with key ``members:<group id>``:
every copied group with a rule naming that group as remote group is synced, so
each pod's copy lists the addresses of the members in the other pods.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from aiohttp import web

from tricircle.api import keys
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register
from tricircle.networking import groups, plan
from tricircle.networking.bottom import COLLECTIONS, BottomNetworking, PodNeutron
from tricircle.networking.central import CentralNeutron, hints_cache
from tricircle.pods import registry
from tricircle.resources.network import PORT, SECURITY_GROUP
from tricircle.routing import table

LOG = logging.getLogger(__name__)
SYNC = "networking.sync"
MEMBERS = "members"  # key prefix: the members of a remote group changed
_TYPES = {v: k for k, v in COLLECTIONS.items()}
_UPDATE = re.compile(r"^/v2\.0/(networks|subnets|ports|security-groups)/([^/?]+)/?(?:\?.*)?$")
_RULES = re.compile(r"^/v2\.0/security-group-rules(?:/[^/?]+)?/?(?:\?.*)?$")


def changed(method: str, path: str, status: int, body: bytes,
            project_id: str) -> list[tuple[str, str]]:
    """(type, top id) pairs whose copies may need an update after this answer."""
    if not 200 <= status < 300:
        return []
    match = _UPDATE.match(path)
    if method == "PUT" and match:
        return [(_TYPES[match.group(1)], match.group(2))]
    if method == "POST" and _RULES.match(path):
        return [(SECURITY_GROUP, g) for g in _rule_groups(body)]
    return []


def _rule_groups(body: bytes) -> list[str]:
    try:
        doc = json.loads(body)
    except ValueError:
        return []
    rules = doc.get("security_group_rules") or [doc.get("security_group_rule") or {}]
    return sorted({r["security_group_id"] for r in rules if r.get("security_group_id")})


async def after_answer(app: web.Application, method: str, path: str, status: int,
                       body: bytes, project_id: str) -> None:
    """Enqueue the sync of what this answer changed, for objects copied to pods.
    A rule delete names no group: every group of the project with a copy is synced."""
    _forget_hints(app, method, path, status)
    targets = changed(method, path, status, body, project_id)
    rule_deleted = method == "DELETE" and status == 204 and bool(_RULES.match(path))
    if not targets and not rule_deleted:
        return
    async with app[keys.DB].session() as s:
        if rule_deleted:
            rows = await table.list_routes(s, project_id=project_id,
                                           resource_type=SECURITY_GROUP)
            targets = sorted({(SECURITY_GROUP, r.top_id) for r in rows})
        queued = 0
        for kind, top_id in targets:
            if await table.lookup(s, top_id, kind, project_id=None):
                await jobs.enqueue(s, SYNC, f"{kind}:{top_id}", project_id=project_id)
                queued += 1
    engine = app[keys.SERVICES].get("jobs")
    if queued and engine is not None:
        engine.wake()


# A network updated or deleted, or its tags changed (its availability_zone_hints).
_NETWORK = re.compile(r"^/v2\.0/networks/([^/?]+)(?:/tags(?:/[^?]*)?)?/?(?:\?.*)?$")


def _forget_hints(app: web.Application, method: str, path: str, status: int) -> None:
    match = _NETWORK.match(path) if method in ("PUT", "DELETE", "POST") else None
    if match is not None and 200 <= status < 300:
        hints_cache(app).invalidate(match.group(1))


async def enqueue_members(s: Any, group_ids: list[str], project_id: str) -> None:
    """Schedule the sync of the groups that name any of `group_ids` as remote
    group (same transaction as the change of membership)."""
    for group in sorted(set(group_ids)):
        # a burst of boots in one group (a project's default group) makes one run
        await jobs.enqueue(s, SYNC, f"{MEMBERS}:{group}", project_id=project_id, delay=2.0)


@register(SYNC)
async def sync(ctx: JobContext) -> None:
    kind, _, top_id = ctx.resource_key.partition(":")
    deps = ctx.deps
    token = await deps.service_auth.token()
    central = _Central(CentralNeutron(deps.conf, deps.pods), token)
    if kind == MEMBERS:
        for group in await central.referencing(top_id):
            await _sync_object(ctx, central, SECURITY_GROUP, group)
        return
    await _sync_object(ctx, central, kind, top_id)


async def _sync_object(ctx: JobContext, central: _Central, kind: str, top_id: str) -> None:
    deps = ctx.deps
    async with deps.db.session() as s:
        routes = [r for r in await table.lookup(s, top_id, kind, project_id=None) if r.bottom_id]
    if not routes:
        return
    top = await central.get(kind, top_id)
    if top is None:
        return  # deleted meanwhile: the delete's clean-up takes over
    for route in routes:
        async with deps.db.session() as s:
            pod = await registry.get_pod(s, route.pod_id)
        neutron = PodNeutron(await deps.pods.get(pod.region_name), central.token, pod)
        bottom = BottomNetworking(deps.db, neutron, route.project_id)
        await _sync_copy(bottom, central, kind, top, str(route.bottom_id))


class _Central:
    def __init__(self, neutron: CentralNeutron, token: str) -> None:
        self._neutron, self.token = neutron, token

    async def read(self, path: str) -> Any:
        """Central's JSON answer to GET /v2.0<path> (admin). Raises RuntimeError."""
        resp = await self._neutron.call("GET", "/v2.0" + path, self.token)
        if resp.status != 200:
            raise RuntimeError(f"central GET {path}: {resp.status}")
        return resp.json()

    async def referencing(self, group: str) -> list[str]:
        """Top ids of the groups with a rule whose remote group is `group`."""
        found = await self.read(f"/security-group-rules?remote_group_id={group}"
                                "&fields=security_group_id")
        return sorted({r["security_group_id"] for r in found.get("security_group_rules", [])})

    async def get(self, kind: str, top_id: str) -> dict[str, Any] | None:
        """Central's document (admin); None when it is gone."""
        resp = await self._neutron.call("GET", f"/v2.0/{COLLECTIONS[kind]}/{top_id}",
                                        self.token)
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise RuntimeError(f"central {kind} {top_id}: {resp.status}")
        return resp.json()[kind]  # type: ignore[no-any-return]


async def _sync_copy(bottom: BottomNetworking, central: _Central, kind: str,
                     top: dict[str, Any], bottom_id: str) -> None:
    if kind == SECURITY_GROUP:
        await groups.sync_rules(bottom, top, bottom_id, central.read)
        return
    mapped = None
    if kind == PORT:
        mapped = await _port_groups(bottom, central, top, bottom_id)
    body = plan.bottom_update(kind, top, mapped)
    await bottom.neutron.call("PUT", f"/{COLLECTIONS[kind]}/{bottom_id}", body)
    LOG.info("%s %s updated in %s", kind, top["id"], bottom.neutron.pod.region_name)


async def _port_groups(bottom: BottomNetworking, central: _Central, top: dict[str, Any],
                       bottom_id: str) -> dict[str, str]:
    """Top -> bottom ids of the port's groups (groups new to the pod made there);
    the groups it had and has get their members synced."""
    before = await bottom.neutron.call("GET", f"/ports/{bottom_id}?fields=security_groups",
                                       missing_ok=True)
    old = []
    for group in ((before or {}).get("port") or {}).get("security_groups") or []:
        async with bottom.db.session() as s:
            route = await table.find_by_bottom(s, group, SECURITY_GROUP, bottom.neutron.pod.id)
        if route is not None:
            old.append(route.top_id)
    mapped = {}
    for group in top.get("security_groups", []):
        doc = await central.get(SECURITY_GROUP, group)
        if doc is not None:
            mapped[group] = await groups.ensure_group(bottom, doc, central.read)
    async with bottom.db.session() as s:
        await enqueue_members(s, old + list(mapped), top.get("project_id") or "")
    return mapped
