"""The top image registry: routing rows of type ``image``.

One row per pod holding a copy, all with ``top_id = bottom_id = image id``
(Glance accepts ``id`` on create, so ids never need translating) and
``project_id`` = the image's owner. The **oldest row is the home**: the copy
every top call reads and writes. The other rows are replicas; a replica row
whose ``bottom_id`` is still NULL is being copied and is not usable yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tricircle.db.models import Routing
from tricircle.routing import table
from tricircle.routing.table import Route

ROUTING_TYPE = "image"


async def copies(s: AsyncSession, image_id: str) -> list[Route]:
    """Every row of the image, home first (empty: unknown to the registry)."""
    return await table.lookup(s, image_id, ROUTING_TYPE, project_id=None)


def home(rows: Sequence[Route]) -> Route | None:
    """The home row among `copies` (the oldest bound one)."""
    return next((r for r in rows if r.bottom_id), None)


async def register_pod_image(s: AsyncSession, *, pod_id: str, image_id: str,
                             project_id: str) -> Route:
    """Record the image `image_id` that exists in `pod_id` (a server snapshot, a
    volume uploaded to an image, an image found in a pod) as a copy; the first
    copy registered is the home. Idempotent: returns the existing row, binding it
    if it was a reservation. Raises faults.NotFound for an unknown pod."""
    try:
        route = await table.reserve(s, top_id=image_id, pod_id=pod_id,
                                    project_id=project_id, resource_type=ROUTING_TYPE)
    except table.RoutingConflict:
        found = [r for r in await copies(s, image_id) if r.pod_id == pod_id]
        route = found[0]
        if route.bottom_id:
            return route
    await table.bind(s, route.id, image_id)
    return await table.get_route(s, route.id)


async def homes(s: AsyncSession, image_ids: Iterable[str]) -> dict[str, str]:
    """image id -> pod id of its home, for the given ids the registry knows (one
    query; used by the merged list to show each image once)."""
    ids = sorted(set(image_ids))
    if not ids:
        return {}
    stmt = (select(Routing.top_id, Routing.pod_id)
            .where(Routing.resource_type == ROUTING_TYPE, Routing.top_id.in_(ids),
                   Routing.bottom_id.is_not(None))
            .order_by(Routing.id))
    out: dict[str, str] = {}
    for top_id, pod_id in (await s.execute(stmt)).all():
        out.setdefault(top_id, pod_id)
    return out


async def forget(s: AsyncSession, image_id: str) -> list[Route]:
    """Remove every row of the image (it was deleted at the top) and return them:
    the caller deletes the replicas they name."""
    rows = await copies(s, image_id)
    await s.execute(delete(Routing).where(Routing.resource_type == ROUTING_TYPE,
                                          Routing.top_id == image_id))
    return rows
