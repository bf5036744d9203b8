"""The image surface as a domain service: where each call goes, and what the
registry records around it. Handlers (tricircle/api/image/images.py) stay thin.

* create: the gateway picks the id (unless the client did), reserves the home
  row in the home pod (the first enabled pod, healthy first, by region), creates
  the image there with that id, binds the row; refused -> released (the create
  protocol's `proxy.create.send_reserved`, shared with the other surfaces).
* one image (show, update, tags, members, actions, data): the home pod, with the
  user's token (Glance decides visibility: another tenant's private image is
  Glance's own 404). Writes the home accepted are copied to replicas by a job.
* delete: the home first; once it deleted, the registry forgets every row and
  a job deletes the replicas.
* an id the registry does not know is looked up in the pods and registered
  (`replicate.adopt`): images made in pods directly, or seeded by an operator.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.clients.pod import PodClients, PodRequestError, PodResponse
from tricircle.context import RequestContext
from tricircle.db.engine import Database
from tricircle.fanout.images import (
    GLANCE,
    ImageCollection,
    ImageLister,
    ImageListRequest,
    ImageListResult,
    ImagePod,
)
from tricircle.identity.service_auth import ServiceAuth
from tricircle.images import registry, replicate, sync
from tricircle.pods.registry import PodInfo
from tricircle.proxy.cache import TTLCache
from tricircle.proxy.create import send_reserved
from tricircle.proxy.forward import Forwarder, Target, answer_headers, pod_path, request_headers
from tricircle.proxy.locate import Locator
from tricircle.resources.image import IMAGE
from tricircle.routing import table
from tricircle.routing.table import Route

LOG = logging.getLogger(__name__)
SERVICE_NAME = "images"
# Sub-resources whose successful writes change what replicas must carry.
_SYNCED_TAILS = ("tags", "members", "actions", "metadata")
_DATA_TAILS = ("file", "stage")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")


class TruncatedUpload(faults.BadRequest):
    code = "tricircle.image_upload_truncated"
    message = ("The image data ended before the declared Content-Length; nothing was "
               "stored.")


@dataclass
class ImageHome:
    route: Route
    pod: PodInfo


class ImageService:
    def __init__(self, db: Database, pods: PodClients, service_auth: ServiceAuth,
                 forwarder: Forwarder, locator: Locator, *, chunk_size: int,
                 read_timeout: float) -> None:
        self.db = db
        self.pods = pods
        self.auth = service_auth
        self.forwarder = forwarder
        self.locator = locator
        self.chunk_size = chunk_size
        self.read_timeout = read_timeout
        self.lister = ImageLister(pods, self.homes, self.adopt_seen)
        self._homes: TTLCache[ImageHome] = TTLCache(ttl=5.0, max_size=100_000)

    # ---- where ---------------------------------------------------------------------
    async def default_pod(self) -> PodInfo:
        """The pod of new images and of calls not about one image: the first
        enabled pod by region name, healthy ones first."""
        pods = await self.locator.pods()
        usable = sorted((p for p in pods.values() if p.state == "enabled"),
                        key=lambda p: (p.health == "unhealthy", p.region_name))
        if not usable:
            raise faults.ServiceUnavailable("No pod is registered.")
        return usable[0]

    async def home(self, image_id: str) -> ImageHome | None:
        """The image's home (registered now if only the pods knew it). Cached a few
        seconds: a stale entry only sends a call to a pod that answers Glance's
        404, as it would have (a deleted image), and deletes here invalidate it."""
        cached = self._homes.get(image_id)
        if cached is not None:
            return cached
        async with self.db.session() as s:
            rows = await registry.copies(s, image_id)
        if not rows and _UUID.fullmatch(image_id):  # Glance ids are UUIDs; names are not
            rows = await replicate.adopt(image_id, db=self.db, pods=self.pods,
                                         token=await self.auth.token())
        home = registry.home(rows)
        if home is None:
            return None
        found = ImageHome(home, await self.locator.pod(home.pod_id))
        self._homes.put(image_id, found)
        return found

    async def homes(self, image_ids: Sequence[str]) -> dict[str, str]:
        """image id -> home pod id, for the ids the registry knows."""
        async with self.db.session() as s:
            return await registry.homes(s, image_ids)

    async def adopt_seen(self, seen: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
        """Register images a list found in pods (pod id -> [(image id, owner)]) that
        the registry did not know; pods are taken in region order, so the first
        pod that showed an image becomes its home. Returns image id -> home pod id."""
        pods = await self.locator.pods()
        order = sorted(seen, key=lambda pod_id: pods[pod_id].region_name
                       if pod_id in pods else pod_id)
        async with self.db.session() as s:
            for pod_id in order:
                for image_id, owner in seen[pod_id]:
                    await registry.register_pod_image(s, pod_id=pod_id, image_id=image_id,
                                                      project_id=owner)
            ids = [image_id for found in seen.values() for image_id, _owner in found]
            return await registry.homes(s, ids)

    async def list(self, request: web.Request, deadline: float, concurrency: int, *,
                   collection: ImageCollection = GLANCE, top_base: str = "",
                   detail: bool = True, headers: dict[str, str] | None = None
                   ) -> ImageListResult:
        """One page of the merged list (Glance's, or Nova's image proxy)."""
        pods = [ImagePod(p.id, p.region_name) for p in await pods_for_list(self.locator)]
        return await self.lister.list_page(ImageListRequest(
            ctx=request[keys.CTX], query=request.query, pods=pods, deadline=deadline,
            concurrency=concurrency, collection=collection, top_base=top_base, detail=detail,
            headers=headers or {}))

    # ---- calls ---------------------------------------------------------------------
    async def create(self, request: web.Request, body: bytes) -> web.Response:
        ctx: RequestContext = request[keys.CTX]
        doc = _json_object(body)
        pod = await self.default_pod()
        if doc is None:  # malformed: Glance words the 400
            return await self.forwarder.forward(request, Target(pod, "/v2/images"), body=body)
        if "id" in doc and not isinstance(doc["id"], str):  # Glance words the 400
            return await self.forwarder.forward(request, Target(pod, "/v2/images"), body=body)
        image_id = doc.get("id")
        if image_id is None:
            image_id = doc["id"] = str(uuid.uuid4())
            body = json.dumps(doc).encode()
        route = await self._reserve(image_id, pod, ctx)
        if route is None:  # the id is taken at the top: Glance's own 409 words
            raise faults.Conflict("Image ID %(id)s already exists!", id=image_id)
        target = Target(pod, pod_path(request, IMAGE))
        # the gateway chose the id: an unreachable pod's image is adopted by id later
        resp = await send_reserved(self.forwarder, self.db, request, target, route, body=body,
                                   created=lambda _resp: image_id, keep_if_unreachable=False)
        return await self.forwarder.respond(request, target, resp)

    async def _reserve(self, image_id: str, pod: PodInfo, ctx: RequestContext) -> Route | None:
        try:
            async with self.db.session() as s:
                if await registry.copies(s, image_id):
                    return None
                return await table.reserve(s, top_id=image_id, pod_id=pod.id,
                                           project_id=ctx.project_id or "",
                                           resource_type=registry.ROUTING_TYPE)
        except table.RoutingConflict:
            return None

    async def member(self, request: web.Request, image_id: str) -> web.StreamResponse:
        """Any call on one image, answered by its home pod."""
        home = await self.home(image_id)
        pod = home.pod if home else await self.default_pod()  # unknown: Glance's 404
        target = Target(pod, pod_path(request, IMAGE))
        tail = request.match_info.get("tail", "").split("/", 1)[0]
        if tail in _DATA_TAILS:
            return await self._data(request, target)
        body = await request.read()
        resp = await self.forwarder.send(request, target, body=body or None)
        if home is not None and 200 <= resp.status < 300 and request.method != "GET":
            await self.after_write(request, home, image_id, tail)
        return await self.forwarder.respond(request, target, resp)

    async def after_write(self, request: web.Request, home: ImageHome, image_id: str,
                          tail: str) -> None:
        """After the home accepted a write on the image (`tail`: the sub-resource,
        "" for the image itself): a delete makes the registry forget the image and
        a job delete its replicas; other writes are copied to replicas by a job."""
        ctx: RequestContext = request[keys.CTX]
        async with self.db.session() as s:
            if request.method == "DELETE" and not tail:
                self._homes.invalidate(image_id)
                rows = await registry.forget(s, image_id)
                replicas = [r for r in rows if r.id != home.route.id]
                if replicas:
                    await sync.enqueue_delete(s, image_id, replicas,
                                              project_id=home.route.project_id,
                                              request_id=ctx.request_id)
            elif request.method == "PATCH" or tail in _SYNCED_TAILS:
                if len(await registry.copies(s, image_id)) > 1:
                    await sync.enqueue_sync(s, image_id, project_id=home.route.project_id,
                                            request_id=ctx.request_id)
            else:
                return
        engine = request.app[keys.SERVICES].get("jobs")
        if engine is not None:
            engine.wake()

    async def forward(self, request: web.Request) -> web.Response:
        """Calls not about one image (schemas, info, tasks, ...): the default pod."""
        target = Target(await self.default_pod(), pod_path(request, IMAGE) or "/")
        body = await request.read()
        return await self.forwarder.forward(request, target, body=body or None)

    # ---- data ----------------------------------------------------------------------
    async def _data(self, request: web.Request, target: Target) -> web.StreamResponse:
        """Image data in either direction, streamed chunk by chunk. Raises
        TruncatedUpload when the client's upload broke off (the pod's copy is
        abandoned with it: Glance keeps the image queued, without data)."""
        ctx: RequestContext = request[keys.CTX]
        headers = request_headers(request, ctx)
        upload = _ClientBody(request, self.chunk_size) if request.can_read_body else None
        region = target.pod.region_name
        try:
            client = await self.pods.get(region)
            async with client.stream(IMAGE.service_type, request.method, target.path,
                                     headers=headers, body=upload and upload.chunks(),
                                     timeout=self.read_timeout) as resp:
                if upload is not None and upload.broken:
                    raise TruncatedUpload()
                return await self._relay(request, target, resp)
        except (PodRequestError, _ClientBodyError) as exc:
            if upload is not None and upload.broken:
                raise TruncatedUpload() from exc
            raise faults.PodUnavailable(pod=region) from exc

    async def _relay(self, request: web.Request, target: Target,
                     resp: Any) -> web.StreamResponse:
        links = await self.forwarder.link_rewriter(request, target.pod)
        headers = answer_headers(PodResponse(resp.status, resp.headers, b""), links)
        headers["X-OpenStack-Request-ID"] = request[keys.REQUEST_ID]
        out = web.StreamResponse(status=resp.status, headers=headers)
        if resp.content_length is not None:
            out.content_length = resp.content_length
        await out.prepare(request)
        async for chunk in resp.content.iter_chunked(self.chunk_size):
            await out.write(chunk)
        await out.write_eof()
        return out


class _ClientBodyError(Exception):
    """The client's request body broke off or was malformed."""


