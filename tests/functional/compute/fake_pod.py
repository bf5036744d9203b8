"""A strict fake pod (Nova v2.1 + Placement) for the compute-core functional tests.

It answers only the calls compute-core makes and the ones the tests send, in
Nova's wire format (fault bodies, lowercase ``location``, links built from its
own base URL, version headers), records every call, and answers anything else
with 599 plus an entry in `unexpected` that each test's fixture asserts empty.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

FLAVOR = {"id": "42", "name": "m1.nano", "vcpus": 1, "ram": 64, "disk": 1,
          "OS-FLV-EXT-DATA:ephemeral": 0, "swap": ""}
IMAGE = "2937d9c1-6385-4cd5-af82-e66b9f7e9397"
HTML_404 = ("<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n"
            "  <h1>404 Not Found</h1>\n  The resource could not be found.<br /><br />\n\n\n\n"
            " </body>\n</html>")


def _fault(status: int, name: str, message: str, version: str = "2.1") -> web.Response:
    return web.Response(status=status, content_type="application/json", charset="UTF-8",
                        text=json.dumps({name: {"code": status, "message": message}}),
                        headers=_version_headers(version))


def _version_headers(version: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"compute {version}",
            "X-OpenStack-Nova-API-Version": version,
            "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
            "x-openstack-request-id": "req-pod-" + uuid.uuid4().hex[:8],
            "x-compute-request-id": "req-pod-" + uuid.uuid4().hex[:8]}


@dataclass
class FakePod:
    region: str
    az: str = "nova"
    free_ram: int = 100_000
    max_version: str = "2.104"
    base: str = ""                       # http://127.0.0.1:port/v2.1 once served
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    creates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    hang_create: bool = False
    refuse_after: int | None = None      # creates accepted before a quota refusal
    quotas: dict[str, Any] = field(default_factory=dict)
    refuse_quota: bool = False

    @property
    def root(self) -> str:
        return self.base.rsplit("/v2.1", 1)[0]

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_get("/v2.1/", self._version)
        r.add_post("/v2.1/servers", self._create)
        r.add_get("/v2.1/servers/detail", self._detail)
        r.add_get("/v2.1/servers/{id}", self._show)
        r.add_delete("/v2.1/servers/{id}", self._delete)
        r.add_post("/v2.1/servers/{id}/action", self._action)
        r.add_get("/v2.1/servers/{id}/metadata", self._metadata)
        r.add_get("/v2.1/{project}/servers/{id}", self._show)
        r.add_post("/v2.1/{project}/servers", self._create)
        r.add_get("/v2.1/flavors/{id}", self._flavor)
        r.add_get("/v2.1/limits", self._limits)
        r.add_put("/v2.1/servers", self._unrouted)
        r.add_put("/v2.1/os-quota-sets/{project}", self._quota)
        r.add_get("/placement/allocation_candidates", self._candidates)
        r.add_route("*", "/{tail:.*}", self._other)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append(f"{request.method} {request.path_qs}")
        self.headers_seen.append(dict(request.headers))
        return await handler(request)

    # ---- Nova -------------------------------------------------------------------
    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": {"id": "v2.1", "version": self.max_version,
                                              "min_version": "2.1"}})

    def _links(self, kind: str, ident: str) -> list[dict[str, str]]:
        return [{"rel": "self", "href": f"{self.base}/{kind}/{ident}"},
                {"rel": "bookmark", "href": f"{self.root}/{kind}/{ident}"}]

    async def _create(self, request: web.Request) -> web.Response:
        if self.hang_create:  # the pod dies mid-request: the client sees a disconnect
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        try:
            body = await request.json()
        except ValueError:
            return _fault(400, "badRequest", "Malformed request body")
        server = body.get("server") or {}
        error = self._validate(server)
        if error:
            return _fault(400, "badRequest", error)
        count = int(server.get("max_count") or 1)
        if count > 1 and any("port" in n for n in server.get("networks") or []
                             if isinstance(n, dict)):
            return _fault(400, "badRequest", "Unable to launch multiple instances with a "
                          "single configured port ID. Please launch your instance one by "
                          "one with different ports.")
        if self.refuse_after is not None and len(self.creates) >= self.refuse_after:
            return _fault(403, "forbidden", "Quota exceeded for instances.")
        self.creates.append(body)
        ids = [self._add(request, server, f"{server['name']}-{i + 1}" if count > 1
                         else server["name"]) for i in range(count)]
        sid = ids[0]
        if server.get("return_reservation_id"):
            return web.json_response({"reservation_id": "r-1"}, status=202)
        out = {"server": {"id": sid, "links": self._links("servers", sid),
                          "OS-DCF:diskConfig": "MANUAL", "adminPass": "secret",
                          "security_groups": [{"name": "default"}]}}
        headers = {**_version_headers("2.1"), "location": f"{self.base}/servers/{sid}"}
        return web.json_response(out, status=202, headers=headers)

    def _add(self, request: web.Request, server: dict[str, Any], name: str) -> str:
        sid = str(uuid.uuid4())
        self.servers[sid] = {
            "id": sid, "name": name, "status": "ACTIVE",
            "tenant_id": request.headers.get("X-Auth-Token", ""),
            "metadata": dict(server.get("metadata") or {}),
            "OS-EXT-AZ:availability_zone": self.az,
            "flavor": {"id": FLAVOR["id"], "links": self._links("flavors", FLAVOR["id"])[1:]},
            "links": self._links("servers", sid)}
        return sid

    def _validate(self, server: dict[str, Any]) -> str | None:
        if not isinstance(server.get("name"), str) or not server["name"]:
            return "Invalid input for field/attribute name. Value: . '' should be non-empty"
        if server.get("flavorRef") != FLAVOR["id"]:
            return f"Flavor {server.get('flavorRef')} could not be found."
        if server.get("imageRef") != IMAGE:
            return f"Image {server.get('imageRef')} could not be found."
        az = server.get("availability_zone")
        if az is not None and az != self.az:
            return "The requested availability zone is not available"
        return None

    async def _detail(self, request: web.Request) -> web.Response:
        return web.json_response({"servers": list(self.servers.values())})

    async def _show(self, request: web.Request) -> web.Response:
        server = self.servers.get(request.match_info["id"])
        if server is None:
            return _fault(404, "itemNotFound",
                          f"Instance {request.match_info['id']} could not be found.")
        return web.json_response({"server": server}, headers=_version_headers("2.1"))

    async def _delete(self, request: web.Request) -> web.Response:
        if self.servers.pop(request.match_info["id"], None) is None:
            return _fault(404, "itemNotFound",
                          f"Instance {request.match_info['id']} could not be found.")
        return web.Response(status=204, content_type="application/json")

    async def _action(self, request: web.Request) -> web.Response:
        if request.match_info["id"] not in self.servers:
            return _fault(404, "itemNotFound",
                          f"Instance {request.match_info['id']} could not be found.")
        body = await request.json()
        if "os-start" in body:
            return _fault(409, "conflictingRequest",
                          f"Cannot 'start' instance {request.match_info['id']} while it is "
                          "in vm_state active")
        return web.Response(status=202, content_type="application/json")

    async def _metadata(self, request: web.Request) -> web.Response:
        server = self.servers[request.match_info["id"]]
        return web.json_response({"metadata": server["metadata"]})

    async def _flavor(self, request: web.Request) -> web.Response:
        if request.match_info["id"] != FLAVOR["id"]:
            return _fault(404, "itemNotFound", "Flavor could not be found.")
        return web.json_response({"flavor": FLAVOR})

    async def _limits(self, request: web.Request) -> web.Response:
        return web.json_response({"limits": {"absolute": {"maxTotalInstances": 10},
                                             "rate": [], "region": self.region}})

    async def _quota(self, request: web.Request) -> web.Response:
        if self.refuse_quota:
            return _fault(400, "badRequest", "Quota limit must be greater than -1.")
        body = await request.json()
        self.quotas[request.match_info["project"]] = body["quota_set"]
        return web.json_response({"quota_set": {**body["quota_set"], "region": self.region}})

    async def _unrouted(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text=HTML_404, content_type="text/html",
                            charset="UTF-8")

    # ---- Placement --------------------------------------------------------------
    async def _candidates(self, request: web.Request) -> web.Response:
        if request.headers.get("OpenStack-API-Version") != "placement 1.36":
            self.unexpected.append("placement call without microversion 1.36")
        rp = "rp-" + self.region
        fits = self.free_ram >= FLAVOR["ram"]
        return web.json_response({
            "allocation_requests": [{"allocations": {rp: {}}}] if fits else [],
            "provider_summaries": {rp: {"resources": {
                "MEMORY_MB": {"capacity": self.free_ram, "used": 0},
                "VCPU": {"capacity": 100, "used": 0}}}}})

    async def _other(self, request: web.Request) -> web.Response:
        self.unexpected.append(f"{request.method} {request.path_qs}")
        return web.Response(status=599)
