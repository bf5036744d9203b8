"""Adding and re-enabling pods, with what follows from it.

A pod that joins (or comes back to `enabled`) must hold every flavor and volume
type defined at the top before servers and volumes are placed there:
`flavor_pod_sync`, `volume_type_pod_sync` and `group_type_pod_sync` jobs are enqueued in the same
transaction as the change, so they cannot be lost. Keypairs are per user
and are made present at boot time (`distributed.keypairs.ensure_keypair`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tricircle.distributed import volume_types
from tricircle.distributed.flavors import enqueue_pod_sync
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo
from tricircle.volumes import group_types


async def add_pod(s: AsyncSession, **fields: Any) -> PodInfo:
    """Register a pod and schedule the copy of every top flavor into it.

    Raises registry.PodExists / faults.BadRequest as `registry.create_pod` does.
    """
    pod = await registry.create_pod(s, **fields)
    if pod.state != "disabled":
        await enqueue_pod_sync(s, pod.region_name)
        await volume_types.enqueue_pod_sync(s, pod.region_name)
        await group_types.enqueue_pod_sync(s, pod.region_name)
    return pod


async def change_pod(s: AsyncSession, pod_id_or_region: str, **fields: Any) -> PodInfo:
    """Update a pod; one that leaves `disabled` gets its flavors synchronised."""
    before = await registry.get_pod(s, pod_id_or_region)
    after = await registry.update_pod(s, pod_id_or_region, **fields)
    if before.state == "disabled" and after.state != "disabled":
        await enqueue_pod_sync(s, after.region_name)
        await volume_types.enqueue_pod_sync(s, after.region_name)
        await group_types.enqueue_pod_sync(s, after.region_name)
    return after
