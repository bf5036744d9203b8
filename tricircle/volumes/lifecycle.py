"""What follows a call a pod accepted on a volume, snapshot or backup: rows
released after deletes (a group's: its ``delete`` action), rows for volumes a
backup restore created, top images for volume uploads, and the check before a
restore into an existing volume."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.context import RequestContext
from tricircle.distributed import replicate
from tricircle.distributed.volume_types import TypeIds
from tricircle.pods.registry import PodInfo
from tricircle.proxy.locate import Located, Locator, NotFoundInGateway
from tricircle.resources import BACKUP, GROUP, TRANSFER, VOLUME, Resource
from tricircle.routing import repair, table
from tricircle.volumes import images

LOG = logging.getLogger(__name__)


class RestoreToAnotherPod(faults.Conflict):
    code = "tricircle.restore_to_another_pod"
    message = ("Backup %(backup)s is in pod %(backup_pod)s and volume %(volume)s in pod "
               "%(volume_pod)s: a backup can only be restored to a volume of its own pod. "
               "Moving volumes between pods is not supported yet.")


@dataclass(frozen=True, slots=True)
class Call:
    """An accepted call: what was asked and what the pod answered."""

    resource: Resource
    method: str
    tail: str | None
    body: bytes | None
    answer: bytes


def _json(body: bytes | None) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None


def _restore_volume(body: bytes | None) -> str | None:
    doc = _json(body)
    restore = doc.get("restore") if isinstance(doc, dict) else None
    volume = restore.get("volume_id") if isinstance(restore, dict) else None
    return volume if isinstance(volume, str) and volume else None


async def check_restore_target(locator: Locator, ctx: RequestContext, backup: Located,
                               body: bytes | None) -> None:
    """Raises RestoreToAnotherPod when the restore names a top volume of another pod."""
    volume = _restore_volume(body)
    if volume is None:
        return
    try:
        target = await locator.find(VOLUME, volume, ctx)
    except NotFoundInGateway:
        return  # Cinder answers for it
    if target.pod.id != backup.pod.id:
        raise RestoreToAnotherPod(backup=backup.route.top_id, backup_pod=backup.pod.region_name,
                                  volume=volume, volume_pod=target.pod.region_name)


async def before(app: web.Application, ctx: RequestContext, locator: Locator, types: TypeIds,
                 call: Call, located: Located) -> bytes | None:
    """Checks and body changes before a call goes to the pod; the body to send.
    Raises RestoreToAnotherPod."""
    if call.method != "POST":
        return call.body
    if call.resource is BACKUP and call.tail == "restore":
        await check_restore_target(locator, ctx, located, call.body)
    elif call.resource is VOLUME and call.tail == "action" and b"os-retype" in (call.body or b""):
        pods = await replicate.pods_in_service(app[keys.DB])
        return await retype_body(types, pods, located, call.body)
    return call.body


async def after(app: web.Application, ctx: RequestContext, call: Call, located: Located,
                locator: Locator) -> None:
    """Bookkeeping after a 2xx from the pod."""
    if call.method == "DELETE" and call.tail is None:
        await _deleted(app, locator, call.resource, located)
    elif call.method == "POST" and call.tail == "action" and _deletes(call):
        await _deleted(app, locator, call.resource, located)
    elif call.method == "POST" and call.resource is VOLUME and call.tail == "action" \
            and b"os-volume_upload_image" in (call.body or b""):
        await images.register_upload(app, ctx, located.pod, call.answer)
    elif call.method == "POST" and call.resource is BACKUP and call.tail == "restore":
        await _restored(app, ctx, call, located)


def _deletes(call: Call) -> bool:
    """An action that deletes: ``os-force_delete``, a group's ``delete``."""
    doc = _json(call.body)
    if not isinstance(doc, dict):
        return False
    return "os-force_delete" in doc or (call.resource is GROUP and "delete" in doc)


async def _deleted(app: web.Application, locator: Locator, resource: Resource,
                   located: Located) -> None:
    """Keep the row until the pod confirms the resource is gone (routing.forget)."""
    locator.forget(resource, located.route.top_id)
    async with app[keys.DB].session() as s:
        await repair.enqueue_forget(s, located.route)
    engine = app[keys.SERVICES].get("jobs")
    if engine is not None:
        engine.wake()


async def _restored(app: web.Application, ctx: RequestContext, call: Call,
                    located: Located) -> None:
    """A restore without a target volume made one in the backup's pod: route it."""
    if _restore_volume(call.body) is not None:
        return
    doc = _json(call.answer)
    restore = doc.get("restore") if isinstance(doc, dict) else None
    volume = restore.get("volume_id") if isinstance(restore, dict) else None
    if not isinstance(volume, str) or not volume:
        return
    try:
        async with app[keys.DB].session() as s:
            await table.create_route(s, top_id=volume, bottom_id=volume,
                                     pod_id=located.pod.id, project_id=ctx.project_id or "",
                                     resource_type=VOLUME.routing_type)
    except table.RoutingConflict:
        return
    LOG.info("volume %s restored from backup %s in %s [%s]", volume, located.route.top_id,
             located.pod.region_name, ctx.request_id)


async def find_any(app: web.Application, locator: Locator, resource: Resource,
                   top_id: str) -> Located:
    """The bound row of `top_id` in any project (a transfer accepted by another
    project). Raises NotFoundInGateway."""
    async with app[keys.DB].session() as s:
        rows = [r for r in await table.lookup(s, top_id, resource.routing_type,
                                              project_id=None) if r.bottom_id]
    if not rows:
        raise NotFoundInGateway(resource.not_found, id=top_id)
    return Located(rows[0], await locator.pod(rows[0].pod_id))


async def transferred(app: web.Application, ctx: RequestContext, locator: Locator,
                      transfer: Located, answer: bytes) -> None:
    """An accepted transfer: the volume's row now belongs to the accepting
    project; the transfer is gone (its row released)."""
    doc = _json(answer)
    member = doc.get("transfer") if isinstance(doc, dict) else None
    volume = member.get("volume_id") if isinstance(member, dict) else None
    async with app[keys.DB].session() as s:
        if isinstance(volume, str) and volume:
            for route in await table.lookup(s, volume, VOLUME.routing_type, project_id=None):
                await table.update_route(s, route.id, project_id=ctx.project_id or "")
        await table.release(s, transfer.route.id)
    if isinstance(volume, str):
        locator.forget(VOLUME, volume)
    locator.forget(TRANSFER, transfer.route.top_id)
    LOG.info("volume %s transferred to project %s [%s]", volume, ctx.project_id,
             ctx.request_id)


async def retype_body(types: TypeIds, pods: list[PodInfo], located: Located,
                      body: bytes | None) -> bytes | None:
    """An ``os-retype`` naming a type by its top id: the pod gets the type's name
    where its own id of the type differs (Cinder takes either)."""
    if not body or b"os-retype" not in body:
        return body
    doc = _json(body)
    retype = doc.get("os-retype") if isinstance(doc, dict) else None
    if not isinstance(retype, dict):
        return body
    value = retype.get("new_type")
    if not isinstance(value, str) or not value:
        return body
    retype["new_type"] = await types.for_pod(pods, located.pod.region_name, value)
    return json.dumps(doc).encode()
