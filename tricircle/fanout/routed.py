"""The merged list's view of the gateway's own state: pods from the registry,
where a project's servers (or volumes, snapshots, backups: `routing_type`) are
from the routing table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import case, func, select

from tricircle.db.engine import Database
from tricircle.db.models import Pod, Routing
from tricircle.fanout.servers import KnownServer, ListPod
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo
from tricircle.routing import table

SERVER = "server"  # routing_type of servers (tricircle.resources.compute.SERVER)
RECENT_PROJECTS = 10_000  # projects whose last list's pods are remembered (`recent`)


def as_list_pod(pod: PodInfo, renamed: bool = True) -> ListPod:
    """Disabled pods are not asked, and neither are pods the prober found
    unhealthy (answering at once beats waiting for their deadline)."""
    usable = pod.state != "disabled" and pod.health != "unhealthy"
    return ListPod(pod.region_name, pod.az_name, pod.pod_az_name, usable, renamed)


PodsById = Callable[[], Awaitable[dict[str, PodInfo]]]


def _one_in_service(pods: list[PodInfo]) -> list[PodInfo]:
    """A project without servers still gets a pod's answer: Nova's validation of
    the query, its policy, its version headers (and an empty list)."""
    usable = [p for p in pods if as_list_pod(p).usable]
    return sorted(usable, key=lambda p: p.state != "enabled")[:1]


class RoutedServerSource:
    """ServerSource backed by the database (one short transaction per call).

    `pods_by_id` may serve the pod registry from a short-lived cache (pods change
    rarely); where a project's servers are is always read fresh, so a list made
    right after a create sees the new server's pod.
    """

    def __init__(self, db: Database, pods_by_id: PodsById | None = None, *,
                 routing_type: str = SERVER) -> None:
        self._db = db
        self._pods_by_id = pods_by_id
        self._type = routing_type
        self._recent: dict[str, list[ListPod]] = {}

    def recent(self, project_id: str | None) -> list[ListPod] | None:
        """The pods `pods(project_id)` answered last in this process (a guess the
        list checks against a fresh read; None for every project: no read)."""
        return self._recent.get(project_id) if project_id is not None else None

    async def _registry(self) -> list[PodInfo]:
        if self._pods_by_id is not None:
            return sorted((await self._pods_by_id()).values(), key=lambda p: p.region_name)
        async with self._db.session() as s:
            return await registry.list_pods(s)

    async def pods(self, project_id: str | None) -> list[ListPod]:
        if project_id is None:
            return await self._every_pod()
        holding = await self._holding(project_id)
        pods = await self._registry()
        if not holding.keys() <= {p.id for p in pods}:  # a pod newer than the cache
            async with self._db.session() as s:
                pods = await registry.list_pods(s)
        chosen = [as_list_pod(p, holding[p.id]) for p in pods if p.id in holding] \
            or [as_list_pod(p, renamed=False) for p in _one_in_service(pods)]
        if len(self._recent) >= RECENT_PROJECTS and project_id not in self._recent:
            self._recent.clear()
        self._recent[project_id] = chosen
        return chosen

    async def _every_pod(self) -> list[ListPod]:
        """Every project's servers: every pod not disabled, and disabled pods that
        still hold servers (down for the list: minimal records at 2.69)."""
        pods = await self._registry()
        holding = await self._holding(None) if any(p.state == "disabled" for p in pods) \
            else {}
        return [as_list_pod(p) for p in pods if p.state != "disabled" or p.id in holding]

    async def _holding(self, project_id: str | None) -> dict[str, bool]:
        """The pods holding items of the project (None: of anyone), each with
        whether any of those items shows a top id other than its own (moved
        between pods: the page then looks their top ids up, `top_ids`).

        One grouped read of the (project_id, resource_type) index's rows on a
        plain connection: a list's only database call when nothing was moved
        (bench/lab.py: two ORM sessions here cost a one-pod list 2.4 ms).
        """
        renamed = func.max(case((Routing.top_id != Routing.bottom_id, 1), else_=0))
        stmt = select(Routing.pod_id, renamed).where(Routing.resource_type == self._type) \
            .group_by(Routing.pod_id)
        if project_id is not None:
            stmt = stmt.where(Routing.project_id == project_id)
        async with self._db.reading() as conn:
            return {str(pod_id): bool(moved) for pod_id, moved in await conn.execute(stmt)}

    async def locate(self, server_id: str, project_id: str | None
                     ) -> tuple[str, str] | None:
        async with self._db.session() as s:
            routes = await table.lookup(s, server_id, self._type, project_id=project_id)
        bound = [r for r in routes if r.bottom_id]
        return (bound[0].region_name, str(bound[0].bottom_id)) if bound else None

    async def known(self, region: str, project_id: str | None, limit: int
                    ) -> list[KnownServer]:
        async with self._db.session() as s:
            pod = await registry.get_pod(s, region)
            routes = await table.list_routes(s, project_id=project_id, resource_type=self._type,
                                             pod_id=pod.id, limit=limit)
        return [KnownServer(r.top_id, str(r.bottom_id), r.project_id, r.created_at)
                for r in routes if r.bottom_id]

    async def top_ids(self, servers: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        if not servers:
            return {}
        # one indexed query per page (routing.table has no bulk lookup by bottom id)
        wanted = set(servers)
        async with self._db.reading() as conn:
            rows = await conn.execute(
                select(Pod.region_name, Routing.bottom_id, Routing.top_id)
                .join(Pod, Pod.id == Routing.pod_id)
                .where(Routing.resource_type == self._type,
                       Routing.bottom_id.in_(sorted({b for _r, b in servers})),
                       Routing.top_id != Routing.bottom_id))
        return {(r, str(b)): str(t) for r, b, t in rows.all() if (r, b) in wanted}
