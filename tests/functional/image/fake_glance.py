"""A small in-memory Glance v2 for functional tests: create (with a given id),
show, list (limit, marker, sort_key/sort_dir, os_hidden), data upload/download
with sha512, delete, PATCH, members, and (when `import_methods` is set) GET
/v2/info/import and the glance-download import, which fetches from the Glance
of another region found in `catalog` as Glance does (in the background, the
image queued -> importing -> active, or back to queued with
``os_glance_failed_import`` when it fails). Visibility: a private image is shown
only to its owner or the service account. Unknown calls answer 501 so a test
notices."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

SERVICE = "service-token"


@dataclass
class FakeGlance:
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)
    members: dict[str, dict[str, str]] = field(default_factory=dict)
    fail_upload_after: int | None = None     # break the next upload after n bytes
    calls: list[tuple[str, str]] = field(default_factory=list)
    clock: int = 0
    import_methods: list[str] | None = None  # None: no /v2/info/import (501)
    catalog: dict[str, str] = field(default_factory=dict)  # region -> Glance URL
    corrupt_import: bool = False             # the next import stores other bytes
    stall_import: bool = False               # imports stay "importing" (a stuck task)
    imports: list[dict[str, Any]] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def add(self, name: str, *, owner: str = "p1", image_id: str | None = None,
            visibility: str = "public", hidden: bool = False, data: bytes = b"") -> str:
        image_id = image_id or str(uuid.uuid4())
        self.clock += 1
        self.images[image_id] = {
            "id": image_id, "name": name, "owner": owner, "visibility": visibility,
            "status": "queued", "os_hidden": hidden, "protected": False,
            "disk_format": "raw", "container_format": "bare", "size": None,
            "os_hash_algo": None, "os_hash_value": None, "checksum": None, "tags": [],
            "min_disk": 0, "min_ram": 0, "created_at": f"2026-01-01T00:00:{self.clock:02d}Z",
            "self": f"/v2/images/{image_id}", "file": f"/v2/images/{image_id}/file",
            "schema": "/v2/schemas/image"}
        if data:
            self._store(image_id, data)
        return image_id

    def _store(self, image_id: str, data: bytes) -> None:
        self.data[image_id] = data
        self.images[image_id].update(status="active", size=len(data), os_hash_algo="sha512",
                                     os_hash_value=hashlib.sha512(data).hexdigest(),
                                     checksum=hashlib.md5(data).hexdigest())  # noqa: S324

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 ** 3, middlewares=[self._record])
        app.router.add_get("/v2/images", self.list)
        app.router.add_post("/v2/images", self.create)
        app.router.add_get("/v2/images/{id}", self.show)
        app.router.add_patch("/v2/images/{id}", self.patch)
        app.router.add_delete("/v2/images/{id}", self.delete)
        app.router.add_put("/v2/images/{id}/file", self.upload)
        app.router.add_get("/v2/images/{id}/file", self.download)
        app.router.add_get("/v2/images/{id}/members", self.list_members)
        app.router.add_get("/v2/info/import", self.info_import)
        app.router.add_post("/v2/images/{id}/import", self.start_import)
        # Nova's image proxy of the same pod, over the same images
        app.router.add_get("/v2.1/images/detail", self.nova_list)
        app.router.add_get("/v2.1/images/{id}", self.nova_show)
        app.router.add_delete("/v2.1/images/{id}", self.delete)
        app.router.add_route("*", "/{tail:.*}", self.unknown)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append((request.method, request.path_qs))
        return await handler(request)

    def _visible(self, request: web.Request, image: dict[str, Any]) -> bool:
        token = request.headers.get("X-Auth-Token")
        return token in (SERVICE, "admin") or image["visibility"] == "public" \
            or image["owner"] == token

    def _find(self, request: web.Request) -> dict[str, Any]:
        image = self.images.get(request.match_info["id"])
        if image is None or not self._visible(request, image):
            raise web.HTTPNotFound(text="<html><h1>404 Not Found</h1></html>",
                                   content_type="text/html")
        return image

    async def list(self, request: web.Request) -> web.Response:
        q = request.query
        images = [i for i in self.images.values() if self._visible(request, i)
                  and i["os_hidden"] == (q.get("os_hidden") == "true")]
        key, desc = q.get("sort_key", "created_at"), q.get("sort_dir", "desc") == "desc"
        images.sort(key=lambda i: (str(i[key]), i["id"]), reverse=desc)
        if "marker" in q:
            ids = [i["id"] for i in images]
            if q["marker"] not in ids:
                return web.Response(status=400, text="<h1>400 Bad Request</h1>",
                                    content_type="text/html")
            images = images[ids.index(q["marker"]) + 1:]
        limit = int(q.get("limit", "25"))
        body: dict[str, Any] = {"images": images[:limit], "first": "/v2/images",
                                "schema": "/v2/schemas/images"}
        return web.json_response(body)

    async def create(self, request: web.Request) -> web.Response:
        doc = await request.json()
        if doc.get("id") in self.images:
            return web.Response(status=409, text="<h1>409 Conflict</h1>",
                                content_type="text/html")
        owner = request.headers["X-Auth-Token"]
        image_id = self.add(doc.get("name", ""), owner=doc.get("owner", owner),
                            image_id=doc.get("id"),
                            visibility=doc.get("visibility", "shared"),
                            hidden=doc.get("os_hidden", False))
        extra = {k: v for k, v in doc.items() if k not in ("id", "owner", "os_hidden")}
        self.images[image_id].update(extra)
        return web.json_response(self.images[image_id], status=201)

    async def show(self, request: web.Request) -> web.Response:
        return web.json_response(self._find(request))

    async def patch(self, request: web.Request) -> web.Response:
        image = self._find(request)
        for op in json.loads(await request.read()):
            key = op["path"].lstrip("/")
            if op["op"] == "remove":
                image.pop(key, None)
            else:
                image[key] = op["value"]
        return web.json_response(image)

    async def delete(self, request: web.Request) -> web.Response:
        image = self._find(request)
        del self.images[image["id"]]
        self.data.pop(image["id"], None)
        return web.Response(status=204)

    async def upload(self, request: web.Request) -> web.Response:
        image = self._find(request)
        received = b""
        async for chunk in request.content.iter_chunked(65536):
            received += chunk
            if self.fail_upload_after is not None and len(received) > self.fail_upload_after:
                self.fail_upload_after = None
                image["status"] = "saving"  # what a crash midway leaves behind
                return web.Response(status=500, text="store failed")
        self._store(image["id"], received)
        return web.Response(status=204)

    async def download(self, request: web.Request) -> web.Response:
        image = self._find(request)
        return web.Response(body=self.data[image["id"]],
                            content_type="application/octet-stream")

    async def list_members(self, request: web.Request) -> web.Response:
        image = self._find(request)
        members = self.members.get(image["id"], {})
        return web.json_response({"members": [{"member_id": m, "status": s}
                                              for m, s in members.items()]})

    async def info_import(self, request: web.Request) -> web.Response:
        if self.import_methods is None:
            return await self.unknown(request)
        return web.json_response({"import-methods": {
            "description": "Import methods available.", "type": "array",
            "value": self.import_methods}})

    async def start_import(self, request: web.Request) -> web.Response:
        if self.import_methods is None:
            return await self.unknown(request)
        image = self._find(request)
        method = (await request.json()).get("method") or {}
        if method.get("name") not in (self.import_methods or []):
            return web.Response(status=400, text="<h1>400 Bad Request</h1>",
                                content_type="text/html")
        if image["status"] != "queued":
            return web.Response(status=409, text="<h1>409 Conflict</h1>",
                                content_type="text/html")
        if method["name"] != "glance-download" or "glance_region" not in method \
                or "glance_image_id" not in method:
            return web.Response(status=400, text="<h1>400 Bad Request</h1>",
                                content_type="text/html")
        uuid.UUID(method["glance_image_id"])
        self.imports.append(method)
        image["status"] = "importing"
        if self.stall_import:
            return web.Response(status=202)
        task = asyncio.create_task(self._download(image, method,
                                                  request.headers["X-Auth-Token"]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    async def _download(self, image: dict[str, Any], method: dict[str, Any],
                        token: str) -> None:
        interface = method.get("glance_service_interface", "public")
        base = self.catalog.get(method["glance_region"]) if interface == "public" else None
        try:
            if base is None:
                raise LookupError(f"no image endpoint in {method['glance_region']}")
            url = f"{base}/v2/images/{method['glance_image_id']}/file"
            async with aiohttp.ClientSession() as session, \
                    session.get(url, headers={"X-Auth-Token": token}) as resp:
                resp.raise_for_status()
                data = await resp.read()
        except (LookupError, aiohttp.ClientError):
            image.update(status="queued", os_glance_failed_import="fs")
            return
        if self.corrupt_import:
            self.corrupt_import = False
            data = data[:-1] + b"?"
        if image["id"] in self.images:
            self._store(image["id"], data)

    def _nova(self, request: web.Request, image: dict[str, Any]) -> dict[str, Any]:
        base = f"http://{request.host}/v2.1/images/{image['id']}"
        return {"id": image["id"], "name": image["name"], "status": image["status"].upper(),
                "created": image["created_at"], "updated": image["created_at"],
                "minDisk": 0, "minRam": 0, "progress": 100, "metadata": {},
                "links": [{"rel": "self", "href": base}]}

    async def nova_list(self, request: web.Request) -> web.Response:
        answer = await self.list(request)
        if answer.status != 200:
            return answer
        images = json.loads(answer.body)["images"]  # type: ignore[arg-type]
        return web.json_response({"images": [self._nova(request, i) for i in images]})

    async def nova_show(self, request: web.Request) -> web.Response:
        return web.json_response({"image": self._nova(request, self._find(request))})

    async def unknown(self, request: web.Request) -> web.Response:
        return web.Response(status=501, text=f"fake glance: {request.method} {request.path}")
