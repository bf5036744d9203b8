"""Requests that miss the routing cache together share one database read."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from tricircle.context import RequestContext
from tricircle.pods.registry import PodInfo
from tricircle.proxy import locate
from tricircle.resources import SERVER
from tricircle.routing.table import Route

POD = PodInfo(id="p1", region_name="RegionOne", az_name="az1", pod_az_name="", dc_name="",
              state="enabled", health="healthy", capabilities={},
              last_probe_at=None, last_error=None, created_at=datetime.now(UTC),
              updated_at=datetime.now(UTC))
ROUTE = Route(id=1, top_id="s1", bottom_id="s1", pod_id="p1", region_name="RegionOne",
              project_id="demo", resource_type="server", created_at=datetime.now(UTC))


class CountingDb:
    def __init__(self) -> None:
        self.sessions = 0

    @asynccontextmanager
    async def session(self):
        self.sessions += 1
        await asyncio.sleep(0.05)  # a slow database: everyone arrives while it reads
        yield None


async def test_concurrent_misses_read_the_routing_row_once(monkeypatch):
    async def lookup(s, top_id, rtype, *, project_id):
        return [ROUTE]

    async def list_pods(s):
        return [POD]

    monkeypatch.setattr(locate.table, "lookup", lookup)
    monkeypatch.setattr(locate.pod_registry, "list_pods", list_pods)
    db = CountingDb()
    locator = locate.Locator(db)  # type: ignore[arg-type]
    ctx = RequestContext(project_id="demo", roles=("member",))
    found = await asyncio.gather(*(locator.find(SERVER, "s1", ctx) for _ in range(50)))
    assert {f.pod.region_name for f in found} == {"RegionOne"}
    assert db.sessions == 2  # one read of the row, one of the pods: not 50 of each


async def test_a_failed_read_is_raised_to_every_waiter_and_not_remembered(monkeypatch):
    calls = 0

    async def lookup(s, top_id, rtype, *, project_id):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        return [ROUTE]

    async def list_pods(s):
        return [POD]

    monkeypatch.setattr(locate.table, "lookup", lookup)
    monkeypatch.setattr(locate.pod_registry, "list_pods", list_pods)
    locator = locate.Locator(CountingDb())  # type: ignore[arg-type]
    ctx = RequestContext(project_id="demo", roles=("member",))
    results = await asyncio.gather(*(locator.find(SERVER, "s1", ctx) for _ in range(5)),
                                   return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert (await locator.find(SERVER, "s1", ctx)).route == ROUTE
