"""Flavors: the same flavor, with the same id, extra specs and access list, in
every pod in service.

Truth: a flavor is what the *source pod* of its last top write holds (the
reference pod that accepted that write). `flavor_sync` jobs (resource key = the
flavor id, payload {"source": region}) make every other pod in service match it
— create, fix extra specs/access/description, recreate on a changed immutable
field, delete when the source no longer has it — and retry with backoff while a
pod is down. `flavor_pod_sync` (resource key = region) copies every flavor of the
reference pod into a newly added pod. Both are level-triggered and idempotent.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tricircle.clients.pod import PodClients, PodRequestError, PodResponse
from tricircle.db.engine import Database
from tricircle.distributed import replicate
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register
from tricircle.pods.registry import PodInfo

LOG = logging.getLogger(__name__)
FLAVOR_SYNC = "flavor_sync"
FLAVOR_POD_SYNC = "flavor_pod_sync"
MICROVERSION = "2.55"  # flavor description; the fields below exist at every later version
IMMUTABLE = ("name", "ram", "vcpus", "disk", "swap", "OS-FLV-EXT-DATA:ephemeral",
             "os-flavor-access:is_public")


class SyncIncomplete(Exception):
    """Some pods could not be brought in line; the job retries."""


@dataclass(slots=True)
class FlavorState:
    """Everything that defines a flavor in one pod."""

    flavor: dict[str, Any]
    extra_specs: dict[str, str] = field(default_factory=dict)
    access: set[str] = field(default_factory=set)

    @property
    def public(self) -> bool:
        return bool(self.flavor.get("os-flavor-access:is_public", True))

    def immutable(self) -> tuple[Any, ...]:
        return tuple(_normal(k, self.flavor.get(k)) for k in IMMUTABLE)


def _normal(key: str, value: Any) -> Any:
    if key == "swap" and value in ("", None):  # "" below 2.75 means no swap
        return 0
    if key == "OS-FLV-EXT-DATA:ephemeral" and value is None:
        return 0
    return value


# ---- enqueueing --------------------------------------------------------------------
async def enqueue_sync(s: AsyncSession, flavor_id: str, source: str, *,
                       request_id: str | None = None) -> str:
    """Make every pod in service match `source`'s copy of `flavor_id` (job id)."""
    return await jobs.enqueue(s, FLAVOR_SYNC, flavor_id, payload={"source": source},
                              request_id=request_id)


async def enqueue_pod_sync(s: AsyncSession, region: str) -> str:
    """Copy every flavor into pod `region` (call when a pod is added or enabled)."""
    return await jobs.enqueue(s, FLAVOR_POD_SYNC, region, payload={"region": region})


# ---- reading and writing one pod -----------------------------------------------------
class PodFlavors:
    """Flavor calls to one pod with the service account's token."""

    def __init__(self, pods: PodClients, region: str, token: str) -> None:
        self.pods, self.region = pods, region
        self.headers = {"X-Auth-Token": token, "Content-Type": "application/json",
                        "OpenStack-API-Version": f"compute {MICROVERSION}"}

    async def call(self, method: str, path: str, body: Any = None,
                   ok: tuple[int, ...] = (200, 202, 204)) -> PodResponse:
        data = json.dumps(body).encode() if body is not None else None
        resp = await replicate.send(self.pods, self.region, method, path,
                                    headers=self.headers, body=data)
        if resp.status not in ok:
            raise SyncIncomplete(f"{self.region}: {method} {path} -> {resp.status}"
                                 f" {resp.body[:200]!r}")
        return resp

    async def exists(self, flavor_id: str) -> bool:
        """One GET: enough before a boot (copies compare the full state)."""
        resp = await self.call("GET", f"/flavors/{flavor_id}", ok=(200, 404))
        return resp.status == 200

    async def read(self, flavor_id: str) -> FlavorState | None:
        resp = await self.call("GET", f"/flavors/{flavor_id}", ok=(200, 404))
        if resp.status == 404:
            return None
        state = FlavorState(resp.json()["flavor"])
        specs = await self.call("GET", f"/flavors/{flavor_id}/os-extra_specs")
        state.extra_specs = dict(specs.json().get("extra_specs") or {})
        if not state.public:
            access = await self.call("GET", f"/flavors/{flavor_id}/os-flavor-access")
            state.access = {a["tenant_id"] for a in access.json().get("flavor_access", [])}
        return state

    async def all_ids(self) -> list[str]:
        resp = await self.call("GET", "/flavors?is_public=None")
        return [f["id"] for f in resp.json().get("flavors", [])]

    async def create(self, flavor_id: str, want: FlavorState) -> None:
        body = {k: _normal(k, want.flavor.get(k)) for k in IMMUTABLE}
        body["id"] = flavor_id
        if want.flavor.get("description") is not None:
            body["description"] = want.flavor["description"]
        await self.call("POST", "/flavors", {"flavor": body})
        await self.fix_details(flavor_id, want, FlavorState(body))

    async def fix_details(self, flavor_id: str, want: FlavorState, have: FlavorState) -> None:
        base = f"/flavors/{flavor_id}"
        if want.flavor.get("description") != have.flavor.get("description"):
            await self.call("PUT", base, {"flavor": {"description":
                                                     want.flavor.get("description")}})
        changed = {k: v for k, v in want.extra_specs.items() if have.extra_specs.get(k) != v}
        if changed:
            await self.call("POST", f"{base}/os-extra_specs", {"extra_specs": changed})
        for key in set(have.extra_specs) - set(want.extra_specs):
            await self.call("DELETE", f"{base}/os-extra_specs/{key}", ok=(200, 204, 404))
        if not want.public:
            for tenant in want.access - have.access:
                await self.call("POST", f"{base}/action",
                                {"addTenantAccess": {"tenant": tenant}}, ok=(200, 409))
            for tenant in have.access - want.access:
                await self.call("POST", f"{base}/action",
                                {"removeTenantAccess": {"tenant": tenant}}, ok=(200, 404))

    async def delete(self, flavor_id: str) -> None:
        await self.call("DELETE", f"/flavors/{flavor_id}", ok=(202, 204, 404))


