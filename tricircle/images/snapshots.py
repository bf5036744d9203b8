"""Images a pod makes on its own (server ``createImage``/``createBackup``): they
become top images whose home is that pod, so they boot in any pod."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from aiohttp import web

from tricircle.api import keys
from tricircle.context import RequestContext
from tricircle.images import registry
from tricircle.pods.registry import PodInfo

LOG = logging.getLogger(__name__)
IMAGE_ACTIONS = (b"createImage", b"createBackup")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def made_image(request_body: bytes | None, answer: web.Response) -> str | None:
    """The id of the image a server action answered with (2.45+: the body's
    ``image_id``; before: the ``Location`` header), None for other actions."""
    if not request_body or not any(a in request_body for a in IMAGE_ACTIONS):
        return None
    if not 200 <= answer.status < 300:
        return None
    doc = _json(answer.body)
    found = doc.get("image_id") if isinstance(doc, dict) else None
    if isinstance(found, str) and found:
        return found
    match = _UUID.search(answer.headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1])
    return match.group(0) if match else None


async def register_action_image(request: web.Request, pod: PodInfo,
                                request_body: bytes | None, answer: web.Response) -> None:
    """Register the image a createImage/createBackup made in `pod` (no-op for
    other actions)."""
    image_id = made_image(request_body, answer)
    if image_id is None:
        return
    ctx: RequestContext = request[keys.CTX]
    async with request.app[keys.DB].session() as s:
        await registry.register_pod_image(s, pod_id=pod.id, image_id=image_id,
                                          project_id=ctx.project_id or "")
    LOG.info("image %s made in %s registered [%s]", image_id, pod.region_name,
             ctx.request_id)


def _json(body: Any) -> Any:
    try:
        return json.loads(body) if isinstance(body, bytes | bytearray) and body else None
    except ValueError:
        return None
