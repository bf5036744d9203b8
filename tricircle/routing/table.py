"""The routing table: where each top resource lives (DESIGN.md §6).

Every function takes an `AsyncSession` in a transaction (`Database.session()`),
so a caller can reserve a row and enqueue a job atomically. Rows come back as
immutable `Route` values joined with their pod's region name.

Create protocol: `reserve` (empty bottom id, unique key) -> create the bottom
resource carrying a top-id marker -> `bind`. A reservation whose bottom id is
still empty after a lease (database time, `stale_reservations`) is repaired by
marker lookup or `release`d.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tricircle import faults
from tricircle.db.clock import utc_after, utcnow
from tricircle.db.models import Pod, Routing
from tricircle.db.upsert import insert_ignore

_UPDATABLE = frozenset({"top_id", "bottom_id", "pod_id", "project_id", "resource_type"})


@dataclass(frozen=True, slots=True)
class Route:
    id: int
    top_id: str
    bottom_id: str | None
    pod_id: str
    region_name: str
    project_id: str
    resource_type: str
    created_at: datetime


class RoutingConflict(faults.Conflict):
    """The unique key (top_id, pod_id, resource_type) is already taken."""

    code = "tricircle.routing_conflict"
    message = "Routing of %(resource_type)s %(top_id)s in pod %(pod_id)s already exists."


class RouteNotFound(faults.NotFound):
    code = "tricircle.routing_not_found"
    message = "Routing %(id)s could not be found."


def _select() -> Select:  # type: ignore[type-arg]
    return select(Routing.id, Routing.top_id, Routing.bottom_id, Routing.pod_id,
                  Pod.region_name, Routing.project_id, Routing.resource_type,
                  Routing.created_at).join(Pod, Pod.id == Routing.pod_id)


async def _routes(s: AsyncSession, stmt: Select) -> list[Route]:
    return [Route(*row) for row in (await s.execute(stmt)).all()]


async def reserve(s: AsyncSession, *, top_id: str, pod_id: str, project_id: str,
                  resource_type: str) -> Route:
    """Insert a reservation (bottom id empty) and return it.

    Raises RoutingConflict when (top_id, pod_id, resource_type) exists (the
    transaction stays usable), faults.NotFound when the pod does not exist.
    """
    key = {"top_id": top_id, "pod_id": pod_id, "resource_type": resource_type}
    try:
        inserted = await insert_ignore(s, Routing, {**key, "project_id": project_id or ""})
    except IntegrityError as exc:  # foreign key: no such pod
        raise faults.NotFound("Pod %(pod)s could not be found.", pod=pod_id) from exc
    found = await _routes(s, _select().where(*(getattr(Routing, k) == v for k, v in key.items())))
    if not found:  # MySQL's INSERT IGNORE also swallows foreign key errors
        raise faults.NotFound("Pod %(pod)s could not be found.", pod=pod_id)
    if not inserted:
        raise RoutingConflict(**key)
    return found[0]


async def bind(s: AsyncSession, route_id: int, bottom_id: str, *,
               top_id: str | None = None) -> None:
    """Fill the bottom id (and, for ids the pod chose, the top id) of a row.

    Raises RouteNotFound if the row is gone (released as stale meanwhile), and
    RoutingConflict if the new top id collides with another row.
    """
    values: dict[str, Any] = {"bottom_id": bottom_id}
    if top_id is not None:
        values["top_id"] = top_id
    await _update(s, route_id, values)


async def release(s: AsyncSession, route_id: int, *, top_id: str | None = None) -> None:
    """Delete a reservation or row; releasing a row that is already gone is not an error.

    With `top_id`, only if the row still names it: a job that kept a row id from
    earlier must not delete a newer row that reuses the id (SQLite reuses the
    largest rowid once it is deleted).
    """
    stmt = delete(Routing).where(Routing.id == route_id)
    if top_id is not None:
        stmt = stmt.where(Routing.top_id == top_id)
    await s.execute(stmt)


async def get_route(s: AsyncSession, route_id: int, *, project_id: str | None = None) -> Route:
    """The row `route_id`; project_id None = admin. Raises RouteNotFound (also for a
    row of another project, which must look absent)."""
    stmt = _select().where(Routing.id == route_id)
    if project_id is not None:
        stmt = stmt.where(Routing.project_id == project_id)
    found = await _routes(s, stmt)
    if not found:
        raise RouteNotFound(id=route_id)
    return found[0]


async def create_route(s: AsyncSession, *, top_id: str, pod_id: str, project_id: str,
                       resource_type: str, bottom_id: str | None = None) -> Route:
    """A complete row (admin repair); `pod_id` may also be a region name.

    Raises RoutingConflict, faults.BadRequest (no such pod).
    """
    route = await reserve(s, top_id=top_id, pod_id=await _pod_ref(s, pod_id),
                          project_id=project_id, resource_type=resource_type)
    if bottom_id is not None:
        await bind(s, route.id, bottom_id)
        return await get_route(s, route.id)
    return route


async def update_route(s: AsyncSession, route_id: int, **fields: Any) -> Route:
    """Change any of top_id, bottom_id, pod_id (or region name), project_id,
    resource_type (admin repair).

    Raises faults.BadRequest (another field, no such pod), RouteNotFound, RoutingConflict.
    """
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise faults.BadRequest("Routing fields cannot be changed: %(f)s",
                                f=", ".join(sorted(unknown)))
    if "pod_id" in fields:
        fields["pod_id"] = await _pod_ref(s, fields["pod_id"])
    if fields:
        await _update(s, route_id, fields)
    return await get_route(s, route_id)


async def _pod_ref(s: AsyncSession, pod_id_or_region: str) -> str:
    stmt = select(Pod.id).where((Pod.id == pod_id_or_region)
                                | (Pod.region_name == pod_id_or_region))
    found = (await s.execute(stmt)).scalar()
    if found is None:
        raise faults.BadRequest("Pod %(pod)s does not exist.", pod=pod_id_or_region)
    return str(found)


async def delete_route(s: AsyncSession, route_id: int) -> None:
    """Delete a row. Raises RouteNotFound."""
    result = await s.execute(delete(Routing).where(Routing.id == route_id))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise RouteNotFound(id=route_id)


async def _update(s: AsyncSession, route_id: int, values: dict[str, Any]) -> None:
    current = await get_route(s, route_id)
    key = {"top_id": current.top_id, "pod_id": current.pod_id,
           "resource_type": current.resource_type}
    key.update({k: v for k, v in values.items() if k in key})
    clash = select(Routing.id).where(Routing.id != route_id,
                                     *(getattr(Routing, k) == v for k, v in key.items()))
    if (await s.execute(clash)).first() is not None:
        raise RoutingConflict(**key)
    try:
        result = await s.execute(update(Routing).where(Routing.id == route_id).values(**values))
    except IntegrityError as exc:  # raced with another writer, or unknown pod
        raise RoutingConflict(**key) from exc
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise RouteNotFound(id=route_id)


async def lookup(s: AsyncSession, top_id: str, resource_type: str, *,
                 project_id: str | None) -> list[Route]:
    """Every row of a top resource (one per pod holding it), oldest first.

    project_id None = admin (any project). Empty list = unknown to this project.
    """
    stmt = _select().where(Routing.top_id == top_id, Routing.resource_type == resource_type)
    if project_id is not None:
        stmt = stmt.where(Routing.project_id == project_id)
    return await _routes(s, stmt.order_by(Routing.id))


async def lookup_many(s: AsyncSession, top_ids: list[str], resource_type: str) -> list[Route]:
    """The rows of every top resource in `top_ids` (any project, any pod), in id order."""
    if not top_ids:
        return []
    stmt = _select().where(Routing.top_id.in_(top_ids), Routing.resource_type == resource_type)
    return await _routes(s, stmt.order_by(Routing.id))


async def find_by_bottom(s: AsyncSession, bottom_id: str, resource_type: str,
                         pod_id: str) -> Route | None:
    """The row whose bottom resource in `pod_id` is `bottom_id`, if any."""
    stmt = _select().where(Routing.bottom_id == bottom_id, Routing.resource_type == resource_type,
                           Routing.pod_id == pod_id)
    found = await _routes(s, stmt.order_by(Routing.id).limit(1))
    return found[0] if found else None


async def pods_of_project(s: AsyncSession, project_id: str | None,
                          resource_type: str) -> list[str]:
    """Ids of the pods holding at least one `resource_type` row of the project
    (project_id None: of any project), sorted by region name."""
    if project_id is None:  # one index seek per pod (ix_routing_pod_type)
        stmt = select(Pod.id).where(exists().where(
            Routing.pod_id == Pod.id, Routing.resource_type == resource_type))
    else:  # one scan of the project's entries (ix_routing_project_type_pod)
        holding = (select(Routing.pod_id).where(Routing.project_id == project_id,
                                                Routing.resource_type == resource_type)
                   .distinct().subquery())
        stmt = select(Pod.id).join(holding, holding.c.pod_id == Pod.id)
    return list((await s.execute(stmt.order_by(Pod.region_name))).scalars())


async def list_routes(s: AsyncSession, *, project_id: str | None = None,
                      resource_type: str | None = None, pod_id: str | None = None,
                      top_id: str | None = None, bottom_id: str | None = None,
                      marker: int | None = None, limit: int = 1000) -> list[Route]:
    """Rows matching every given filter, in id order, after `marker` (an id), at most
    `limit`. project_id None = every project (admin)."""
    stmt = _select()
    filters = {Routing.project_id: project_id, Routing.resource_type: resource_type,
               Routing.pod_id: pod_id, Routing.top_id: top_id, Routing.bottom_id: bottom_id}
    stmt = stmt.where(*(column == value for column, value in filters.items()
                        if value is not None))
    if marker is not None:
        stmt = stmt.where(Routing.id > marker)
    return await _routes(s, stmt.order_by(Routing.id).limit(max(0, limit)))


async def stale_reservations(s: AsyncSession, *, older_than: float,
                             resource_type: str | None = None) -> list[Route]:
    """Reservations (bottom id NULL) created more than `older_than` seconds ago,
    measured by the database's clock, oldest first."""
    stmt = _select().where(Routing.bottom_id.is_(None),
                           Routing.created_at < utc_after(-older_than))
    if resource_type is not None:
        stmt = stmt.where(Routing.resource_type == resource_type)
    return await _routes(s, stmt.order_by(Routing.id))


async def db_now(s: AsyncSession) -> datetime:
    """The database's current time (naive UTC)."""
    return (await s.execute(select(utcnow()))).scalar_one()  # type: ignore[no-any-return]
