"""Volume types: defined at the top, the same type (name, description, public
flag, extra specs, access list) in every pod in service, like flavors.

Cinder chooses a type's id itself (its API takes none), so one type has a
different id in every pod: the *name* is the key across pods. The top id is
the id in the reference pod (the first pod in service, in region order, that
answers); the same type elsewhere is found by name (`TypeIds`, a short-lived
per-process cache of each pod's name -> id). Writes go to the reference pod
first, with the user's token (its answer is the client's), then to the other
pods with each pod's own id in the path; pods that miss a write get a
`volume_type_sync` job (resource key = type name, payload {"source": region})
that makes them match the source pod, and retries while a pod is down.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from tricircle import faults
from tricircle.clients.pod import PodClients, PodRequestError, PodResponse
from tricircle.distributed import replicate
from tricircle.fanout.gather import gather
from tricircle.identity.service_auth import ServiceAuth
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register
from tricircle.pods.registry import PodInfo

LOG = logging.getLogger(__name__)
SERVICE = "volumev3"
TYPE_SYNC = "volume_type_sync"
_UUID_PART = r"[0-9a-fA-F-]{36}"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}$")


class SyncIncomplete(Exception):
    """Some pods could not be brought in line; the job retries."""


@dataclass(frozen=True)
class TypeKind:
    """Volume types, or group types (3.11+, same shape: the name is the key
    across pods, writes go to every pod in service; no sync job for them)."""

    segment: str                 # URL segment: /types, /group_types
    list_key: str                # list body key
    member_key: str              # member body key
    headers: tuple[tuple[str, str], ...] = ()  # what the service account sends

    @functools.cached_property
    def in_path(self) -> re.Pattern[str]:
        return re.compile(rf"(/{self.segment}/)({_UUID_PART})(?=/|\?|$)")

    @functools.cached_property
    def itself(self) -> re.Pattern[str]:
        return re.compile(rf"/{self.segment}/{_UUID_PART}/?(\?.*)?$")


VOLUME_TYPES = TypeKind("types", "volume_types", "volume_type")
GROUP_TYPES = TypeKind("group_types", "group_types", "group_type",
                       (("OpenStack-API-Version", "volume 3.11"),))


def type_id_in_path(path: str, kind: TypeKind = VOLUME_TYPES) -> str | None:
    """The type id in a ``/types/<id>[/...]`` path, if any."""
    match = kind.in_path.search(path)
    return match.group(2) if match else None


def with_type_id(path: str, type_id: str, kind: TypeKind = VOLUME_TYPES) -> str:
    """`path` naming `type_id` instead of the id it names."""
    return kind.in_path.sub(lambda m: m.group(1) + type_id, path, count=1)


class TypeIds:
    """Each pod's volume (or group) types by name (service account), cached for
    `ttl` seconds."""

    kind: TypeKind = VOLUME_TYPES

    def __init__(self, pods: PodClients, service_auth: ServiceAuth, *, ttl: float = 30.0,
                 kind: TypeKind = VOLUME_TYPES) -> None:
        self._pods = pods
        self._auth = service_auth
        self._ttl = ttl
        self.kind = kind
        self._cache: dict[str, tuple[float, dict[str, str]]] = {}

    async def by_name(self, region: str) -> dict[str, str]:
        """name -> id of every type in `region`. Raises PodRequestError."""
        hit = self._cache.get(region)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        headers = {"X-Auth-Token": await self._auth.token(), **dict(self.kind.headers)}
        resp = await replicate.send(self._pods, region, "GET",
                                    f"/{self.kind.segment}?is_public=None",
                                    headers=headers, service_type=SERVICE)
        if resp.status != 200:
            raise PodRequestError(region, f"{self.kind.list_key} answered {resp.status}")
        names = {t["name"]: t["id"] for t in (resp.json() or {}).get(self.kind.list_key, [])}
        self._cache[region] = (time.monotonic() + self._ttl, names)
        return names

    def forget(self) -> None:
        """After a write: names or ids may have changed."""
        self._cache.clear()

    async def name_of(self, pods: list[PodInfo], type_id: str) -> str | None:
        """The name of the type with id `type_id` in any of `pods` (ids are UUIDs)."""
        for pod in pods:
            try:
                names = await self.by_name(pod.region_name)
            except PodRequestError:
                continue
            for name, ident in names.items():
                if ident == type_id:
                    return name
        return None

    async def top_ids(self, pods: list[PodInfo]) -> dict[str, str]:
        """Every other pod's id of a type -> its top id (the reference pod's, the
        first of `pods` that answers), matched by name. Pods that cannot be asked
        are left out."""
        mapping: dict[str, str] = {}
        reference: dict[str, str] | None = None
        for pod in pods:
            try:
                names = await self.by_name(pod.region_name)
            except PodRequestError:
                continue
            if reference is None:
                reference = names
                continue
            mapping.update({ident: reference[name] for name, ident in names.items()
                            if name in reference and reference[name] != ident})
        return mapping

    async def id_in(self, region: str, name: str) -> str | None:
        return (await self.by_name(region)).get(name)

    async def for_pod(self, pods: list[PodInfo], region: str, value: str) -> str:
        """What to send to `region` for a type named by the client (name or top id):
        the value itself when the pod knows it, else the type's name (Cinder takes
        a name wherever it takes an id)."""
        if not _UUID.match(value):
            return value
        try:
            if value in (await self.by_name(region)).values():
                return value
        except PodRequestError:
            return value
        return await self.name_of(pods, value) or value


# ---- one pod's copy of a type ------------------------------------------------------
@dataclass(slots=True)
class TypeState:
    """Everything that defines a volume type in one pod."""

    name: str
    description: str | None = None
    public: bool = True
    extra_specs: dict[str, str] = field(default_factory=dict)
    access: set[str] = field(default_factory=set)


class PodTypes:
    """Volume type calls to one pod with the service account's token."""

    def __init__(self, pods: PodClients, region: str, token: str) -> None:
        self.pods, self.region = pods, region
        self.headers = {"X-Auth-Token": token, "Content-Type": "application/json"}

    async def call(self, method: str, path: str, body: Any = None,
                   ok: tuple[int, ...] = (200, 202, 204)) -> PodResponse:
        data = json.dumps(body).encode() if body is not None else None
        resp = await replicate.send(self.pods, self.region, method, path, headers=self.headers,
                                    body=data, service_type=SERVICE)
        if resp.status not in ok:
            raise SyncIncomplete(f"{self.region}: {method} {path} -> {resp.status}"
                                 f" {resp.body[:200]!r}")
        return resp

    async def find(self, name: str) -> str | None:
        resp = await self.call("GET", "/types?is_public=None")
        return next((t["id"] for t in (resp.json() or {}).get("volume_types", [])
                     if t.get("name") == name), None)

    async def read(self, name: str) -> tuple[str, TypeState] | None:
        type_id = await self.find(name)
        if type_id is None:
            return None
        found = (await self.call("GET", f"/types/{type_id}")).json()["volume_type"]
        state = TypeState(name, found.get("description"),
                          bool(found.get("os-volume-type-access:is_public",
                                         found.get("is_public", True))),
                          dict(found.get("extra_specs") or {}))
        if not state.public:
            access = await self.call("GET", f"/types/{type_id}/os-volume-type-access")
            state.access = {a["project_id"] for a in
                            (access.json() or {}).get("volume_type_access", [])}
        return type_id, state

    async def create(self, want: TypeState) -> None:
        body = {"name": want.name, "description": want.description,
                "os-volume-type-access:is_public": want.public,
                "extra_specs": want.extra_specs}
        made = (await self.call("POST", "/types", {"volume_type": body})).json()["volume_type"]
        await self.fix(made["id"], want, TypeState(want.name, want.description, want.public,
                                                   dict(want.extra_specs)))

    async def fix(self, type_id: str, want: TypeState, have: TypeState) -> None:
        base = f"/types/{type_id}"
        if (want.description, want.public) != (have.description, have.public):
            await self.call("PUT", base, {"volume_type": {"description": want.description,
                                                          "is_public": want.public}})
        changed = {k: v for k, v in want.extra_specs.items() if have.extra_specs.get(k) != v}
        if changed:
            await self.call("POST", f"{base}/extra_specs", {"extra_specs": changed})
        for key in set(have.extra_specs) - set(want.extra_specs):
            await self.call("DELETE", f"{base}/extra_specs/{key}", ok=(200, 202, 204, 404))
        if not want.public:
            for project in want.access - have.access:
                await self.call("POST", f"{base}/action",
                                {"addProjectAccess": {"project": project}}, ok=(200, 202, 409))
            for project in have.access - want.access:
                await self.call("POST", f"{base}/action",
                                {"removeProjectAccess": {"project": project}},
                                ok=(200, 202, 404))


