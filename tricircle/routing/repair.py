"""Repair of the create protocol's leftovers, run as jobs.

* ``routing.repair`` (resource key = "<type>:<provisional top id>"): enqueued by
  each create in the reservation's own transaction, due when the lease is over.
  A reservation that is bound or gone by then needs nothing (the usual case). One
  still empty after the lease (database time) is looked up in its pod by its
  top-id marker. Found: the row is bound to it (top id = bottom id, as a normal
  create would have done). Not found: the reservation is released. A pod that
  cannot be asked: the job retries with backoff. One job per reservation (not
  one per routing type): a coalesced job could run before a later reservation's
  lease is over and never come back for it.
* ``routing.forget`` (resource key = "<type>:<top id>"): after a delete the pod
  accepted, the row is kept until the pod confirms the resource is gone (404 to
  the service account); then it is released. Until then lists and shows still
  reach the pod, which is the authority on what exists.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta
from typing import Any

from tricircle.clients.pod import PodClient, PodRequestError
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, PermanentFailure, register
from tricircle.resources import REGISTRY, Resource
from tricircle.routing import table
from tricircle.routing.table import Route

LOG = logging.getLogger(__name__)
REPAIR = "routing.repair"
FORGET = "routing.forget"
# Margin on the lease: a create may still be in flight in a slow pod.
_MARGIN = 30.0
# How far before the reservation the marker search looks (clock skew, slow API).
_LOOKBACK = timedelta(minutes=5)


def lease_seconds(pod_timeout: float) -> float:
    """A reservation older than this cannot belong to a create still running."""
    return pod_timeout + _MARGIN


async def enqueue_repair(s: Any, route: Route, *, pod_timeout: float) -> None:
    """Schedule the check of a reservation made now, for when its lease is over."""
    await jobs.enqueue(s, REPAIR, f"{route.resource_type}:{route.top_id}",
                       project_id=route.project_id, delay=lease_seconds(pod_timeout) + 1,
                       payload={"route_id": route.id, "resource_type": route.resource_type})


async def enqueue_forget(s: Any, route: Route, *, delay: float = 2.0) -> None:
    """Schedule the release of `route` once its pod no longer has the resource."""
    await jobs.enqueue(s, FORGET, f"{route.resource_type}:{route.top_id}",
                       project_id=route.project_id, delay=delay,
                       payload={"route_id": route.id, "region": route.region_name,
                                "bottom_id": route.bottom_id or route.top_id,
                                "resource_type": route.resource_type})


def _top_id_of(resource_key: str) -> str:
    """The top id in a job's resource key "<routing type>:<top id>"."""
    return resource_key.split(":", 1)[1]


def _resource(routing_type: str) -> Resource:
    for resource in REGISTRY.values():
        if resource.routing_type == routing_type:
            return resource
    raise PermanentFailure(f"no resource descriptor for routing type {routing_type!r}")