async def converge(target: PodFlavors, flavor_id: str, want: FlavorState | None) -> None:
    """Make `target`'s copy of `flavor_id` equal to `want` (None: absent)."""
    have = await target.read(flavor_id)
    if want is None:
        if have is not None:
            await target.delete(flavor_id)
        return
    if have is not None and have.immutable() != want.immutable():
        LOG.info("flavor %s differs in %s: recreating", flavor_id, target.region)
        await target.delete(flavor_id)
        have = None
    if have is None:
        await target.create(flavor_id, want)
    else:
        await target.fix_details(flavor_id, want, have)


# ---- jobs ---------------------------------------------------------------------------
async def _targets(db: Database, exclude: str) -> list[str]:
    return [p.region_name for p in await replicate.pods_in_service(db)
            if p.region_name != exclude]


@register(FLAVOR_SYNC)
async def sync_flavor(ctx: JobContext) -> None:
    """Job: every pod in service matches the source pod's copy of the flavor."""
    deps, source = ctx.deps, str(ctx.payload.get("source", ""))
    token = await deps.service_auth.token()
    want = await PodFlavors(deps.pods, source, token).read(ctx.resource_key)
    failures = await replicate.each_other_pod(
        deps.db, source,
        lambda region: converge(PodFlavors(deps.pods, region, token), ctx.resource_key, want))
    if failures:
        raise SyncIncomplete("; ".join(failures))


@register(FLAVOR_POD_SYNC)
async def sync_pod(ctx: JobContext) -> None:
    """Job: a (new) pod gets every flavor the reference pod has."""
    deps, region = ctx.deps, ctx.resource_key
    token = await deps.service_auth.token()
    sources = await _targets(deps.db, region)
    if not sources:
        return
    reference = PodFlavors(deps.pods, sources[0], token)
    target = PodFlavors(deps.pods, region, token)
    ids = await reference.all_ids()
    for done, flavor_id in enumerate(ids, 1):
        await converge(target, flavor_id, await reference.read(flavor_id))
        await ctx.set_progress(done=done, total=len(ids))


# ---- before a server boots ----------------------------------------------------------
async def ensure_flavor(pod: PodInfo, flavor_id: str, *, pods: PodClients, db: Database,
                        token: str) -> bool:
    """Make sure flavor `flavor_id` exists in `pod` before a server boots there
    (a pod added after the flavor, or one whose sync job has not run yet): copy
    it, with extra specs and access, from the first other pod in service that
    has it. `token` is the service account's (flavors are admin objects).

    Returns True when the pod has the flavor afterwards, False when no pod in
    service knows it (let the pod answer Nova's own 400 for an unknown flavor).
    Raises SyncIncomplete or PodRequestError when the copy fails.
    """
    target = PodFlavors(pods, pod.region_name, token)
    if await target.exists(flavor_id):
        return True
    for other in await replicate.pods_in_service(db):
        if other.region_name == pod.region_name:
            continue
        try:
            want = await PodFlavors(pods, other.region_name, token).read(flavor_id)
        except (SyncIncomplete, PodRequestError):
            continue
        if want is not None:
            await converge(target, flavor_id, want)
            return True
    return False
