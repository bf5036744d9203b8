"""A strict in-memory Neutron (networks, subnets, ports, security groups and rules,
routers, floating IPs, tags) for the boot functional tests: one instance plays
central Neutron, one a pod's. Like the lab: ``tags`` in a POST are refused; a port
needs a free MAC/IP; a second subnet with the same CIDR on a network (400) is
refused, and with `unique_segments` a second network on a segmentation id (409);
a subnet with ports (but DHCP's) on it is not deleted (409);
list filters are any attribute (a list attribute such as ``tags`` matches one of
its items; a repeated filter any of its values); anything else is 599 plus an
entry in `unexpected`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

COLLECTIONS = {"networks": "network", "subnets": "subnet", "ports": "port",
               "security-groups": "security_group",
               "security-group-rules": "security_group_rule",
               "routers": "router", "floatingips": "floatingip"}


def _error(status: int, type_: str, message: str) -> web.Response:
    return web.json_response({"NeutronError": {"type": type_, "message": message,
                                               "detail": ""}}, status=status)


def _matches(value: Any, wanted: list[str]) -> bool:
    """A list attribute (tags, security_groups) matches when it holds one of `wanted`;
    ``fixed_ips`` is matched as Neutron does (``fixed_ips=subnet_id=<id>``)."""
    if isinstance(value, list) and any(w.startswith("subnet_id=") for w in wanted):
        return any(f"subnet_id={ip.get('subnet_id')}" in wanted for ip in value)
    if isinstance(value, list):
        return any(w in value for w in wanted)
    return str(value) in wanted


@dataclass
class FakeStore:
    name: str
    items: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {c: {} for c in COLLECTIONS})
    calls: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    segment: int = 150001
    unique_segments: bool = False  # a pod refuses a second network on a segment
    next_ip: int = 10

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_post("/v2.0/{coll}", self.create)
        r.add_get("/v2.0/{coll}", self.index)
        r.add_get("/v2.0/{coll}/{id}", self.show)
        r.add_put("/v2.0/{coll}/{id}", self.update)
        r.add_delete("/v2.0/{coll}/{id}", self.delete)
        r.add_put("/v2.0/{coll}/{id}/tags", self.set_tags)
        r.add_put("/v2.0/{coll}/{id}/tags/{tag}", self.add_tag)
        return app

    def of(self, coll: str) -> list[dict[str, Any]]:
        return list(self.items[coll].values())

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append(f"{request.method} {request.path_qs}")
        self.tokens.append(request.headers.get("X-Auth-Token", ""))
        if request.match_info.get("coll") not in COLLECTIONS:
            self.unexpected.append(f"{request.method} {request.path_qs}")
            return web.Response(status=599)
        return await handler(request)

    def _get(self, request: web.Request) -> dict[str, Any] | None:
        return self.items[request.match_info["coll"]].get(request.match_info["id"])

    async def create(self, request: web.Request) -> web.Response:
        coll = request.match_info["coll"]
        body = json.loads(await request.read())[COLLECTIONS[coll]]
        if "tags" in body:
            return _error(400, "HTTPBadRequest", "Attribute 'tags' not allowed in POST")
        item = {"id": str(uuid.uuid4()), "tags": [], "description": "",
                "project_id": body.get("tenant_id", request.headers["X-Auth-Token"]), **body}
        made = getattr(self, "_new_" + COLLECTIONS[coll], None)
        if made is not None:
            error = made(item)
            if error is not None:
                return error
        self.items[coll][item["id"]] = item
        return web.json_response({COLLECTIONS[coll]: item}, status=201)

    def _new_network(self, item: dict[str, Any]) -> web.Response | None:
        segment = item.get("provider:segmentation_id")
        taken = {n.get("provider:segmentation_id") for n in self.of("networks")}
        if segment is not None and self.unique_segments and segment in taken:
            return _error(409, "SegmentationIdInUse", f"The tunnel ID {segment} is in use.")
        item.setdefault("provider:network_type", "vxlan")
        item.setdefault("provider:segmentation_id", self.segment)
        item.setdefault("provider:physical_network", None)
        return None

    def _new_subnet(self, item: dict[str, Any]) -> web.Response | None:
        if any(s["network_id"] == item.get("network_id") and s.get("cidr") == item.get("cidr")
               for s in self.of("subnets")):
            return _error(400, "InvalidInput", f"{item.get('cidr')} overlaps with a subnet")
        return None

    def _new_security_group(self, item: dict[str, Any]) -> None:
        item["security_group_rules"] = []

    def _new_port(self, item: dict[str, Any]) -> web.Response | None:
        if item["network_id"] not in self.items["networks"]:
            return _error(404, "NetworkNotFound", f"Network {item['network_id']} not found")
        subnets = [s for s in self.of("subnets") if s["network_id"] == item["network_id"]]
        if "fixed_ips" not in item and subnets:
            self.next_ip += 1
            item["fixed_ips"] = [{"subnet_id": subnets[0]["id"],
                                  "ip_address": f"10.0.0.{self.next_ip}"}]
        for ip in item.get("fixed_ips", []):
            ip.setdefault("subnet_id", subnets[0]["id"])
            if "ip_address" not in ip:
                self.next_ip += 1
                ip["ip_address"] = f"10.0.0.{self.next_ip}"
        item.setdefault("mac_address", f"fa:16:3e:00:00:{len(self.items['ports']):02x}")
        item.setdefault("security_groups", [])
        item.setdefault("device_id", "")
        return None

    async def index(self, request: web.Request) -> web.Response:
        coll = request.match_info["coll"]
        wanted: dict[str, list[str]] = {}
        for k, v in request.query.items():  # a repeated filter is any of its values
            if k != "fields":
                wanted.setdefault(k, []).append(v)
        found = [i for i in self.of(coll) if all(_matches(i.get(k), values)
                                                 for k, values in wanted.items())]
        return web.json_response({coll.replace("-", "_"): found})

    async def show(self, request: web.Request) -> web.Response:
        item = self._get(request)
        if item is None:
            return _error(404, "NotFound", f"{request.match_info['id']} could not be found.")
        if request.match_info["coll"] == "security-groups":
            item["security_group_rules"] = [r for r in self.of("security-group-rules")
                                            if r["security_group_id"] == item["id"]]
        return web.json_response({COLLECTIONS[request.match_info["coll"]]: item})

    async def update(self, request: web.Request) -> web.Response:
        item = self._get(request)
        if item is None:
            return _error(404, "NotFound", "not found")
        item.update(json.loads(await request.read())[COLLECTIONS[request.match_info["coll"]]])
        return web.json_response({COLLECTIONS[request.match_info["coll"]]: item})

    async def delete(self, request: web.Request) -> web.Response:
        if request.match_info["coll"] == "subnets" and any(
                ip.get("subnet_id") == request.match_info["id"]
                for p in self.of("ports") if p.get("device_owner") != "network:dhcp"
                for ip in p.get("fixed_ips", [])):
            return _error(409, "SubnetInUse", "One or more ports have an IP allocation "
                          "from this subnet.")
        if self.items[request.match_info["coll"]].pop(request.match_info["id"], None) is None:
            return _error(404, "NotFound", "not found")
        return web.Response(status=204)

    async def set_tags(self, request: web.Request) -> web.Response:
        item = self._get(request)
        assert item is not None
        item["tags"] = json.loads(await request.read())["tags"]
        return web.json_response({"tags": item["tags"]})

    async def add_tag(self, request: web.Request) -> web.Response:
        item = self._get(request)
        assert item is not None
        item["tags"].append(request.match_info["tag"])
        return web.Response(status=201)