async def find_by_marker(client: PodClient, token: str, resource: Resource, marker: str, *,
                         project_id: str, since: datetime | None = None,
                         name: str | None = None) -> list[str]:
    """Ids of the pod's live resources carrying `marker`, oldest first.

    Nova has no metadata filter: the service account lists the project's servers
    changed since the reservation (`since`, a short window) or named like the
    create (`name`: servers still being built are listed by name, not by
    changes-since), and checks their metadata. Cinder filters by metadata
    (`extra["marker_filter"]`). A resource without a marker finds nothing.
    Raises PodRequestError when the pod cannot answer.
    """
    if resource.marker is None:
        return []  # nothing to find it by (Cinder backups): the reservation is released
    params = {"all_tenants": "1", "project_id": project_id, "limit": "1000",
              "sort_key": "created_at", "sort_dir": "asc"}
    if resource.extra.get("marker_filter"):
        # Cinder filters on metadata itself: an exact, cheap search
        params["metadata"] = json.dumps({resource.marker.key: marker})
    elif since is not None:
        params["changes-since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    if name is not None and not resource.extra.get("marker_filter"):
        params["name"] = "^" + re.escape(name)
    resp = await client.request(resource.surface.service_type, "GET",
                                f"/{resource.collection}/detail", params=params,
                                headers={"X-Auth-Token": token})
    if resp.status != 200:
        raise PodRequestError(client.region, f"marker search answered {resp.status}")
    items = (resp.json() or {}).get(resource.collection) or []
    return [item["id"] for item in items
            if resource.marker.find(item) == marker and item.get("status") != "DELETED"]


@register(REPAIR)
async def repair(ctx: JobContext) -> None:
    """Bind or release one reservation whose lease is over; nothing if it was bound."""
    resource = _resource(ctx.payload["resource_type"])
    lease = lease_seconds(ctx.deps.conf.pods.request_timeout)
    async with ctx.deps.db.session() as s:
        try:
            route = await table.get_route(s, int(ctx.payload["route_id"]))
        except table.RouteNotFound:
            return  # released (the pod refused the create)
        now = await table.db_now(s)
    if route.top_id != _top_id_of(ctx.resource_key) and route.bottom_id is None:
        return  # the id now belongs to a newer reservation: ours was released
    await _sweep(ctx, resource, lease, skip=route.id)
    if route.bottom_id:
        return  # bound: the create completed
    if (now - route.created_at).total_seconds() < lease:
        raise RuntimeError(f"reservation {route.id} is within its lease; retrying later")
    if not await _repair_one(ctx, resource, route):
        raise RuntimeError(f"pod {route.region_name} unreachable; retrying later")


async def _sweep(ctx: JobContext, resource: Resource, lease: float, *, skip: int) -> None:
    """Best effort: other stale reservations of the type (e.g. whose job an admin
    deleted) are repaired along the way; failures are left to their own jobs."""
    async with ctx.deps.db.session() as s:
        stale = await table.stale_reservations(s, older_than=lease,
                                               resource_type=resource.routing_type)
    for other in stale[:20]:
        if other.id != skip:
            await _repair_one(ctx, resource, other)


async def _repair_one(ctx: JobContext, resource: Resource, route: Route) -> bool:
    """True when the reservation was bound or released."""
    try:
        client = await ctx.deps.pods.get(route.region_name)
        found = await find_by_marker(client, await ctx.deps.service_auth.token(), resource,
                                     route.top_id, project_id=route.project_id,
                                     since=route.created_at - _LOOKBACK)
    except PodRequestError as exc:
        LOG.warning("repair of %s %s in %s postponed: %s", resource.name, route.top_id,
                    route.region_name, exc)
        return False
    async with ctx.deps.db.session() as s:
        if not found:
            await table.release(s, route.id)
            LOG.info("released stale reservation %s (%s in %s): nothing created",
                     route.id, resource.name, route.region_name)
            return True
        await table.bind(s, route.id, found[0], top_id=found[0])
    LOG.info("bound stale reservation %s to %s %s in %s", route.id, resource.name, found[0],
             route.region_name)
    return True


@register(FORGET)
async def forget(ctx: JobContext) -> None:
    """Release a deleted resource's row once its pod answers 404; retry until then."""
    payload = ctx.payload
    resource = _resource(payload["resource_type"])
    try:
        client = await ctx.deps.pods.get(payload["region"])
        headers = {"X-Auth-Token": await ctx.deps.service_auth.token()}
        if resource.extra.get("api_version"):  # an API a pod serves from a microversion on
            headers["OpenStack-API-Version"] = resource.extra["api_version"]
        resp = await client.request(resource.surface.service_type, "GET",
                                    f"/{resource.collection}/{payload['bottom_id']}",
                                    headers=headers)
    except PodRequestError as exc:
        raise RuntimeError(f"pod not reachable: {exc}") from exc
    if resp.status != 404:
        raise RuntimeError(f"{resource.name} {payload['bottom_id']} still in "
                           f"{payload['region']} ({resp.status})")
    async with ctx.deps.db.session() as s:
        await table.release(s, int(payload["route_id"]), top_id=_top_id_of(ctx.resource_key))
    LOG.info("routing %s of deleted %s %s released", payload["route_id"], resource.name,
             payload["bottom_id"])
