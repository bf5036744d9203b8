"""Tenant-pod bindings: a project pinned to one pod inside one top availability zone.

The scheduler's binding weigher prefers the bound pod (`registry.binding_for`).
A binding's AZ is its pod's top AZ, so one project has at most one pod per AZ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tricircle import faults
from tricircle.db.models import Pod, TenantBinding
from tricircle.pods import registry


@dataclass(frozen=True, slots=True)
class Binding:
    id: str
    project_id: str
    az_name: str
    pod_id: str
    region_name: str
    created_at: datetime
    updated_at: datetime


class BindingNotFound(faults.NotFound):
    code = "tricircle.binding_not_found"
    message = "Binding %(id)s could not be found."


class BindingExists(faults.Conflict):
    code = "tricircle.binding_exists"
    message = "Project %(project)s is already bound to a pod in availability zone %(az)r."


def _select() -> Select:  # type: ignore[type-arg]
    return select(TenantBinding.id, TenantBinding.project_id, TenantBinding.az_name,
                  TenantBinding.pod_id, Pod.region_name, TenantBinding.created_at,
                  TenantBinding.updated_at).join(Pod, Pod.id == TenantBinding.pod_id)


async def _pod_of(s: AsyncSession, pod_id: str) -> registry.PodInfo:
    try:
        return await registry.get_pod(s, pod_id)
    except registry.PodNotFound as exc:  # a reference in the body, not the URL
        raise faults.BadRequest("Pod %(pod)s does not exist.", pod=pod_id) from exc


async def list_bindings(s: AsyncSession, *, project_id: str | None = None,
                        az_name: str | None = None, pod_id: str | None = None) -> list[Binding]:
    """Bindings matching every given filter, by project then AZ."""
    filters = {TenantBinding.project_id: project_id, TenantBinding.az_name: az_name,
               TenantBinding.pod_id: pod_id}
    stmt = _select().where(*(c == v for c, v in filters.items() if v is not None))
    rows = await s.execute(stmt.order_by(TenantBinding.project_id, TenantBinding.az_name))
    return [Binding(*row) for row in rows.all()]


async def get_binding(s: AsyncSession, binding_id: str) -> Binding:
    """Raises BindingNotFound."""
    row = (await s.execute(_select().where(TenantBinding.id == binding_id))).first()
    if row is None:
        raise BindingNotFound(id=binding_id)
    return Binding(*row)


async def create_binding(s: AsyncSession, *, project_id: str, pod_id: str) -> Binding:
    """Bind `project_id` to a pod (id or region) in the pod's AZ.

    Raises faults.BadRequest (no such pod), BindingExists (already bound in that AZ).
    """
    pod = await _pod_of(s, pod_id)
    taken = select(TenantBinding.id).where(TenantBinding.project_id == project_id,
                                           TenantBinding.az_name == pod.az_name)
    if (await s.execute(taken)).first() is not None:
        raise BindingExists(project=project_id, az=pod.az_name)
    row = TenantBinding(project_id=project_id, az_name=pod.az_name, pod_id=pod.id)
    s.add(row)
    try:
        await s.flush()
    except IntegrityError as exc:
        raise BindingExists(project=project_id, az=pod.az_name) from exc
    return await get_binding(s, row.id)


async def update_binding(s: AsyncSession, binding_id: str, *, pod_id: str) -> Binding:
    """Move a binding to another pod of the same AZ.

    Raises BindingNotFound, faults.BadRequest (no such pod, or a pod in another AZ).
    """
    current = await get_binding(s, binding_id)
    pod = await _pod_of(s, pod_id)
    if pod.az_name != current.az_name:
        raise faults.BadRequest("Pod %(pod)s is in availability zone %(az)r, not %(want)r.",
                                pod=pod.region_name, az=pod.az_name, want=current.az_name)
    row = await s.get(TenantBinding, binding_id)
    assert row is not None
    row.pod_id = pod.id
    await s.flush()
    return await get_binding(s, binding_id)


async def delete_binding(s: AsyncSession, binding_id: str) -> None:
    """Raises BindingNotFound."""
    row = await s.get(TenantBinding, binding_id)
    if row is None:
        raise BindingNotFound(id=binding_id)
    await s.delete(row)
