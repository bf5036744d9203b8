"""Keeping replicas in line with their home after top writes.

* ``image_sync`` (resource key = image id): after a top write that the home
  accepted (metadata, tags, members, deactivate/reactivate), every bound replica
  is made to match the home: properties, visibility, tags, members and their
  statuses (Nova in the replica's pod reads the image with the user's token, so
  who may see it must agree), active/deactivated.
* ``image_delete`` (resource key = image id, payload ``{"replicas": [region,
  ...]}``): after the home deleted the image (and the registry forgot it), the
  replicas are deleted; a pod that cannot be reached is retried with backoff.
"""

from __future__ import annotations

import logging
from typing import Any

from tricircle.clients.pod import PodClient, PodRequestError
from tricircle.images import glance, registry
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register
from tricircle.routing.table import Route

LOG = logging.getLogger(__name__)
SYNC = "image_sync"
DELETE = "image_delete"
# Replica fields the gateway fixes itself (glance.REPLICA_FIXED) or Glance owns.
_NOT_SYNCED = glance.READ_ONLY | set(glance.REPLICA_FIXED)


async def enqueue_sync(s: Any, image_id: str, *, project_id: str = "",
                       request_id: str | None = None) -> str:
    return await jobs.enqueue(s, SYNC, image_id, project_id=project_id,
                              request_id=request_id)


async def enqueue_delete(s: Any, image_id: str, replicas: list[Route], *,
                         project_id: str = "", request_id: str | None = None) -> str:
    return await jobs.enqueue(s, DELETE, image_id, project_id=project_id,
                              request_id=request_id,
                              payload={"replicas": [r.region_name for r in replicas]})


@register(DELETE)
async def delete_replicas(ctx: JobContext) -> None:
    token = await ctx.deps.service_auth.token()
    left = []
    for region in ctx.payload.get("replicas", []):
        try:
            await glance.delete(await ctx.deps.pods.get(region), token, ctx.resource_key)
        except PodRequestError as exc:
            LOG.warning("replica of %s in %s not deleted yet: %s", ctx.resource_key, region,
                        exc)
            left.append(region)
    if left:
        raise RuntimeError(f"replicas left in {', '.join(left)}")


@register(SYNC)
async def sync_replicas(ctx: JobContext) -> None:
    image_id = ctx.resource_key
    async with ctx.deps.db.session() as s:
        rows = await registry.copies(s, image_id)
    home = registry.home(rows)
    replicas = [r for r in rows if r.bottom_id and home and r.id != home.id]
    if home is None or not replicas:
        return
    token = await ctx.deps.service_auth.token()
    home_client = await ctx.deps.pods.get(home.region_name)
    source = await glance.show(home_client, token, image_id)
    if source is None:
        return  # deleted meanwhile: image_delete handles the replicas
    wanted_members = (await glance.members(home_client, token, image_id)
                      if source.get("visibility") == "shared" else {})
    failed = []
    for replica in replicas:
        try:
            client = await ctx.deps.pods.get(replica.region_name)
            await _match(client, token, source, wanted_members)
        except PodRequestError as exc:
            LOG.warning("replica of %s in %s not synced: %s", image_id, replica.region_name,
                        exc)
            failed.append(replica.region_name)
    if failed:
        raise RuntimeError(f"replicas not synced in {', '.join(failed)}")


async def _match(client: PodClient, token: str, source: dict[str, Any],
                 wanted_members: dict[str, str]) -> None:
    image_id = source["id"]
    copy = await glance.show(client, token, image_id)
    if copy is None:
        return  # the audit (or the next boot) notices a vanished replica
    await glance.patch(client, token, image_id, patch_ops(source, copy))
    if source.get("visibility") == "shared":
        have = await glance.members(client, token, image_id)
        for member, status in wanted_members.items():
            if have.get(member) != status:
                await glance.set_member(client, token, image_id, member, status)
        for member in set(have) - set(wanted_members):
            await glance.set_member(client, token, image_id, member, None)
    await _match_status(client, token, image_id, source.get("status"), copy.get("status"))


def patch_ops(source: dict[str, Any], copy: dict[str, Any]) -> list[dict[str, Any]]:
    """JSON-patch operations that make `copy` carry `source`'s user-visible
    fields (pure)."""
    ops: list[dict[str, Any]] = []
    for key, value in source.items():
        if key in _NOT_SYNCED or key.startswith("os_glance") or copy.get(key) == value:
            continue
        if key in copy or value is not None:
            ops.append({"op": "replace" if key in copy else "add", "path": f"/{key}",
                        "value": value})
    for key in copy:
        if key not in source and key not in _NOT_SYNCED and not key.startswith("os_glance"):
            ops.append({"op": "remove", "path": f"/{key}"})
    return ops


async def _match_status(client: PodClient, token: str, image_id: str, wanted: Any,
                        have: Any) -> None:
    action = {("deactivated", "active"): "deactivate",
              ("active", "deactivated"): "reactivate"}.get((wanted, have))
    if action is None:
        return
    resp = await client.request(glance.SERVICE, "POST",
                                f"/v2/images/{image_id}/actions/{action}",
                                headers=glance.headers(token))
    if resp.status != 204:
        raise glance.GlanceRefused(client.region, f"{action} {image_id}", resp)
