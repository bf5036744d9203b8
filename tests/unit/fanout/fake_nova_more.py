"""Flavors, keypairs, availability zones and admin listings of the strict fake Nova."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def _nova_error(status: int, name: str, message: str) -> web.Response:
    return web.json_response({name: {"code": status, "message": message}}, status=status)


@dataclass
class MoreState:
    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    specs: dict[str, dict[str, str]] = field(default_factory=dict)
    access: dict[str, set[str]] = field(default_factory=dict)
    keypairs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=lambda: ["compute1"])
    writes: list[str] = field(default_factory=list)


class MoreRoutes:
    """Registered on a FakeNova's app; `fake` gives region, az, base and `down`."""

    def __init__(self, fake: Any, state: MoreState) -> None:
        self.fake, self.s = fake, state

    def register(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/v2.1/flavors", self.flavor_list)
        r.add_get("/v2.1/flavors/detail", self.flavor_list)
        r.add_post("/v2.1/flavors", self.flavor_create)
        r.add_get("/v2.1/flavors/{id}", self.flavor_show)
        r.add_put("/v2.1/flavors/{id}", self.flavor_update)
        r.add_delete("/v2.1/flavors/{id}", self.flavor_delete)
        r.add_get("/v2.1/flavors/{id}/os-extra_specs", self.specs_get)
        r.add_post("/v2.1/flavors/{id}/os-extra_specs", self.specs_set)
        r.add_delete("/v2.1/flavors/{id}/os-extra_specs/{key}", self.specs_delete)
        r.add_get("/v2.1/flavors/{id}/os-flavor-access", self.access_get)
        r.add_post("/v2.1/flavors/{id}/action", self.access_action)
        r.add_get("/v2.1/os-keypairs", self.kp_list)
        r.add_post("/v2.1/os-keypairs", self.kp_create)
        r.add_get("/v2.1/os-keypairs/{name}", self.kp_show)
        r.add_delete("/v2.1/os-keypairs/{name}", self.kp_delete)
        r.add_get("/v2.1/os-availability-zone/detail", self.az_detail)
        r.add_get("/v2.1/os-hypervisors", self.hv_list)
        r.add_get("/v2.1/os-hypervisors/detail", self.hv_list)
        r.add_get("/v2.1/os-hypervisors/statistics", self.hv_stats)
        r.add_get("/v2.1/os-hypervisors/{id}", self.hv_show)
        r.add_get("/v2.1/os-services", self.services)
        r.add_get("/v2.1/os-aggregates", self.aggregates)
        r.add_get("/v2.1/os-simple-tenant-usage", self.usage)
        r.add_put("/v2.1/os-services/{id}", self.service_put)
        r.add_post("/v2.1/os-aggregates", self.aggregate_post)
        r.add_post("/v2.1/os-aggregates/{id}/action", self.aggregate_action)
        r.add_get("/v2.1/os-hosts", self.host_list)
        r.add_get("/v2.1/os-hosts/{host}", self.host_show)
        r.add_put("/v2.1/os-hosts/{host}", self.host_update)
        r.add_get("/v2.1/os-hosts/{host}/{action}", self.host_power)

    async def _gate(self, request: web.Request) -> None:
        await self.fake._gate()
        if request.method != "GET":
            self.s.writes.append(f"{request.method} {request.path}")

    # ---- flavors -------------------------------------------------------------------
    def _view(self, fid: str) -> dict[str, Any]:
        flavor = dict(self.s.flavors[fid])
        flavor["links"] = [{"rel": "self", "href": f"{self.fake.base}/flavors/{fid}"}]
        return flavor

    async def flavor_list(self, request: web.Request) -> web.Response:
        await self._gate(request)
        return web.json_response({"flavors": [self._view(f) for f in sorted(self.s.flavors)]})

    async def flavor_create(self, request: web.Request) -> web.Response:
        await self._gate(request)
        if request.headers.get("X-Auth-Token") not in ("admin", "service"):
            return _nova_error(403, "forbidden", "Policy doesn't allow create.")
        body = (await request.json())["flavor"]
        fid = body.get("id") or str(uuid.uuid4())
        if fid in self.s.flavors or any(f["name"] == body["name"]
                                        for f in self.s.flavors.values()):
            return _nova_error(409, "conflictingRequest", "Flavor exists.")
        self.s.flavors[fid] = {
            "id": fid, "name": body["name"], "ram": body["ram"], "vcpus": body["vcpus"],
            "disk": body["disk"], "swap": body.get("swap") or "",
            "OS-FLV-EXT-DATA:ephemeral": body.get("OS-FLV-EXT-DATA:ephemeral") or 0,
            "os-flavor-access:is_public": body.get("os-flavor-access:is_public", True),
            "description": body.get("description")}
        self.s.specs[fid], self.s.access[fid] = {}, set()
        return web.json_response({"flavor": self._view(fid)})

    def _missing(self, request: web.Request) -> web.Response | None:
        if request.match_info["id"] not in self.s.flavors:
            return _nova_error(404, "itemNotFound", "Flavor could not be found.")
        return None

    async def flavor_show(self, request: web.Request) -> web.Response:
        await self._gate(request)
        return self._missing(request) or web.json_response(
            {"flavor": self._view(request.match_info["id"])})

    async def flavor_update(self, request: web.Request) -> web.Response:
        await self._gate(request)
        if (missing := self._missing(request)) is not None:
            return missing
        fid = request.match_info["id"]
        self.s.flavors[fid]["description"] = (await request.json())["flavor"]["description"]
        return web.json_response({"flavor": self._view(fid)})

    async def flavor_delete(self, request: web.Request) -> web.Response:
        await self._gate(request)
        if (missing := self._missing(request)) is not None:
            return missing
        del self.s.flavors[request.match_info["id"]]
        return web.Response(status=202)

    async def specs_get(self, request: web.Request) -> web.Response:
        await self._gate(request)
        return self._missing(request) or web.json_response(
            {"extra_specs": self.s.specs[request.match_info["id"]]})

    async def specs_set(self, request: web.Request) -> web.Response:
        await self._gate(request)
        if (missing := self._missing(request)) is not None:
            return missing
        specs = (await request.json())["extra_specs"]
        self.s.specs[request.match_info["id"]].update(specs)
        return web.json_response({"extra_specs": specs})

    async def specs_delete(self, request: web.Request) -> web.Response:
        await self._gate(request)
        self.s.specs.get(request.match_info["id"], {}).pop(request.match_info["key"], None)
        return web.Response(status=200)

    async def access_get(self, request: web.Request) -> web.Response:
        await self._gate(request)
        fid = request.match_info["id"]
        return self._missing(request) or web.json_response(
            {"flavor_access": [{"flavor_id": fid, "tenant_id": t}
                               for t in sorted(self.s.access[fid])]})

    async def access_action(self, request: web.Request) -> web.Response:
        await self._gate(request)
        if (missing := self._missing(request)) is not None:
            return missing
        fid, body = request.match_info["id"], await request.json()
        if "addTenantAccess" in body:
            self.s.access[fid].add(body["addTenantAccess"]["tenant"])
        else:
            self.s.access[fid].discard(body["removeTenantAccess"]["tenant"])
        return await self.access_get(request)

    # ---- keypairs ------------------------------------------------------------------
    @staticmethod
    def _user(request: web.Request) -> str:
        return request.query.get("user_id") or "user-" + request.headers["X-Auth-Token"]

    async def kp_list(self, request: web.Request) -> web.Response:
        await self._gate(request)
        user = self._user(request)
        return web.json_response({"keypairs": [{"keypair": kp} for (u, _), kp in
                                               sorted(self.s.keypairs.items()) if u == user]})

    async def kp_create(self, request: web.Request) -> web.Response:
        await self._gate(request)
        body = (await request.json())["keypair"]
        user = body.get("user_id") or self._user(request)
        if (user, body["name"]) in self.s.keypairs:
            return _nova_error(409, "conflictingRequest", "Key pair already exists.")
        keypair = {"name": body["name"], "type": body.get("type", "ssh"),
                   "public_key": body.get("public_key") or f"ssh-rsa GEN{uuid.uuid4().hex}",
                   "fingerprint": "fp", "user_id": user}
        self.s.keypairs[(user, body["name"])] = keypair
        shown = dict(keypair)
        if "public_key" not in body:
            shown["private_key"] = "-----BEGIN PRIVATE KEY-----"
        return web.json_response({"keypair": shown})

    async def kp_show(self, request: web.Request) -> web.Response:
        await self._gate(request)
        keypair = self.s.keypairs.get((self._user(request), request.match_info["name"]))
        if keypair is None:
            return _nova_error(404, "itemNotFound", "Keypair not found.")
        return web.json_response({"keypair": keypair})

    async def kp_delete(self, request: web.Request) -> web.Response:
        await self._gate(request)
        if self.s.keypairs.pop((self._user(request), request.match_info["name"]), None) is None:
            return _nova_error(404, "itemNotFound", "Keypair not found.")
        return web.Response(status=202)

    # ---- availability zones --------------------------------------------------------
    async def az_detail(self, request: web.Request) -> web.Response:
        await self._gate(request)
        if request.headers.get("X-Auth-Token") != "admin":
            return _nova_error(403, "forbidden", "Policy doesn't allow detail.")
        svc = {"available": True, "active": True, "updated_at": "2026-11-24T15:12:04.000000"}
        return web.json_response({"availabilityZoneInfo": [
            {"zoneName": "internal", "zoneState": {"available": True},
             "hosts": {h: {"nova-conductor": svc} for h in self.s.hosts}},
            {"zoneName": self.fake.az, "zoneState": {"available": True},
             "hosts": {h: {"nova-compute": svc} for h in self.s.hosts}}]})

    # ---- admin listings ------------------------------------------------------------
    def _admin(self, request: web.Request) -> web.Response | None:
        self.s.writes.append(f"GET {request.path_qs}")
        if request.headers.get("X-Auth-Token") != "admin":
            return _nova_error(403, "forbidden", "Policy doesn't allow it.")
        return None

    def _hypervisors(self, pattern: str | None = None) -> list[dict[str, Any]]:
        return [{"id": i + 1, "hypervisor_hostname": h, "state": "up", "status": "enabled",
                 "service": {"id": 10 + i, "host": h}}
                for i, h in enumerate(self.s.hosts) if pattern is None or pattern in h]

    async def hv_list(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        return self._admin(request) or web.json_response(
            {"hypervisors": self._hypervisors(request.query.get("hypervisor_hostname_pattern"))})

    async def hv_show(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        if (refused := self._admin(request)) is not None:
            return refused
        found = [h for h in self._hypervisors() if str(h["id"]) == request.match_info["id"]]
        if not found:
            return _nova_error(404, "itemNotFound", "Hypervisor not found.")
        return web.json_response({"hypervisor": found[0]})

    async def hv_stats(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        n = len(self.s.hosts)
        return self._admin(request) or web.json_response({"hypervisor_statistics": {
            "count": n, "vcpus": 8 * n, "running_vms": 2 * n}})

    async def services(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        hosts = [h for h in self.s.hosts if request.query.get("host") in (None, h)]
        return self._admin(request) or web.json_response({"services": [
            {"id": 10 + i, "binary": "nova-compute", "host": h, "zone": self.fake.az,
             "status": "enabled", "state": "up"} for i, h in enumerate(hosts)]})

    async def aggregates(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        return self._admin(request) or web.json_response({"aggregates": [
            {"id": 1, "name": "agg", "availability_zone": self.fake.az, "hosts": self.s.hosts,
             "metadata": {"availability_zone": self.fake.az}}]})

    async def usage(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        return self._admin(request) or web.json_response({"tenant_usages": [
            {"tenant_id": "p1", "total_hours": 1.5, "total_vcpus_usage": 1.5,
             "server_usages": [{"name": self.fake.region, "availability_zone": self.fake.az}]}]})

    async def service_put(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        self.s.writes.append(f"PUT {request.path}")
        body = await request.json()
        if request.match_info["id"] == "disable":
            if body.get("host") not in self.s.hosts:
                return _nova_error(404, "itemNotFound", "Host not found.")
            return web.json_response({"service": {"host": body["host"], "status": "disabled",
                                                  "binary": "nova-compute"}})
        if request.match_info["id"] != "10":
            return _nova_error(404, "itemNotFound", "Service not found.")
        return web.json_response({"service": {"id": 10, "host": self.s.hosts[0],
                                              "status": body.get("status", "enabled")}})

    async def aggregate_post(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        body = (await request.json())["aggregate"]
        self.s.writes.append(f"POST {request.path} {body}")
        return web.json_response({"aggregate": {"id": 7, "name": body["name"], "hosts": [],
                                                "availability_zone":
                                                    body.get("availability_zone")}})

    async def aggregate_action(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        body = await request.json()
        self.s.writes.append(f"POST {request.path} {body}")
        host = body.get("add_host", {}).get("host")
        if request.match_info["id"] != "1" or host not in self.s.hosts:
            return _nova_error(404, "itemNotFound", "Not found.")
        return web.json_response({"aggregate": {"id": 1, "name": "agg", "hosts": [host]}})

    # ---- os-hosts (removed at 2.43) ----------------------------------------------------
    def _host(self, request: web.Request) -> web.Response | None:
        if (refused := self._admin(request)) is not None:
            return refused
        if request.headers.get("OpenStack-API-Version") == "compute 2.43":
            return _nova_error(404, "itemNotFound", "The resource could not be found.")
        host = request.match_info.get("host")
        if host is not None and host not in self.s.hosts:
            return _nova_error(404, "itemNotFound", f"Host '{host}' is not mapped to any cell")
        return None

    async def host_list(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        zone = request.query.get("zone")
        hosts = [{"host_name": h, "service": s, "zone": z} for h in self.s.hosts
                 for s, z in (("conductor", "internal"), ("compute", self.fake.az))]
        return self._host(request) or web.json_response(
            {"hosts": [h for h in hosts if not zone or h["zone"] == zone]})

    async def host_show(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        host = request.match_info["host"]
        return self._host(request) or web.json_response({"host": [
            {"resource": {"host": host, "project": p, "cpu": 1}}
            for p in ("(total)", "(used_now)")]})

    async def host_update(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        self.s.writes.append(f"PUT {request.path}")
        if (refused := self._host(request)) is not None:
            return refused
        status = (await request.json()).get("status")
        if status not in ("enable", "disable"):
            return _nova_error(400, "badRequest", f"Invalid input: {status}")
        return web.json_response({"host": request.match_info["host"], "status": status + "d"})

    async def host_power(self, request: web.Request) -> web.Response:
        await self.fake._gate()
        return self._host(request) or web.json_response(
            {"host": request.match_info["host"], "power_action": request.match_info["action"]})
