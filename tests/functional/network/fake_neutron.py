"""A strict fake of central Neutron for the network surface's functional tests.

It answers only what the tests send, in Neutron's wire format (NeutronError
bodies, absolute hrefs built from its own URL, ``*_links`` with next and
previous), records every call, and answers anything else with 599 plus an
entry in `unexpected`, which the fixture asserts empty.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def neutron_error(status: int, type_: str, message: str) -> web.Response:
    body = {"NeutronError": {"type": type_, "message": message, "detail": ""}}
    return web.json_response(body, status=status,
                             headers={"X-OpenStack-Request-ID": "req-central-1"})


@dataclass
class FakeNeutron:
    base: str = ""                     # http://127.0.0.1:port once served
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_get("/", self.root)
        r.add_get("/v2.0/networks", self.list_networks)
        r.add_post("/v2.0/networks", self.create_network)
        r.add_get("/v2.0/networks/{id}", self.show_network)
        r.add_delete("/v2.0/networks/{id}", self.delete_network)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append((request.method, request.path_qs))
        self.headers_seen.append(dict(request.headers))
        self.bodies.append(await request.read())
        if request.path != "/" and request.headers.get("X-Auth-Token") is None:
            return neutron_error(401, "HTTPUnauthorized", "no token")
        try:
            return await handler(request)
        except web.HTTPNotFound:
            self.unexpected.append(f"{request.method} {request.path_qs}")
            return web.Response(status=599, text="unexpected call")

    async def root(self, request: web.Request) -> web.Response:
        return web.json_response({"versions": [{"id": "v2.0", "status": "CURRENT", "links": [
            {"rel": "self", "href": f"{self.base}/v2.0/"}]}]})

    async def list_networks(self, request: web.Request) -> web.Response:
        nets = sorted(self.networks.values(), key=lambda n: n["id"])
        query = request.query_string
        links = []
        if "limit" in request.query and nets:
            nets = nets[:int(request.query["limit"])]
            links = [{"rel": "next", "href": f"{self.base}/v2.0/networks?{query}"
                      f"&marker={nets[-1]['id']}"},
                     {"rel": "previous", "href": f"{self.base}/v2.0/networks?{query}"
                      f"&marker={nets[0]['id']}&page_reverse=True"}]
        body: dict[str, Any] = {"networks": nets}
        if links:
            body["networks_links"] = links
        return web.json_response(body, headers={"X-OpenStack-Request-ID": "req-central-1"})

    async def create_network(self, request: web.Request) -> web.Response:
        try:
            doc = json.loads(await request.read())
        except ValueError:
            return neutron_error(400, "HTTPBadRequest", "Body contains invalid data")
        net = {"id": str(uuid.uuid4()), "status": "ACTIVE", **doc["network"]}
        self.networks[net["id"]] = net
        return web.json_response({"network": net}, status=201,
                                 headers={"X-OpenStack-Request-ID": "req-central-1"})

    async def show_network(self, request: web.Request) -> web.Response:
        net = self.networks.get(request.match_info["id"])
        if net is None:
            return neutron_error(404, "NetworkNotFound",
                                 f"Network {request.match_info['id']} could not be found.")
        return web.json_response({"network": net})

    async def delete_network(self, request: web.Request) -> web.Response:
        if self.networks.pop(request.match_info["id"], None) is None:
            return neutron_error(404, "NetworkNotFound", "Network could not be found.")
        return web.Response(status=204)
