"""A strict in-memory Nova (servers only) for fan-out tests.

It sorts and pages like Nova (sort params as process_sort_params, hidden integer
id as the last tie-break, marker = strictly after), answers only the calls the
list makes, and records every call; anything else is a 599 and an `unexpected`
entry the test asserts empty.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

_SEQ = itertools.count(1)
FIELDS = {"created_at": "created", "display_name": "name", "uuid": "id",
          "availability_zone": "OS-EXT-AZ:availability_zone", "vm_state": "OS-EXT-STS:vm_state"}
BASE_TIME = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


@dataclass
class FakeNova:
    region: str
    az: str = "nova"
    servers: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    down: str | None = None       # None | "hang" | "503"
    latency: float = 0.0          # seconds before each answer
    fail_after: int | None = None  # detail calls answered before the pod turns 503
    base: str = ""                # set once served: http://127.0.0.1:port/v2.1

    def add(self, name: str, *, second: int, project: str = "p1", sid: str | None = None,
            vm_state: str = "active") -> dict[str, Any]:
        created = (BASE_TIME + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")
        server = {"id": sid or str(uuid.uuid4()), "name": name, "created": created,
                  "updated": created, "tenant_id": project, "status": "ACTIVE",
                  "OS-EXT-AZ:availability_zone": self.az, "OS-EXT-STS:vm_state": vm_state,
                  "metadata": {}, "_seq": next(_SEQ)}
        self.servers.append(server)
        return server

    # ---- the HTTP side ---------------------------------------------------------------
    def app(self) -> web.Application:
        from tests.unit.fanout.fake_nova_more import MoreRoutes, MoreState
        app = web.Application()
        self.more = MoreState()
        MoreRoutes(self, self.more).register(app)
        app.router.add_get("/v2.1/", self._version)
        app.router.add_get("/v2.1/servers/detail", self._detail)
        app.router.add_get("/v2.1/servers/{id}", self._show)
        app.router.add_route("*", "/{tail:.*}", self._other)
        return app

    async def _gate(self) -> None:
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.down == "hang":
            await asyncio.sleep(3600)
        if self.down == "503":
            raise web.HTTPServiceUnavailable()

    async def _detail(self, request: web.Request) -> web.Response:
        await self._gate()
        q = request.query
        self.calls.append(("GET", request.path, {k: q.getall(k) for k in q}))
        if self.fail_after is not None and len(self.calls) > self.fail_after:
            raise web.HTTPServiceUnavailable()
        if not q.get("limit", "1").isdigit():
            return web.json_response({"badRequest": {"code": 400, "message": "Invalid input "
                                                     "for query parameters limit."}}, status=400)
        if q.get("sort_key") == "bogus":
            return web.json_response({"badRequest": {"code": 400, "message": "bad sort"}},
                                     status=400)
        items = [s for s in self.servers if s["tenant_id"] == request.headers["X-Auth-Token"]
                 or "all_tenants" in q]
        if "availability_zone" in q:
            items = [s for s in items if s["OS-EXT-AZ:availability_zone"] ==
                     q["availability_zone"]]
        items.sort(key=self._key(q.getall("sort_key", []), q.getall("sort_dir", [])))
        if "marker" in q:
            ids = [s["id"] for s in items]
            if q["marker"] not in ids:
                return web.json_response(
                    {"badRequest": {"code": 400,
                                    "message": f"marker [{q['marker']}] not found"}}, status=400)
            items = items[ids.index(q["marker"]) + 1:]
        items = items[:int(q.get("limit", 1000))]
        return web.json_response({"servers": [self._view(s) for s in items]},
                                 headers={"OpenStack-API-Version": "compute 2.1"})

    async def _show(self, request: web.Request) -> web.Response:
        await self._gate()
        self.calls.append(("GET", request.path, {}))
        for s in self.servers:
            if s["id"] == request.match_info["id"]:
                return web.json_response({"server": self._view(s)})
        return web.json_response({"itemNotFound": {"code": 404, "message": "nope"}}, status=404)

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": {"id": "v2.1", "status": "CURRENT",
                                              "version": "2.104", "min_version": "2.1"}})

    async def _other(self, request: web.Request) -> web.Response:
        self.unexpected.append(f"{request.method} {request.path_qs}")
        return web.Response(status=599)

    def _view(self, server: dict[str, Any]) -> dict[str, Any]:
        view = {k: v for k, v in server.items() if not k.startswith("_")}
        view["metadata"] = dict(server["metadata"])
        view["links"] = [{"rel": "self", "href": f"{self.base}/servers/{server['id']}"},
                         {"rel": "bookmark",
                          "href": f"{self.base.rsplit('/', 1)[0]}/servers/{server['id']}"}]
        return view

    @staticmethod
    def _key(keys: list[str], dirs: list[str]):
        first = dirs[0] if dirs else "desc"
        spec = list(zip(keys, dirs + [first] * (len(keys) - len(dirs)), strict=True))
        spec += [(k, first) for k in ("created_at", "id") if k not in keys]

        def key(server: dict[str, Any]) -> tuple[Any, ...]:
            out: list[Any] = []
            for name, direction in spec:
                value = server["_seq"] if name == "id" else server.get(FIELDS[name])
                if isinstance(value, str):
                    value = value.casefold()
                out.append(_Rev(value) if direction == "desc" else value)
            return tuple(out)

        return key


class _Rev:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Rev) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rev) and self.value == other.value