async def converge(target: PodTypes, name: str, want: TypeState | None) -> None:
    """Make `target`'s copy of type `name` equal to `want` (None: absent)."""
    found = await target.read(name)
    if want is None:
        if found is not None:
            await target.call("DELETE", f"/types/{found[0]}", ok=(202, 204, 404))
        return
    if found is None:
        await target.create(want)
    else:
        await target.fix(found[0], want, found[1])


async def enqueue_sync(s: Any, name: str, source: str, *, request_id: str | None = None) -> str:
    """Make every pod in service match `source`'s copy of type `name` (job id)."""
    return await jobs.enqueue(s, TYPE_SYNC, name, payload={"source": source},
                              request_id=request_id)


@register(TYPE_SYNC)
async def sync_type(ctx: JobContext) -> None:
    """Job: every pod in service matches the source pod's copy of the type."""
    deps, source = ctx.deps, str(ctx.payload.get("source", ""))
    token = await deps.service_auth.token()
    found = await PodTypes(deps.pods, source, token).read(ctx.resource_key)
    want = found[1] if found else None
    failures = await replicate.each_other_pod(
        deps.db, source,
        lambda region: converge(PodTypes(deps.pods, region, token), ctx.resource_key, want))
    if failures:
        raise SyncIncomplete("; ".join(failures))