class _ClientBody:
    """The client's upload as chunks for the pod; `broken` once it failed."""

    def __init__(self, request: web.Request, size: int) -> None:
        self._request = request
        self._size = size
        self.broken = False

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._request.content.iter_chunked(self._size):
                yield chunk
        except Exception as exc:  # aiohttp's payload errors: the client broke off
            self.broken = True
            raise _ClientBodyError(str(exc)) from exc


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def image_service(app: web.Application) -> ImageService:
    """The application's ImageService (built on first use)."""
    services = app[keys.SERVICES]
    svc = services.get(SERVICE_NAME)
    if svc is None:
        conf = app[keys.CONF]
        forwarder = Forwarder(app[keys.PODS], IMAGE, public_url=conf.api.public_url)
        svc = services[SERVICE_NAME] = ImageService(
            app[keys.DB], app[keys.PODS], app[keys.SERVICE_AUTH], forwarder,
            Locator(app[keys.DB]), chunk_size=conf.images.chunk_size,
            read_timeout=conf.images.read_timeout)
    return svc  # type: ignore[no-any-return]


async def pods_for_list(locator: Locator) -> list[PodInfo]:
    """Pods an image list asks: every pod not disabled, by region name."""
    pods = await locator.pods()
    return sorted((p for p in pods.values() if p.state != "disabled"),
                  key=lambda p: p.region_name)

