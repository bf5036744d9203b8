"""Images and volumes: a volume made from an image needs the image in its pod; an
image made from a volume (``os-volume_upload_image``) becomes a top image.

Both call the image domain (`tricircle.images`): `replicate.ensure_image` and
`registry.register_pod_image` (docs/dev/interfaces.md).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from tricircle.api import keys
from tricircle.context import RequestContext
from tricircle.images import registry, replicate
from tricircle.pods.registry import PodInfo
from tricircle.proxy.create import Prepare

LOG = logging.getLogger(__name__)


def image_replica(app: web.Application) -> Prepare:
    """Before a volume is created from ``imageRef`` in a pod: the image is there."""

    async def prepare(ctx: RequestContext, pod: PodInfo, doc: dict[str, Any]) -> None:
        member = doc.get("volume") or {}
        image = member.get("imageRef") if isinstance(member, dict) else None
        if not isinstance(image, str) or not image:
            return
        await replicate.ensure_image(ctx, pod, image, db=app[keys.DB], pods=app[keys.PODS],
                                     service_auth=app[keys.SERVICE_AUTH],
                                     engine=app[keys.SERVICES].get("jobs"))

    return prepare


def uploaded_image(body: bytes) -> str | None:
    """The image id in an ``os-volume_upload_image`` answer."""
    try:
        doc = json.loads(body or b"")
        image = doc["os-volume_upload_image"]["image_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return image if isinstance(image, str) and image else None


async def register_upload(app: web.Application, ctx: RequestContext, pod: PodInfo,
                          body: bytes) -> None:
    """The image a volume upload made in `pod` becomes a top image (home: `pod`)."""
    image = uploaded_image(body)
    if image is None:
        return
    async with app[keys.DB].session() as s:
        await registry.register_pod_image(s, pod_id=pod.id, image_id=image,
                                          project_id=ctx.project_id or "")
    LOG.info("image %s uploaded from a volume in %s is a top image [%s]", image,
             pod.region_name, ctx.request_id)