TYPE_POD_SYNC = "volume_type_pod_sync"


async def enqueue_pod_sync(s: Any, region: str) -> str:
    """Copy every volume type into pod `region` (a pod added or enabled again)."""
    return await jobs.enqueue(s, TYPE_POD_SYNC, region, payload={"region": region})


@register(TYPE_POD_SYNC)
async def sync_pod(ctx: JobContext) -> None:
    """Job: a (new) pod gets every type the reference pod has."""
    deps, region = ctx.deps, ctx.resource_key
    token = await deps.service_auth.token()
    sources = [p.region_name for p in await replicate.pods_in_service(deps.db)
               if p.region_name != region]
    if not sources:
        return
    reference, target = PodTypes(deps.pods, sources[0], token), PodTypes(deps.pods, region,
                                                                         token)
    resp = await reference.call("GET", "/types?is_public=None")
    names = sorted(t["name"] for t in (resp.json() or {}).get("volume_types", []))
    for done, name in enumerate(names, 1):
        found = await reference.read(name)
        if found is not None:
            await converge(target, name, found[1])
        await ctx.set_progress(done=done, total=len(names))


# ---- writes at the top ---------------------------------------------------------------
@dataclass(slots=True)
class TypeWrite:
    """The reference pod's answer, the type's name, and the pods that missed it."""

    pod: PodInfo
    response: PodResponse
    name: str | None
    lagging: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return 200 <= self.response.status < 300


def _created_name(body: bytes | None, kind: TypeKind) -> str | None:
    try:
        name = json.loads(body or b"")[kind.member_key]["name"]
    except (ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) else None


async def _path_in(ids: TypeIds, region: str, path: str, name: str | None) -> str | None:
    """`path` with `region`'s id of the type; None when the pod lacks the type."""
    if type_id_in_path(path, ids.kind) is None or name is None:
        return path
    try:
        pod_id = await ids.id_in(region, name)
    except PodRequestError:
        return None
    return with_type_id(path, pod_id, ids.kind) if pod_id else None


async def write(pods: PodClients, ids: TypeIds, candidates: list[PodInfo], method: str,
                path: str, *, headers: dict[str, str], body: bytes | None,
                deadline: float) -> TypeWrite:
    """Apply a type write to the reference pod, then (if it accepted) to the others,
    each with its own id of the type in the path.

    Raises faults.PodUnavailable when no pod in service answers.
    """
    type_id = type_id_in_path(path, ids.kind)
    name = await ids.name_of(candidates, type_id) if type_id \
        else _created_name(body, ids.kind)
    skipped: list[str] = []
    for i, pod in enumerate(candidates):
        first_path = await _path_in(ids, pod.region_name, path, name) or path
        try:
            resp = await replicate.send(pods, pod.region_name, method, first_path,
                                        headers=headers, body=body, timeout=deadline,
                                        service_type=SERVICE)
        except PodRequestError:
            skipped.append(pod.region_name)
            continue
        if resp.status >= 500:
            skipped.append(pod.region_name)
            continue
        outcome = TypeWrite(pod, resp, name, skipped)
        if outcome.accepted:
            outcome.lagging += await _write_others(pods, ids, candidates[i + 1:], method, path,
                                                   name, headers, body, deadline)
        ids.forget()
        return outcome
    raise faults.PodUnavailable(pod=", ".join(p.region_name for p in candidates) or "(none)")


async def _write_others(pods: PodClients, ids: TypeIds, others: list[PodInfo], method: str,
                        path: str, name: str | None, headers: dict[str, str],
                        body: bytes | None, deadline: float) -> list[str]:
    async def call(region: str) -> bool:
        pod_path = await _path_in(ids, region, path, name)
        if pod_path is None:  # the pod lacks the type: nothing to delete, else a sync
            return method == "DELETE" and ids.kind.itself.search(path) is not None
        resp = await replicate.send(pods, region, method, pod_path, headers=headers,
                                    body=body, timeout=deadline, service_type=SERVICE)
        return 200 <= resp.status < 300 or (method == "DELETE" and resp.status == 404)

    results = await gather([p.region_name for p in others], call, deadline=deadline)
    return [r.pod for r in results if not r.ok or not r.value]
