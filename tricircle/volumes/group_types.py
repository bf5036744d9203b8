"""Group types (Cinder 3.11+) brought in line across pods, as volume types are
(`tricircle.distributed.volume_types`; the write path is shared, `GROUP_TYPES`):

* ``group_type_sync`` (resource key = the type's name, payload {"source":
  region}): every pod in service matches the source pod's copy (name,
  description, public flag, group specs; absent there: deleted), after a write
  some pods missed (down, or refused);
* ``group_type_pod_sync`` (resource key = region): a pod added, or enabled
  again, gets every group type of the reference pod.

Calls use the service account's token at microversion 3.11.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tricircle.clients.pod import PodClients, PodResponse
from tricircle.distributed import replicate
from tricircle.distributed.volume_types import GROUP_TYPES, SERVICE, SyncIncomplete
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register

TYPE_SYNC = "group_type_sync"
TYPE_POD_SYNC = "group_type_pod_sync"


@dataclass(slots=True)
class GroupTypeState:
    """Everything that defines a group type in one pod."""

    name: str
    description: str | None = None
    public: bool = True
    specs: dict[str, str] = field(default_factory=dict)


class PodGroupTypes:
    """Group type calls to one pod with the service account's token."""

    def __init__(self, pods: PodClients, region: str, token: str) -> None:
        self.pods, self.region = pods, region
        self.headers = {"X-Auth-Token": token, "Content-Type": "application/json",
                        **dict(GROUP_TYPES.headers)}

    async def call(self, method: str, path: str, body: Any = None,
                   ok: tuple[int, ...] = (200, 202, 204)) -> PodResponse:
        data = json.dumps(body).encode() if body is not None else None
        resp = await replicate.send(self.pods, self.region, method, path, headers=self.headers,
                                    body=data, service_type=SERVICE)
        if resp.status not in ok:
            raise SyncIncomplete(f"{self.region}: {method} {path} -> {resp.status}"
                                 f" {resp.body[:200]!r}")
        return resp

    async def names(self) -> list[str]:
        resp = await self.call("GET", "/group_types?is_public=None")
        return sorted(t["name"] for t in (resp.json() or {}).get("group_types", []))

    async def read(self, name: str) -> tuple[str, GroupTypeState] | None:
        resp = await self.call("GET", "/group_types?is_public=None")
        found = next((t for t in (resp.json() or {}).get("group_types", [])
                      if t.get("name") == name), None)
        if found is None:
            return None
        return found["id"], GroupTypeState(name, found.get("description"),
                                           bool(found.get("is_public", True)),
                                           dict(found.get("group_specs") or {}))

    async def converge(self, name: str, want: GroupTypeState | None) -> None:
        """Make this pod's copy of group type `name` equal to `want` (None: absent)."""
        found = await self.read(name)
        if want is None:
            if found is not None:
                await self.call("DELETE", f"/group_types/{found[0]}", ok=(202, 204, 404))
            return
        if found is None:
            made = await self.call("POST", "/group_types", {"group_type": {
                "name": want.name, "description": want.description,
                "is_public": want.public, "group_specs": want.specs}})
            return await self._fix_specs(made.json()["group_type"]["id"], want, want.specs)
        type_id, have = found
        if (want.description, want.public) != (have.description, have.public):
            await self.call("PUT", f"/group_types/{type_id}", {"group_type": {
                "description": want.description, "is_public": want.public}})
        await self._fix_specs(type_id, want, have.specs)

    async def _fix_specs(self, type_id: str, want: GroupTypeState,
                         have: dict[str, str]) -> None:
        changed = {k: v for k, v in want.specs.items() if have.get(k) != v}
        if changed:
            await self.call("POST", f"/group_types/{type_id}/group_specs",
                            {"group_specs": changed})
        for key in set(have) - set(want.specs):
            await self.call("DELETE", f"/group_types/{type_id}/group_specs/{key}",
                            ok=(200, 202, 204, 404))


async def enqueue_sync(s: Any, name: str, source: str, *, request_id: str | None = None) -> str:
    """Make every pod in service match `source`'s copy of group type `name`."""
    return await jobs.enqueue(s, TYPE_SYNC, name, payload={"source": source},
                              request_id=request_id)


@register(TYPE_SYNC)
async def sync_type(ctx: JobContext) -> None:
    """Job: every pod in service matches the source pod's copy of the group type."""
    deps, source = ctx.deps, str(ctx.payload.get("source", ""))
    token = await deps.service_auth.token()
    found = await PodGroupTypes(deps.pods, source, token).read(ctx.resource_key)
    want = found[1] if found else None
    failures = await replicate.each_other_pod(
        deps.db, source,
        lambda region: PodGroupTypes(deps.pods, region, token).converge(ctx.resource_key, want))
    if failures:
        raise SyncIncomplete("; ".join(failures))


async def enqueue_pod_sync(s: Any, region: str) -> str:
    """Copy every group type into pod `region` (a pod added or enabled again)."""
    return await jobs.enqueue(s, TYPE_POD_SYNC, region, payload={"region": region})


@register(TYPE_POD_SYNC)
async def sync_pod(ctx: JobContext) -> None:
    """Job: a (new) pod gets every group type the reference pod has."""
    deps, region = ctx.deps, ctx.resource_key
    token = await deps.service_auth.token()
    sources = [p.region_name for p in await replicate.pods_in_service(deps.db)
               if p.region_name != region]
    if not sources:
        return
    reference = PodGroupTypes(deps.pods, sources[0], token)
    target = PodGroupTypes(deps.pods, region, token)
    names = await reference.names()
    for done, name in enumerate(names, 1):
        found = await reference.read(name)
        if found is not None:
            await target.converge(name, found[1])
        await ctx.set_progress(done=done, total=len(names))
