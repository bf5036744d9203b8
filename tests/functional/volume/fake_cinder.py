"""A strict fake pod Cinder v3 for the volume surface's functional tests.

Answers only the calls the volume surface makes and the tests send, in
Cinder's wire format (fault bodies, links from its own base URL, version
headers, project-less and project-id URLs), records every call, and answers
anything else with 599 plus an entry in `unexpected` that the fixture asserts
empty.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

_CLOCK = itertools.count(1)
HEADERS = {"OpenStack-API-Version": "volume 3.0", "Vary": "OpenStack-API-Version"}


def fault(status: int, name: str, message: str) -> web.Response:
    return web.Response(status=status, content_type="application/json",
                        text=json.dumps({name: {"code": status, "message": message}}),
                        headers={**HEADERS, "x-openstack-request-id": "req-pod"})


@dataclass
class FakeCinder:
    region: str
    az: str
    base: str = ""                                   # http://127.0.0.1:port/v3
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    types: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    while_creating: Any = None                       # awaited inside a transfer create
    hosts: list[str] = field(default_factory=list)   # cinder-volume services
    managed: list[dict[str, Any]] = field(default_factory=list)
    group_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    broken: bool = False                             # group type writes answer 503
    free_gb: int = 1000
    calls: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    @property
    def root(self) -> str:
        return self.base.rsplit("/v3", 1)[0]

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        for prefix in ("/v3", "/v3/{project}"):
            r = app.router
            r.add_post(f"{prefix}/volumes", self._create)
            r.add_get(f"{prefix}/volumes/detail", self._detail)
            r.add_get(f"{prefix}/volumes/{{id}}", self._show)
            r.add_delete(f"{prefix}/volumes/{{id}}", self._delete)
            r.add_post(f"{prefix}/snapshots", self._snapshot)
            r.add_get(f"{prefix}/types", self._types)
            r.add_post(f"{prefix}/types", self._type_create)
            r.add_get(f"{prefix}/types/{{id}}", self._type_show)
            r.add_post(f"{prefix}/types/{{id}}/extra_specs", self._type_specs)
            r.add_get(f"{prefix}/scheduler-stats/get_pools", self._pools)
            r.add_get(f"{prefix}/attachments/{{id}}", self._attachment)
            r.add_delete(f"{prefix}/attachments/{{id}}", self._attachment)
            r.add_post(f"{prefix}/attachments", self._attachment_create)
            for segment in ("os-volume-transfer", "volume-transfers"):
                r.add_post(f"{prefix}/{segment}", self._transfer_create)
                r.add_get(f"{prefix}/{segment}/detail", self._transfer_list)
                r.add_get(f"{prefix}/{segment}/{{id}}", self._transfer)
                r.add_delete(f"{prefix}/{segment}/{{id}}", self._transfer)
            r.add_get(f"{prefix}/os-services", self._services)
            r.add_post(f"{prefix}/manageable_volumes", self._manage)
            r.add_route("*", f"{prefix}/group_types", self._group_types)
            r.add_route("*", f"{prefix}/group_types/{{id}}", self._group_type)
            r.add_route("*", f"{prefix}/group_types/{{id}}/group_specs{{key:(/.*)?}}",
                        self._group_specs)
        # a pod enabled again also gets its flavors synchronised: there are none here
        app.router.add_get("/nova/flavors", self._no_flavors)
        app.router.add_route("*", "/{tail:.*}", self._other)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append(f"{request.method} {request.path_qs}")
        return await handler(request)

    async def _pools(self, request: web.Request) -> web.Response:
        pool = {"name": f"{self.region}@lab#lab", "capabilities": {
            "free_capacity_gb": self.free_gb, "total_capacity_gb": 1000}}
        return web.json_response({"pools": [pool]}, headers=HEADERS)

    async def _attachment(self, request: web.Request) -> web.Response:
        version = request.headers.get("OpenStack-API-Version", "volume 3.0").split()[-1]
        if tuple(int(p) for p in version.split(".")) < (3, 27):  # no such API below it
            return fault(404, "itemNotFound", "The resource could not be found.")
        if request.method == "DELETE":  # Cinder detaches at once; the fake keeps it
            return web.json_response({}, headers=HEADERS)
        found = self.attachments.get(request.match_info["id"])
        if found is None:
            return fault(404, "itemNotFound", "Volume attachment could not be found with "
                         f"filter: attachment_id = {request.match_info['id']}.")
        return web.json_response({"attachment": found}, headers=HEADERS)

    def _volume_of(self, volume_id: Any, token: str | None) -> dict[str, Any] | None:
        """The volume, if the token's project owns it or the token is an admin's."""
        volume = self.volumes.get(volume_id) if isinstance(volume_id, str) else None
        if volume is None or token not in ("admin", volume["os-vol-tenant-attr:tenant_id"]):
            return None
        return volume

    def _owned(self, volume_id: str, token: str | None) -> bool:
        """Cinder: an attachment or a transfer is its volume's project's (admin: any)."""
        volume = self.volumes.get(volume_id)
        return volume is not None and token in ("admin", volume["os-vol-tenant-attr:tenant_id"])

    async def _attachment_create(self, request: web.Request) -> web.Response:
        member = (await request.json())["attachment"]
        volume = self._volume_of(member.get("volume_uuid"), request.headers.get("X-Auth-Token"))
        if volume is None:
            return fault(404, "itemNotFound", "Volume could not be found.")
        aid = str(uuid.uuid4())
        self.attachments[aid] = {"id": aid, "volume_id": volume["id"], "status": "reserved",
                                 "instance": member.get("instance_uuid")}
        return web.json_response({"attachment": self.attachments[aid]}, headers=HEADERS)

    async def _transfer_create(self, request: web.Request) -> web.Response:
        member = (await request.json())["transfer"]
        volume = self._volume_of(member.get("volume_id"), request.headers.get("X-Auth-Token"))
        if volume is None:
            return fault(404, "itemNotFound", "Volume could not be found.")
        if self.while_creating is not None:
            await self.while_creating()
        tid = str(uuid.uuid4())
        self.transfers[tid] = {"id": tid, "volume_id": volume["id"], "name": member.get("name"),
                               "created_at": f"2026-11-24T11:00:{next(_CLOCK):02d}.000000"}
        return web.json_response({"transfer": {**self.transfers[tid], "auth_key": "k"}},
                                 status=202, headers=HEADERS)

    async def _transfer(self, request: web.Request) -> web.Response:
        found = self.transfers.get(request.match_info["id"])
        if found is None or not self._owned(found["volume_id"],
                                            request.headers.get("X-Auth-Token")):
            return fault(404, "itemNotFound",
                         f"Transfer {request.match_info['id']} could not be found.")
        if request.method == "DELETE":
            del self.transfers[found["id"]]
            return web.Response(status=202, content_type="text/html")
        return web.json_response({"transfer": found}, headers=HEADERS)

    async def _transfer_list(self, request: web.Request) -> web.Response:
        """The transfers of the token's project's volumes (an admin's too: by project)."""
        token = request.headers.get("X-Auth-Token")
        return web.json_response({"transfers": [
            t for t in self.transfers.values()
            if self.volumes.get(t["volume_id"], {}).get("os-vol-tenant-attr:tenant_id") == token
        ]}, headers=HEADERS)

    async def _services(self, request: web.Request) -> web.Response:
        if request.query.get("binary") != "cinder-volume":
            return fault(400, "badRequest", "the gateway asks for cinder-volume only")
        return web.json_response({"services": [
            {"binary": "cinder-volume", "host": h, "zone": self.az, "state": "up"}
            for h in self.hosts]}, headers=HEADERS)

    async def _manage(self, request: web.Request) -> web.Response:
        member = (await request.json())["volume"]
        host = str(member.get("host", "")).split("#", 1)[0]
        if host not in self.hosts:
            return fault(400, "badRequest", f"Host '{member.get('host')}' not found")
        if member.get("availability_zone") not in (None, self.az):
            return fault(400, "badRequest", "Availability zone is invalid.")
        self.managed.append(member)
        vid = str(uuid.uuid4())
        return web.json_response({"volume": {"id": vid, "status": "creating",
                                             "availability_zone": self.az}},
                                 status=202, headers=HEADERS)

    def _group_api(self, request: web.Request) -> web.Response | None:
        """Cinder's refusals of a group type call: below 3.11, or a broken pod."""
        version = request.headers.get("OpenStack-API-Version", "volume 3.0").split()[-1]
        if tuple(int(p) for p in version.split(".")) < (3, 11):
            return fault(404, "itemNotFound", "The resource could not be found.")
        if self.broken and request.method != "GET":
            return fault(503, "serviceUnavailable", "broken")
        return None

    async def _group_types(self, request: web.Request) -> web.Response:
        refused = self._group_api(request)
        if refused is not None:
            return refused
        if request.method == "GET":
            return web.json_response({"group_types": list(self.group_types.values())},
                                     headers=HEADERS)
        member = (await request.json())["group_type"]
        if any(t["name"] == member["name"] for t in self.group_types.values()):
            return fault(409, "conflictingRequest", "Group Type already exists.")
        tid = str(uuid.uuid4())
        self.group_types[tid] = {"id": tid, "name": member["name"],
                                 "description": member.get("description"),
                                 "is_public": member.get("is_public", True),
                                 "group_specs": dict(member.get("group_specs") or {})}
        return web.json_response({"group_type": self.group_types[tid]}, status=202,
                                 headers=HEADERS)

    async def _group_type(self, request: web.Request) -> web.Response:
        refused = self._group_api(request)
        if refused is not None:
            return refused
        found = self.group_types.get(request.match_info["id"])
        if found is None:
            return fault(404, "itemNotFound", "Group type could not be found.")
        if request.method == "DELETE":
            del self.group_types[found["id"]]
            return web.Response(status=202)
        if request.method == "PUT":
            found.update((await request.json())["group_type"])
        return web.json_response({"group_type": found}, headers=HEADERS)

    async def _group_specs(self, request: web.Request) -> web.Response:
        refused = self._group_api(request)
        if refused is not None:
            return refused
        found = self.group_types.get(request.match_info["id"])
        if found is None:
            return fault(404, "itemNotFound", "Group type could not be found.")
        key = request.match_info["key"].lstrip("/")
        if request.method == "DELETE" and key:
            found["group_specs"].pop(key, None)
            return web.Response(status=202)
        specs = (await request.json())["group_specs"]
        found["group_specs"].update(specs)
        return web.json_response({"group_specs": specs}, headers=HEADERS)

    async def _no_flavors(self, request: web.Request) -> web.Response:
        return web.json_response({"flavors": []})

    async def _other(self, request: web.Request) -> web.Response:
        self.unexpected.append(f"{request.method} {request.path_qs}")
        return web.Response(status=599)

    def _links(self, request: web.Request, ident: str) -> list[dict[str, str]]:
        project = request.match_info.get("project")
        part = f"/{project}" if project else ""
        return [{"rel": "self", "href": f"{self.base}{part}/volumes/{ident}"},
                {"rel": "bookmark", "href": f"{self.root}{part}/volumes/{ident}"}]

    async def _create(self, request: web.Request) -> web.Response:
        try:
            member = (await request.json())["volume"]
        except (ValueError, KeyError):
            return fault(400, "badRequest", "Malformed request body")
        if not str(member.get("size", "")).isdigit():
            return fault(400, "badRequest", "Invalid input for field/attribute size.")
        if member.get("availability_zone") not in (None, self.az):
            return fault(400, "badRequest", "Availability zone is invalid.")
        vid = str(uuid.uuid4())
        self.volumes[vid] = {
            "id": vid, "name": member.get("name"), "size": int(member["size"]),
            "status": "available", "availability_zone": self.az,
            "created_at": f"2026-11-24T10:00:{next(_CLOCK):02d}.000000",
            "metadata": dict(member.get("metadata") or {}),
            "volume_type": member.get("volume_type") or "__DEFAULT__",
            "os-vol-tenant-attr:tenant_id": request.headers.get("X-Auth-Token"),
            "links": self._links(request, vid)}
        return web.json_response({"volume": self.volumes[vid]}, status=202, headers=HEADERS)

    async def _detail(self, request: web.Request) -> web.Response:
        token = request.headers.get("X-Auth-Token")
        items = sorted((v for v in self.volumes.values()
                        if v["os-vol-tenant-attr:tenant_id"] == token),
                       key=lambda v: (v["created_at"], v["id"]), reverse=True)
        marker = request.query.get("marker")
        if marker:
            if marker not in self.volumes:
                return fault(404, "itemNotFound", f"Volume {marker} could not be found.")
            items = items[[v["id"] for v in items].index(marker) + 1:]
        limit = int(request.query.get("limit", 1000))
        return web.json_response({"volumes": [{**v, "links": self._links(request, v["id"])}
                                              for v in items[:limit]]}, headers=HEADERS)

    async def _show(self, request: web.Request) -> web.Response:
        volume = self.volumes.get(request.match_info["id"])
        if volume is None:
            return fault(404, "itemNotFound",
                         f"Volume {request.match_info['id']} could not be found.")
        # links follow the request's URL form, as Cinder builds them
        return web.json_response({"volume": {**volume, "links": self._links(request,
                                                                            volume["id"])}},
                                 headers=HEADERS)

    async def _delete(self, request: web.Request) -> web.Response:
        if self.volumes.pop(request.match_info["id"], None) is None:
            return fault(404, "itemNotFound", "Volume could not be found.")
        return web.Response(status=202, content_type="text/html")

    async def _snapshot(self, request: web.Request) -> web.Response:
        member = (await request.json())["snapshot"]
        if member.get("volume_id") not in self.volumes:
            return fault(404, "itemNotFound", "Volume could not be found.")
        sid = str(uuid.uuid4())
        self.snapshots[sid] = {"id": sid, "volume_id": member["volume_id"],
                               "metadata": dict(member.get("metadata") or {}),
                               "status": "creating"}
        return web.json_response({"snapshot": self.snapshots[sid]}, status=202,
                                 headers=HEADERS)

    async def _types(self, request: web.Request) -> web.Response:
        return web.json_response({"volume_types": list(self.types.values())}, headers=HEADERS)

    async def _type_create(self, request: web.Request) -> web.Response:
        member = (await request.json())["volume_type"]
        if any(t["name"] == member["name"] for t in self.types.values()):
            return fault(409, "conflictingRequest", "Volume Type already exists.")
        tid = str(uuid.uuid4())
        self.types[tid] = {"id": tid, "name": member["name"], "is_public": True,
                           "extra_specs": dict(member.get("extra_specs") or {})}
        return web.json_response({"volume_type": self.types[tid]}, headers=HEADERS)

    async def _type_show(self, request: web.Request) -> web.Response:
        found = self.types.get(request.match_info["id"])
        if found is None:
            return fault(404, "itemNotFound", "Volume type could not be found.")
        return web.json_response({"volume_type": found}, headers=HEADERS)

    async def _type_specs(self, request: web.Request) -> web.Response:
        found = self.types.get(request.match_info["id"])
        if found is None:
            return fault(404, "itemNotFound", "Volume type could not be found.")
        specs = (await request.json())["extra_specs"]
        found["extra_specs"].update(specs)
        return web.json_response({"extra_specs": specs}, headers=HEADERS)
