"""Replicas follow workloads: copy an image into the pod a server (or a volume
from an image) is placed in, before it is created there.

`ensure_image` is called on the request path; when the pod lacks a usable
replica it enqueues an ``image_replicate`` job (resource key
``<image id>@<pod id>``, progress ``{"bytes": n, "total": m}`` in GET
/v1.0/jobs) and waits for it. The job streams the data from the home pod to the
target pod with the service account, a few chunks in memory at a time, then
checks that the target's Glance computed the same ``os_hash_value`` (and size)
as the home's. A copy that fails midway is deleted before the job retries, so no
half image is left in the pod; the routing row stays a reservation (bottom id
NULL, not usable) until the copy is verified.

Where the target pod's Glance offers the ``glance-download`` import (GET
/v2/info/import), the job creates the replica and asks that Glance to fetch the
data from the home pod's Glance itself (found in the catalog by region), polls
it to active and verifies it the same way; an import that fails, times out
(``[images] import_timeout``) or yields other data is deleted and the job
streams the copy instead. docs/images.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tricircle import faults
from tricircle.clients.pod import PodClient, PodClients, PodRequestError
from tricircle.context import RequestContext
from tricircle.db.engine import Database
from tricircle.fanout.gather import gather
from tricircle.identity.service_auth import ServiceAuth
from tricircle.images import glance, registry
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, PermanentFailure, register
from tricircle.pods import registry as pod_registry
from tricircle.pods.registry import PodInfo
from tricircle.routing import table

if TYPE_CHECKING:
    from tricircle.jobs.engine import JobEngine

LOG = logging.getLogger(__name__)
REPLICATE = "image_replicate"
_POLL = 0.25
_PROGRESS_EVERY = 1.0  # seconds between progress writes
_IMPORT_POLL = 0.5
GLANCE_DOWNLOAD = "glance-download"


class ImageNotActive(faults.BadRequest):
    code, message = "tricircle.image_not_active", "Image %(id)s is not active."


class ReplicationFailed(faults.ServiceUnavailable):
    code = "tricircle.image_replication_failed"
    message = "Image %(id)s could not be copied to %(pod)s: %(reason)s"


def boot_images(member: dict[str, Any]) -> list[str]:
    """Ids of the images a server create boots from: ``imageRef`` (an id or an
    href) and block devices whose source is an image."""
    refs = [member.get("imageRef")]
    bdms = member.get("block_device_mapping_v2")
    for bdm in bdms if isinstance(bdms, list) else []:
        if isinstance(bdm, dict) and bdm.get("source_type") == "image":
            refs.append(bdm.get("uuid"))
    ids = [r.rstrip("/").rsplit("/", 1)[-1] for r in refs if isinstance(r, str) and r]
    return list(dict.fromkeys(i for i in ids if i))


def job_key(image_id: str, pod_id: str) -> str:
    return f"{image_id}@{pod_id}"


async def enqueue_replicate(s: Any, image_id: str, pod: PodInfo, *, project_id: str = "",
                            request_id: str | None = None) -> str:
    """Schedule the copy of `image_id` into `pod` (coalesces; returns the job id)."""
    return await jobs.enqueue(s, REPLICATE, job_key(image_id, pod.id), project_id=project_id,
                              request_id=request_id,
                              payload={"image_id": image_id, "pod_id": pod.id})


async def ensure_image(ctx: RequestContext, pod: PodInfo, image_id: str, *, db: Database,
                       pods: PodClients, service_auth: ServiceAuth,
                       engine: JobEngine | None = None, wait: float | None = None) -> None:
    """Make sure `pod` holds a usable replica of `image_id` before a server or a
    volume made from it is created there (docs/dev/interfaces.md).

    Does nothing when the pod already has it, when no pod has the image, or when
    the caller cannot see it (the pod then answers its own "not found").
    Raises ImageNotActive (400), ReplicationFailed (503: the copy failed or did
    not finish within `wait` seconds, default ``[images] replicate_wait``).
    """
    async with db.session() as s:
        rows = await registry.copies(s, image_id)
    if any(r.pod_id == pod.id and r.bottom_id for r in rows):
        return  # the hot path: one indexed read
    home = registry.home(rows)
    if home is None:
        rows = await adopt(image_id, db=db, pods=pods, token=await service_auth.token())
        home = registry.home(rows)
        if home is None or any(r.pod_id == pod.id for r in rows):
            return
    image = await _visible(ctx, pods, home.region_name, image_id)
    if image is None:
        return
    if image.get("status") != "active":
        raise ImageNotActive(id=image_id)
    async with db.session() as s:
        job_id = await enqueue_replicate(s, image_id, pod, project_id=home.project_id,
                                         request_id=ctx.request_id)
    if engine is not None:
        engine.wake()
    LOG.info("image %s: copying to %s (job %s) [%s]", image_id, pod.region_name, job_id,
             ctx.request_id)
    limit = wait if wait is not None else _default_wait(engine)
    await _wait(db, image_id, pod, job_id, limit)


def _default_wait(engine: JobEngine | None) -> float:
    conf = getattr(getattr(engine, "deps", None), "conf", None)
    return float(conf.images.replicate_wait) if conf is not None else 600.0


async def _visible(ctx: RequestContext, pods: PodClients, region: str,
                   image_id: str) -> dict[str, Any] | None:
    """The image as the caller sees it in its home pod (None: not visible)."""
    try:
        client = await pods.get(region)
        resp = await client.request(glance.SERVICE, "GET", f"/v2/images/{image_id}",
                                    headers=ctx.pod_headers())
    except PodRequestError as exc:
        raise faults.PodUnavailable(pod=region) from exc
    return dict(resp.json()) if resp.status == 200 else None


async def _wait(db: Database, image_id: str, pod: PodInfo, job_id: str, limit: float) -> None:
    deadline = time.monotonic() + limit
    while True:
        async with db.session() as s:
            rows = await registry.copies(s, image_id)
            job = await jobs.get_job(s, job_id)
        if any(r.pod_id == pod.id and r.bottom_id for r in rows):
            return
        if job.status in ("failed", "succeeded"):
            raise ReplicationFailed(id=image_id, pod=pod.region_name,
                                    reason=job.last_error or "the image is gone")
        if time.monotonic() >= deadline:
            raise ReplicationFailed(id=image_id, pod=pod.region_name,
                                    reason=f"not done within {limit:g} s (job {job_id})")
        await asyncio.sleep(_POLL)


async def adopt(image_id: str, *, db: Database, pods: PodClients,
                token: str) -> list[table.Route]:
    """Register an image the registry does not know yet (made directly in pods,
    e.g. seeded by an operator) from every enabled pod holding it: the first by
    region order becomes its home. Returns its rows (empty: no pod has it)."""
    async with db.session() as s:
        candidates = [p for p in await pod_registry.list_pods(s) if p.state != "disabled"]

    async def find(region: str) -> dict[str, Any] | None:
        return await glance.show(await pods.get(region), token, image_id)

    results = await gather([p.region_name for p in candidates], find, deadline=10.0)
    holders = [(pod, r.value) for pod, r in zip(candidates, results, strict=True)
               if r.ok and r.value is not None]
    async with db.session() as s:
        for pod, image in holders:
            await registry.register_pod_image(s, pod_id=pod.id, image_id=image_id,
                                              project_id=str(image.get("owner") or ""))
        return await registry.copies(s, image_id)


# ---- the job -------------------------------------------------------------------------
@register(REPLICATE)
async def replicate(ctx: JobContext) -> None:
    """Copy one image into one pod, verified; idempotent (a verified replica
    already there is just recorded)."""
    image_id, pod_id = ctx.payload["image_id"], ctx.payload["pod_id"]
    async with ctx.deps.db.session() as s:
        rows = await registry.copies(s, image_id)
        target = await pod_registry.get_pod(s, pod_id)
    home = registry.home(rows)
    if home is None:
        raise PermanentFailure(f"image {image_id} is not registered (deleted?)")
    if any(r.pod_id == pod_id and r.bottom_id for r in rows):
        return
    route = next((r for r in rows if r.pod_id == pod_id), None)
    if route is None:
        async with ctx.deps.db.session() as s:
            route = await table.reserve(s, top_id=image_id, pod_id=pod_id,
                                        project_id=home.project_id,
                                        resource_type=registry.ROUTING_TYPE)
    token = await ctx.deps.service_auth.token()
    source_client = await ctx.deps.pods.get(home.region_name)
    target_client = await ctx.deps.pods.get(target.region_name)
    source = await glance.show(source_client, token, image_id)
    if source is None:
        raise PermanentFailure(f"image {image_id} is gone from its home {home.region_name}")
    if source.get("status") != "active":
        raise RuntimeError(f"image {image_id} is {source.get('status')} in {home.region_name}")
    if not await _usable_copy(target_client, token, source):
        await _copy(ctx, source_client, target_client, token, source, home.region_name)
    await _sync_members(source_client, target_client, token, source)
    try:
        async with ctx.deps.db.session() as s:
            await table.bind(s, route.id, image_id)
    except table.RouteNotFound as exc:  # the image was deleted at the top meanwhile
        await glance.delete(target_client, token, image_id)
        raise PermanentFailure(f"image {image_id} was deleted while being copied") from exc
    LOG.info("image %s replicated from %s to %s", image_id, home.region_name,
             target.region_name)


async def _usable_copy(client: PodClient, token: str, source: dict[str, Any]) -> bool:
    """Whether the target already holds a verified copy; a half one is deleted."""
    found = await glance.show(client, token, source["id"])
    if found is None:
        return False
    if found.get("status") == "active" and _same_data(found, source):
        return True
    LOG.warning("image %s in %s is %s (hash %s): deleted before copying again", source["id"],
                client.region, found.get("status"), found.get("os_hash_value"))
    await glance.delete(client, token, source["id"])
    return False


def _same_data(copy: dict[str, Any], source: dict[str, Any]) -> bool:
    return (copy.get("size") == source.get("size")
            and copy.get("os_hash_algo") == source.get("os_hash_algo")
            and copy.get("os_hash_value") == source.get("os_hash_value")
            and (source.get("os_hash_value") is not None
                 or copy.get("checksum") == source.get("checksum")))


async def _copy(ctx: JobContext, source_client: PodClient, target_client: PodClient,
                token: str, source: dict[str, Any], home_region: str) -> None:
    """Make a verified replica: by a glance-download import where the target
    offers it, else (or when the import fails) by streaming the data."""
    if GLANCE_DOWNLOAD in await glance.import_methods(target_client, token):
        async def fetch() -> None:
            await _import(ctx, target_client, token, source, home_region)

        try:
            await _made(target_client, token, source, fetch)
            return
        except Exception as exc:  # any failure (refused, failed, timed out): stream
            LOG.warning("image %s: glance-download into %s failed (%s); streaming it",
                        source["id"], target_client.region, exc)

    async def stream() -> None:
        await _stream(ctx, source_client, target_client, token, source)

    await _made(target_client, token, source, stream)


async def _made(target_client: PodClient, token: str, source: dict[str, Any],
                fill: Callable[[], Awaitable[None]]) -> None:
    """Create the replica, `fill` it with data, verify it; on any failure the
    replica is deleted (no half image left) and the error re-raised."""
    image_id = source["id"]
    await glance.create(target_client, token, glance.replica_body(source))
    try:
        await fill()
        copy = await glance.show(target_client, token, image_id)
        if copy is None or copy.get("status") != "active" or not _same_data(copy, source):
            raise RuntimeError(f"copy of {image_id} in {target_client.region} does not match "
                               f"its source (hash {copy and copy.get('os_hash_value')})")
    except BaseException:
        try:
            await glance.delete(target_client, token, image_id)
        except PodRequestError as exc:  # the next attempt deletes it (_usable_copy)
            LOG.warning("half copy of %s in %s not deleted: %s", image_id,
                        target_client.region, exc)
        raise


async def _import(ctx: JobContext, target_client: PodClient, token: str,
                  source: dict[str, Any], home_region: str) -> None:
    """Have the target's Glance fetch the data from `home_region`'s Glance and
    wait until the replica leaves the import: active (returns) or failed, or
    ``[images] import_timeout`` passed (raises RuntimeError)."""
    image_id, total = source["id"], int(source.get("size") or 0)
    await glance.start_import(target_client, token, image_id, {
        "name": GLANCE_DOWNLOAD, "glance_image_id": image_id, "glance_region": home_region,
        "glance_service_interface": ctx.deps.conf.images.import_interface})
    deadline = time.monotonic() + float(ctx.deps.conf.images.import_timeout)
    last = 0.0
    while True:
        copy = await glance.show(target_client, token, image_id)
        status = copy.get("status") if copy else "deleted"
        if time.monotonic() - last >= _PROGRESS_EVERY or status == "active":
            last = time.monotonic()
            await ctx.set_progress(method=GLANCE_DOWNLOAD, status=status, total=total,
                                   bytes=total if status == "active" else 0)
        if status == "active":
            return
        if copy is None or status in ("killed", "deleted", "deactivated") \
                or (status == "queued" and copy.get("os_glance_failed_import")):
            raise RuntimeError(f"the import ended {status}")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"the import was still {status} after "
                               f"{ctx.deps.conf.images.import_timeout:g} s")
        await asyncio.sleep(_IMPORT_POLL)


async def _stream(ctx: JobContext, source_client: PodClient, target_client: PodClient,
                  token: str, source: dict[str, Any]) -> None:
    conf = ctx.deps.conf.images
    total = int(source.get("size") or 0)
    async with source_client.stream(glance.SERVICE, "GET", f"/v2/images/{source['id']}/file",
                                    headers=glance.headers(token),
                                    timeout=conf.read_timeout) as resp:
        if resp.status != 200:
            raise RuntimeError(f"download from {source_client.region}: {resp.status}")
        chunks = _counted(ctx, resp.content.iter_chunked(conf.chunk_size), total)
        await glance.upload(target_client, token, source["id"], chunks,
                            timeout=conf.read_timeout)


async def _counted(ctx: JobContext, chunks: AsyncIterator[bytes],
                   total: int) -> AsyncIterator[bytes]:
    done, last = 0, time.monotonic()
    await ctx.set_progress(method="stream", bytes=0, total=total)
    async for chunk in chunks:
        done += len(chunk)
        yield chunk
        if time.monotonic() - last >= _PROGRESS_EVERY:
            last = time.monotonic()
            await ctx.set_progress(method="stream", bytes=done, total=total)
    await ctx.set_progress(method="stream", bytes=done, total=total)


async def _sync_members(source_client: PodClient, target_client: PodClient, token: str,
                        source: dict[str, Any]) -> None:
    """Members of a shared image, with their statuses (Nova reads the image with
    the member's token in the target pod)."""
    if source.get("visibility") != "shared":
        return
    wanted = await glance.members(source_client, token, source["id"])
    have = await glance.members(target_client, token, source["id"])
    for member, status in wanted.items():
        if have.get(member) != status:
            await glance.set_member(target_client, token, source["id"], member, status)
    for member in set(have) - set(wanted):
        await glance.set_member(target_client, token, source["id"], member, None)
