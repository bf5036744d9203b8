"""Creates that must go to the pod of what they use (`PlacedCreate` pins).

* a volume cloned from a volume, made from a snapshot or restored from a backup
  (``source_volid``, ``snapshot_id``, ``backup_id``), or meant for a server
  (Cinder's scheduler hint ``local_to_instance``): that resource's pod;
* a volume made in a group (``group_id``): the group's pod;
* a snapshot, a backup, a transfer or an attachment (``volume_uuid``): the pod
  of its volume; a group snapshot: the pod of its group. A transfer or an
  attachment belongs to the volume's project, as in Cinder, also when an admin
  of another project makes it (`Pinned.owner`, read from the volume's row);
  snapshots and backups belong to whoever makes them;
* a server booting from (or attaching at boot) volumes or volume snapshots in
  ``block_device_mapping_v2`` / legacy ``block_device_mapping``: their pod; when
  they are in different pods, 409.

An id the caller cannot see answers Cinder's 404 for volume creates; for a
server the pod is left to the scheduler and Nova words its own error.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from tricircle import faults
from tricircle.context import RequestContext
from tricircle.pods.registry import PodInfo
from tricircle.proxy.create import Pinned, Prepare
from tricircle.proxy.locate import Locator, NotFoundInGateway
from tricircle.resources import BACKUP, GROUP, SERVER, SNAPSHOT, VOLUME, Resource

Pin = Callable[[RequestContext, dict[str, Any]], Awaitable[Pinned | None]]
_VOLUME_SOURCES = (("source_volid", VOLUME), ("snapshot_id", SNAPSHOT), ("backup_id", BACKUP))


class VolumesInSeveralPods(faults.Conflict):
    """A server names volumes that live in different pods."""

    code = "tricircle.volumes_in_several_pods"
    message = ("The volumes and snapshots of this server are in different pods (%(pods)s); "
               "a server can only use volumes of the pod it runs in. Moving volumes "
               "between pods is not supported yet.")


class InvalidAvailabilityZone(faults.BadRequest):
    """Cinder's words for an AZ no pod serves (the scheduler's error, reworded)."""

    code = "tricircle.az_not_available"
    message = "Availability zone '%(az)s' is invalid."


class NoValidBackend(faults.NoValidPod):
    """No pod can take the volume (Cinder's NoValidBackend words)."""

    message = "No valid backend was found. %(reason)s"

    def __init__(self) -> None:
        super().__init__(reason="There are not enough backends available.")


def requested_az(body: bytes, member_key: str) -> str:
    """The AZ a create body asks for ("" when none or unreadable)."""
    try:
        az = json.loads(body)[member_key]["availability_zone"]
    except (ValueError, KeyError, TypeError):
        return ""
    return az if isinstance(az, str) else ""


def _ident(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


async def _pod_of(locator: Locator, resource: Resource, ident: str,
                  ctx: RequestContext) -> PodInfo:
    return (await locator.find(resource, ident, ctx)).pod


async def _pinned_to(locator: Locator, resource: Resource, ident: str,
                     ctx: RequestContext) -> Pinned:
    return Pinned(await _pod_of(locator, resource, ident, ctx))


def volume_pin(locator: Locator) -> Pin:
    """Pin of a volume create: the pod of its source or of the server it is for."""

    async def pin(ctx: RequestContext, doc: dict[str, Any]) -> Pinned | None:
        member = doc.get("volume") or {}
        for field, resource in _VOLUME_SOURCES:
            ident = _ident(member.get(field))
            if ident:
                return await _pinned_to(locator, resource, ident, ctx)
        group = _ident(member.get("group_id"))
        if group:  # a volume made in a group lives with the group
            return await _pinned_to(locator, GROUP, group, ctx)
        hints = doc.get("OS-SCH-HNT:scheduler_hints") or member.get("scheduler_hints")
        server = _ident(hints.get("local_to_instance")) if isinstance(hints, dict) else None
        if server:
            try:
                return await _pinned_to(locator, SERVER, server, ctx)
            except NotFoundInGateway:
                return None  # the pod judges the hint (Cinder: 400 if it knows better)
        return None

    return pin


def of_volume_pin(locator: Locator, member_key: str, field: str = "volume_id",
                  resource: Resource = VOLUME, *, owned_with: bool = False) -> Pin:
    """Pin of a snapshot, backup, transfer or attachment create: the pod of its
    volume (``volume_id``; attachments: ``volume_uuid``); a group snapshot: of its
    group. `owned_with`: what is created belongs to the volume's project, not the
    caller's (they differ only for an admin: others find only their own volumes)."""

    async def pin(ctx: RequestContext, doc: dict[str, Any]) -> Pinned | None:
        member = doc.get(member_key) or {}
        ident = _ident(member.get(field)) if isinstance(member, dict) else None
        if not ident:
            return None
        located = await locator.find(resource, ident, ctx)
        return Pinned(located.pod, located.route.project_id if owned_with else None)

    return pin


def _bdm_sources(member: dict[str, Any]) -> list[tuple[Resource, str]]:
    """(resource, id) of every volume and volume snapshot a server create names."""
    found: list[tuple[Resource, str]] = []
    for bdm in member.get("block_device_mapping_v2") or []:
        if not isinstance(bdm, dict):
            continue
        resource = {"volume": VOLUME, "snapshot": SNAPSHOT}.get(str(bdm.get("source_type")))
        ident = _ident(bdm.get("uuid"))
        if resource is not None and ident:
            found.append((resource, ident))
    for bdm in member.get("block_device_mapping") or []:
        if isinstance(bdm, dict):
            found += [(r, i) for r, i in ((VOLUME, _ident(bdm.get("volume_id"))),
                                          (SNAPSHOT, _ident(bdm.get("snapshot_id")))) if i]
    return found


def server_pin(locator: Locator) -> Pin:
    """Pin of a server create: the pod of the volumes it boots from or attaches."""

    async def pin(ctx: RequestContext, doc: dict[str, Any]) -> Pinned | None:
        member = doc.get("server")
        if not isinstance(member, dict):
            return None
        pods: dict[str, PodInfo] = {}
        for resource, ident in _bdm_sources(member):
            try:
                pod = await _pod_of(locator, resource, ident, ctx)
            except NotFoundInGateway:
                continue  # not a top volume: Nova answers for it
            pods[pod.id] = pod
        if len(pods) > 1:
            raise VolumesInSeveralPods(pods=", ".join(sorted(p.region_name
                                                             for p in pods.values())))
        return next((Pinned(pod) for pod in pods.values()), None)

    return pin


def both(*steps: Prepare) -> Prepare:
    """Several preparations of a create in its pod, in order."""

    async def prepare(ctx: RequestContext, pod: PodInfo, doc: dict[str, Any]) -> None:
        for step in steps:
            await step(ctx, pod, doc)

    return prepare


async def no_pin(ctx: RequestContext, doc: dict[str, Any]) -> Pinned | None:
    """Creates placed by the scheduler alone (a group: its availability zone)."""
    return None
