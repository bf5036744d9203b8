"""The scheduler as a domain service: read what placement needs, then `select_pod`.

Reads, in parallel and bounded by ``[scheduler] capacity_timeout``: the flavor
(from one candidate pod, with the user's token) and each candidate pod's
Placement allocation candidates (service token). Anything that does not answer
in time is "unknown" and neither excludes nor favours a pod.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from oslo_config import cfg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tricircle.clients.pod import PodClients, PodRequestError
from tricircle.context import RequestContext
from tricircle.db.engine import Database
from tricircle.db.models import Routing
from tricircle.identity.service_auth import ServiceAuth
from tricircle.images import registry as image_registry
from tricircle.pods import bindings
from tricircle.pods import registry as pod_registry
from tricircle.pods.registry import PodInfo
from tricircle.scheduler import capacity as cap
from tricircle.scheduler.select import select_pod
from tricircle.scheduler.spec import Observations, PodCapacity, RequestSpec

LOG = logging.getLogger(__name__)


# surface of a new item -> routing type of the project's items it may be attached to
_ATTACHABLE = {"volume": "server", "compute": "volume"}


class Scheduler:
    """Chooses the pod of a new server. Shared by every request of a process."""

    def __init__(self, conf: cfg.ConfigOpts, db: Database, pods: PodClients,
                 service_auth: ServiceAuth) -> None:
        self._conf = conf
        self._db = db
        self._pods = pods
        self._auth = service_auth

    async def place(self, spec: RequestSpec, ctx: RequestContext, *,
                    flavor_ref: str | None = None, boot_from_volume: bool = False,
                    volume_gb: int | None = None) -> PodInfo:
        """Return the chosen pod (`volume_gb`: a volume of that size, weighed on
        the pods' Cinder pools). Raises the errors of `select_pod`."""
        async with self._db.session() as s:
            pods = await pod_registry.list_pods(s)
            bound = frozenset(b.pod_id for b in await bindings.list_bindings(
                s, project_id=spec.project_id, az_name=spec.availability_zone))
            # the project's items the new one may be attached to (weigher affinity)
            attachable = _ATTACHABLE.get(spec.surface)
            held = await _project_holdings(s, spec.project_id, attachable) \
                if attachable else {}
        spec = replace(spec, strategy=self._conf.scheduler.strategy)
        worth_asking = [p for p in pods if _may_host(spec, p)]
        if flavor_ref and worth_asking:
            resources = await self._flavor(worth_asking, flavor_ref, ctx, boot_from_volume)
            spec = replace(spec, resources=resources)
        elif volume_gb:
            spec = replace(spec, resources={cap.VOLUME_GB: volume_gb})
        observed = await self._capacities(worth_asking, spec.resources)
        group_pods = await self._group_pods(worth_asking, spec.server_group, ctx)
        copies = await self._image_copies(spec.images)
        pod = select_pod(spec, pods, Observations(capacity=observed, bound_pods=bound,
                                                  group_pods=group_pods,
                                                  image_copies=copies,
                                                  project_servers=held
                                                  if attachable == "server" else {},
                                                  project_volumes=held
                                                  if attachable == "volume" else {}),
                         filters=self._conf.scheduler.filters,
                         weighers=self._conf.scheduler.weighers)
        LOG.info("placed in %s (az=%s, project=%s, capacity=%s)", pod.region_name,
                 spec.availability_zone, spec.project_id, observed.get(pod.id))
        return pod

    async def _flavor(self, pods: Sequence[PodInfo], flavor_ref: str, ctx: RequestContext,
                      boot_from_volume: bool) -> dict[str, int]:
        flavor_id = flavor_ref.rstrip("/").rsplit("/", 1)[-1]
        try:
            async with asyncio.timeout(self._conf.scheduler.capacity_timeout):
                client = await self._pods.get(pods[0].region_name)
                resp = await client.request("compute", "GET", f"/flavors/{flavor_id}",
                                            headers=ctx.pod_headers())
        except (PodRequestError, TimeoutError) as exc:
            LOG.warning("flavor %s unreadable in %s: %s", flavor_id, pods[0].region_name, exc)
            return {}
        if resp.status != 200:
            return {}  # unknown flavor: the pod will say so on create
        flavor: dict[str, Any] = (resp.json() or {}).get("flavor") or {}
        return cap.flavor_resources(flavor, boot_from_volume=boot_from_volume)

    async def _group_pods(self, pods: Sequence[PodInfo], group: str | None,
                          ctx: RequestContext) -> frozenset[str] | None:
        """Ids of the pods where the user's server group `group` exists (None when
        no group was asked for, or no pod answered that it has it)."""
        if not group or not pods:
            return None

        async def has(pod: PodInfo) -> bool:
            try:
                async with asyncio.timeout(self._conf.scheduler.capacity_timeout):
                    client = await self._pods.get(pod.region_name)
                    resp = await client.request("compute", "GET", f"/os-server-groups/{group}",
                                                headers=ctx.pod_headers())
            except (PodRequestError, TimeoutError):
                return False
            return resp.status == 200

        found = await asyncio.gather(*(has(p) for p in pods))
        holders = frozenset(p.id for p, ok in zip(pods, found, strict=True) if ok)
        return holders or None

    async def _image_copies(self, images: Sequence[str]) -> dict[str, int]:
        """pod id -> how many of `images` it holds a usable copy of."""
        counts: dict[str, int] = {}
        if not images:
            return counts
        async with self._db.session() as s:
            for image_id in images:
                for route in await image_registry.copies(s, image_id):
                    if route.bottom_id:
                        counts[route.pod_id] = counts.get(route.pod_id, 0) + 1
        return counts

    async def _capacities(self, pods: Sequence[PodInfo], resources: dict[str, int]
                          ) -> dict[str, PodCapacity | None]:
        if not resources or not pods:
            return {}
        token = await self._auth.token()
        timeout = self._conf.scheduler.capacity_timeout
        results = await asyncio.gather(*(self._one(p, token, resources, timeout) for p in pods))
        return {p.id: r for p, r in zip(pods, results, strict=True)}

    async def _one(self, pod: PodInfo, token: str, resources: dict[str, int],
                   timeout: float) -> PodCapacity | None:
        try:
            async with asyncio.timeout(timeout):
                client = await self._pods.get(pod.region_name)
                if cap.VOLUME_GB in resources:
                    return await cap.read_volume_capacity(client, token,
                                                          resources[cap.VOLUME_GB],
                                                          timeout=timeout)
                return await cap.read_capacity(client, token, resources, timeout=timeout)
        except (cap.CapacityUnknown, PodRequestError, TimeoutError) as exc:
            LOG.warning("capacity of %s unknown: %s", pod.region_name, exc)
            return None


async def _project_holdings(s: AsyncSession, project_id: str,
                            resource_type: str) -> dict[str, int]:
    """pod id -> how many `resource_type` items (servers, volumes) the project has
    there (one indexed scan)."""
    stmt = (select(Routing.pod_id, func.count()).where(
        Routing.project_id == project_id, Routing.resource_type == resource_type,
        Routing.bottom_id.is_not(None)).group_by(Routing.pod_id))
    return {str(pod_id): int(count) for pod_id, count in (await s.execute(stmt)).all()}


def _may_host(spec: RequestSpec, pod: PodInfo) -> bool:
    """Cheap pre-filter: only pods that could be chosen are asked for capacity."""
    in_az = not spec.availability_zone or pod.az_name == spec.availability_zone
    return in_az and pod.state == "enabled" and pod.health != "unhealthy"
