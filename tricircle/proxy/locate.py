"""Find the pod of a routed resource, with a short-lived in-process cache.

Hot path: a GET on a server needs its routing row and its pod record. Both are
cached per process for ``ttl`` seconds (default 5 s):

* Only *bound* rows are cached (a reservation is never served from cache).
* A hit for another project is a miss for this caller (admin sees every row).
* Deleting through this process invalidates the entry at once (`forget`).
* Another process may delete or move a row: this process can then send one call
  to the old pod for at most ``ttl`` seconds. That pod answers 404; callers then
  `refresh` (bypassing the cache) and, if the row moved, retry on the new pod;
  if it is gone, the pod's 404 is the right answer anyway. So the cache never
  makes an answer wrong, only, rarely, one call longer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from tricircle import faults
from tricircle.context import RequestContext
from tricircle.db.engine import Database
from tricircle.pods import registry as pod_registry
from tricircle.pods.registry import PodInfo
from tricircle.proxy.cache import TTLCache
from tricircle.resources.base import Resource
from tricircle.routing import table
from tricircle.routing.table import Route

_ALL_PODS = "all"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Located:
    route: Route
    pod: PodInfo

    @property
    def bottom_id(self) -> str:
        return self.route.bottom_id or self.route.top_id


class NotFoundInGateway(faults.NotFound):
    """The id is unknown to the caller's project (Nova's itemNotFound wording)."""

    code = "tricircle.resource_not_found"


class Locator:
    def __init__(self, db: Database, *, ttl: float = 5.0, max_size: int = 100_000) -> None:
        self._db = db
        self._routes: TTLCache[Route] = TTLCache(ttl=ttl, max_size=max_size)
        self._pods: TTLCache[dict[str, PodInfo]] = TTLCache(ttl=ttl, max_size=1)
        # One database read per key at a time: when a cached entry expires under
        # load, the requests that miss together share one read (no stampede).
        self._inflight: dict[Hashable, asyncio.Future[Any]] = {}

    async def _once(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)  # type: ignore[no-any-return]
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await load()
            future.set_result(value)
            return value
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters re-raise it themselves
            raise
        finally:
            del self._inflight[key]

    async def find(self, resource: Resource, top_id: str, ctx: RequestContext) -> Located:
        """The bound row and pod of `top_id` visible to `ctx`.

        Raises NotFoundInGateway (rendered as the service's 404) when the id is
        unknown, only reserved, or belongs to another project (never 403).
        """
        route = self._routes.get((resource.routing_type, top_id))
        if route is not None and _visible(route, ctx):
            return Located(route, await self.pod(route.pod_id))
        located = await self.refresh(resource, top_id, ctx)
        if located is None:
            raise NotFoundInGateway(resource.not_found, id=top_id)
        return located

    async def refresh(self, resource: Resource, top_id: str,
                      ctx: RequestContext) -> Located | None:
        """Read the row from the database (not the cache); None if not visible."""
        self._routes.invalidate((resource.routing_type, top_id))
        project = None if ctx.is_admin else ctx.project_id

        async def load() -> list[Route]:
            async with self._db.session() as s:
                return await table.lookup(s, top_id, resource.routing_type, project_id=project)

        rows = await self._once(("route", resource.routing_type, top_id, project), load)
        bound = [r for r in rows if r.bottom_id]
        if not bound:
            return None
        self._routes.put((resource.routing_type, top_id), bound[0])
        return Located(bound[0], await self.pod(bound[0].pod_id))

    def forget(self, resource: Resource, top_id: str) -> None:
        """Drop a cached row (after a delete through this process)."""
        self._routes.invalidate((resource.routing_type, top_id))

    async def pods(self) -> dict[str, PodInfo]:
        """Every pod by id (cached for the ttl)."""
        pods = self._pods.get(_ALL_PODS)
        if pods is None:
            pods = await self._once(_ALL_PODS, self._load_pods)
        return pods

    async def _load_pods(self) -> dict[str, PodInfo]:
        async with self._db.session() as s:
            pods = {p.id: p for p in await pod_registry.list_pods(s)}
        self._pods.put(_ALL_PODS, pods)
        return pods

    async def pod(self, pod_id: str) -> PodInfo:
        """One pod record; raises faults.ServiceUnavailable if it vanished."""
        pod = (await self.pods()).get(pod_id)
        if pod is None:
            self._pods.invalidate(_ALL_PODS)
            pod = (await self.pods()).get(pod_id)
        if pod is None:
            raise faults.ServiceUnavailable("Pod %(pod)s is not registered.", pod=pod_id)
        return pod


def _visible(route: Route, ctx: RequestContext) -> bool:
    return ctx.is_admin or route.project_id == ctx.project_id
