from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest
from multidict import CIMultiDict, MultiDict, MultiDictProxy

from tests.unit.fanout.fake_nova import FakeNova
from tricircle.clients.pod import PodClients
from tricircle.context import RequestContext
from tricircle.fanout.servers import KnownServer, ListPod, ListRequest, ServerLister

TOP = "http://gw:19999/compute/v2.1"


@dataclass
class FakeSource:
    """The routing table and pod registry, as the list reads them."""

    pods_: list[ListPod] = field(default_factory=list)
    # top id -> (region, bottom id, project)
    routes: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    # project -> what `pods` answered last (as RoutedServerSource remembers it)
    last: dict[str, list[ListPod]] = field(default_factory=dict)

    async def pods(self, project_id):
        used = {r for r, _, p in self.routes.values() if project_id in (None, p)}
        found = [p for p in self.pods_ if p.region in used]
        if project_id is not None:
            self.last[project_id] = found
        return found

    def recent(self, project_id):
        return self.last.get(project_id)

    async def locate(self, server_id, project_id):
        found = self.routes.get(server_id)
        if found is None or project_id not in (None, found[2]):
            return None
        return found[0], found[1]

    async def top_ids(self, servers):
        return {(r, bottom): top for top, (r, bottom, _) in self.routes.items()
                if (r, bottom) in servers and top != bottom}

    async def known(self, region, project_id, limit):
        return [KnownServer(top, bottom, project, None)
                for top, (r, bottom, project) in sorted(self.routes.items())
                if r == region and project_id in (None, project)][:limit]


@dataclass
class Cloud:
    """Two fake pods behind a ServerLister, and helpers to list like a client."""

    pods: dict[str, FakeNova]
    source: FakeSource
    lister: ServerLister

    def add(self, region: str, name: str, *, second: int, project: str = "p1"):
        server = self.pods[region].add(name, second=second, project=project)
        self.source.routes[server["id"]] = (region, server["id"], project)
        return server

    def request(self, query=(), *, project="p1", admin=False, detail=True, version=None,
                deadline=2.0, policy="skip") -> ListRequest:
        headers = CIMultiDict()
        if version:
            headers["OpenStack-API-Version"] = f"compute {version}"
        ctx = RequestContext(user_id="u", project_id=project, auth_token=project,
                             roles=("admin",) if admin else ("member",))
        return ListRequest(ctx=ctx, query=MultiDictProxy(MultiDict(list(query))),
                           headers=headers, detail=detail, top_base=TOP, deadline=deadline,
                           down_pod_policy=policy)

    async def names(self, query=(), **kw) -> list[str]:
        result = await self.lister.list_page(self.request(query, **kw))
        assert result.body is not None
        return [s.get("name") for s in result.body["servers"]]

    async def walk(self, query=(), *, between=None, **kw) -> list[str]:
        """Follow next hrefs from the first page to the end; names in order."""
        seen: list[str] = []
        params = list(query)
        for _ in range(100):
            result = await self.lister.list_page(self.request(params, **kw))
            assert result.body is not None, result.passthrough
            seen += [s["name"] for s in result.body["servers"]]
            links = result.body.get("servers_links")
            if not links:
                return seen
            href = links[0]["href"]
            assert href.startswith(TOP + "/servers")
            params = parse_qsl(urlsplit(href).query)
            if between:
                between()
        raise AssertionError("paging never ended")


async def _cloud(aiohttp_server, regions):
    pods = {region: FakeNova(region, az=az_inside) for region, _az, az_inside in regions}
    clients = PodClients(None)  # type: ignore[arg-type]  # endpoints are pinned
    for region, fake in pods.items():
        server = await aiohttp_server(fake.app())
        fake.base = str(server.make_url("/v2.1"))
        clients.set_endpoints(region, {"compute": fake.base})
    source = FakeSource([ListPod(region, az, az_inside) for region, az, az_inside in regions])
    return Cloud(pods, source, ServerLister(clients, source)), clients


@pytest.fixture
async def cloud(aiohttp_server):
    made, clients = await _cloud(aiohttp_server, [("RegionOne", "az1", "nova"),
                                                  ("RegionTwo", "az2", "az-two-inside")])
    yield made
    await clients.close()
    for fake in made.pods.values():
        assert fake.unexpected == []


@pytest.fixture
async def five(aiohttp_server):
    """Five pods: the first round asks each for a small share of the page."""
    made, clients = await _cloud(aiohttp_server, [(f"Region{i}", f"az{i}", "nova")
                                                  for i in range(5)])
    yield made
    await clients.close()
    for fake in made.pods.values():
        assert fake.unexpected == []
