"""The pod registry: member OpenStack instances (one Keystone region each).

Every function takes an `AsyncSession` in a transaction. Pods are returned as
immutable `PodInfo` values. `state` is the operator's choice (enabled, draining:
no new placements, disabled); `health` is the prober's verdict (pods/health.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tricircle import faults
from tricircle.db.models import POD_STATES, Pod, Routing, TenantBinding

UPDATABLE_FIELDS = frozenset({"az_name", "pod_az_name", "dc_name", "state"})


@dataclass(frozen=True, slots=True)
class PodInfo:
    id: str
    region_name: str
    az_name: str
    pod_az_name: str
    dc_name: str
    state: str
    health: str
    capabilities: dict[str, Any] = field(default_factory=dict)
    last_probe_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class PodNotFound(faults.NotFound):
    code = "tricircle.pod_not_found"
    message = "Pod %(pod)s could not be found."


class PodExists(faults.Conflict):
    code = "tricircle.pod_exists"
    message = "A pod for region %(region)s already exists."


class PodInUse(faults.Conflict):
    code = "tricircle.pod_in_use"
    message = ("Pod %(pod)s still holds %(count)d routing(s); move or delete those "
               "resources first (set the pod to draining to stop new placements).")


def to_info(pod: Pod) -> PodInfo:
    return PodInfo(id=pod.id, region_name=pod.region_name, az_name=pod.az_name,
                   pod_az_name=pod.pod_az_name, dc_name=pod.dc_name, state=pod.state,
                   health=pod.health, capabilities=dict(pod.capabilities or {}),
                   last_probe_at=pod.last_probe_at, last_error=pod.last_error,
                   created_at=pod.created_at, updated_at=pod.updated_at)


def check_state(state: str) -> None:
    """Raise faults.BadRequest unless `state` is enabled, draining or disabled."""
    if state not in POD_STATES:
        raise faults.BadRequest("Invalid pod state %(state)r: expected one of %(valid)s.",
                                state=state, valid=", ".join(POD_STATES))


async def _find(s: AsyncSession, pod_id_or_region: str) -> Pod:
    stmt = select(Pod).where(or_(Pod.id == pod_id_or_region,
                                 Pod.region_name == pod_id_or_region))
    pod = (await s.execute(stmt)).scalars().first()
    if pod is None:
        raise PodNotFound(pod=pod_id_or_region)
    return pod


async def list_pods(s: AsyncSession, *, state: str | None = None) -> list[PodInfo]:
    """Every pod (or those in `state`), sorted by region name."""
    stmt = select(Pod).order_by(Pod.region_name)
    if state is not None:
        stmt = stmt.where(Pod.state == state)
    return [to_info(p) for p in (await s.execute(stmt)).scalars()]


async def get_pod(s: AsyncSession, pod_id_or_region: str) -> PodInfo:
    """The pod with this id or region name. Raises PodNotFound (a faults.NotFound)."""
    return to_info(await _find(s, pod_id_or_region))


async def create_pod(s: AsyncSession, *, region_name: str, az_name: str = "",
                     pod_az_name: str = "", dc_name: str = "",
                     state: str = "enabled") -> PodInfo:
    """Register a pod; health starts `unknown` until probed.

    Raises PodExists (409) for a region already registered, faults.BadRequest
    for an invalid state or empty region name.
    """
    if not region_name:
        raise faults.BadRequest("region_name must not be empty.")
    check_state(state)
    taken = select(Pod.id).where(Pod.region_name == region_name)
    if (await s.execute(taken)).first() is not None:
        raise PodExists(region=region_name)
    pod = Pod(region_name=region_name, az_name=az_name, pod_az_name=pod_az_name,
              dc_name=dc_name, state=state)
    s.add(pod)
    try:
        await s.flush()
    except IntegrityError as exc:  # another process registered it meanwhile
        raise PodExists(region=region_name) from exc
    return to_info(pod)


async def update_pod(s: AsyncSession, pod_id_or_region: str, **fields: Any) -> PodInfo:
    """Change az_name, pod_az_name, dc_name and/or state.

    Raises PodNotFound, faults.BadRequest (another field, invalid state).
    """
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise faults.BadRequest("Pod fields cannot be changed: %(f)s",
                                f=", ".join(sorted(unknown)))
    if "state" in fields:
        check_state(fields["state"])
    pod = await _find(s, pod_id_or_region)
    if fields:
        await s.execute(update(Pod).where(Pod.id == pod.id).values(**fields))
        await s.refresh(pod)
    return to_info(pod)


async def delete_pod(s: AsyncSession, pod_id_or_region: str) -> None:
    """Remove a pod and its tenant bindings.

    Raises PodNotFound, PodInUse when routing rows still point at it.
    """
    pod = await _find(s, pod_id_or_region)
    count = (await s.execute(select(func.count()).select_from(Routing)
                             .where(Routing.pod_id == pod.id))).scalar_one()
    if count:
        raise PodInUse(pod=pod.region_name, count=count)
    await s.execute(delete(TenantBinding).where(TenantBinding.pod_id == pod.id))
    await s.execute(delete(Pod).where(Pod.id == pod.id))


async def binding_for(s: AsyncSession, project_id: str, az_name: str) -> str | None:
    """Id of the pod `project_id` is bound to in top AZ `az_name`, or None."""
    stmt = select(TenantBinding.pod_id).where(TenantBinding.project_id == project_id,
                                             TenantBinding.az_name == az_name)
    return (await s.execute(stmt)).scalars().first()
