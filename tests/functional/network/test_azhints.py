"""availability_zone_hints on a network create through the gateway."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.functional.network import conftest
from tests.functional.network.fake_neutron import FakeNeutron
from tricircle.pods import registry


class TaggingNeutron(FakeNeutron):
    """The fake central Neutron, with ``PUT /v2.0/networks/{id}/tags/{tag}``."""

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_put("/v2.0/networks/{id}/tags/{tag}", self.add_tag)
        return app

    async def add_tag(self, request: web.Request) -> web.Response:
        net = self.networks[request.match_info["id"]]
        net.setdefault("tags", []).append(request.match_info["tag"])
        return web.Response(status=201)


async def test_known_hints_travel_as_tags_and_come_back_as_hints(
        aiohttp_client: Any, aiohttp_server: Any, tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(conftest, "FakeNeutron", TaggingNeutron)
    gw, db = await conftest._gateway(aiohttp_client, aiohttp_server, tmp_path)
    async with db.session() as s:
        await registry.create_pod(s, region_name="RegionOne", az_name="az1")
    try:
        resp = await gw.call("POST", "/network/v2.0/networks", data=json.dumps(
            {"network": {"name": "n", "availability_zone_hints": ["az1"]}}))
        assert resp.status == 201
        assert (await resp.json())["network"]["availability_zone_hints"] == ["az1"]
        assert json.loads(gw.neutron.bodies[-2])["network"] == {"name": "n"}
        [net] = gw.neutron.networks.values()
        assert net["tags"] == ["tricircle-az:az1"]
        shown = await gw.call("GET", f"/network/v2.0/networks/{net['id']}")
        body = (await shown.json())["network"]
        assert (body["availability_zone_hints"], body["tags"]) == (["az1"], [])
        missing = await gw.call("POST", "/network/v2.0/networks", data=json.dumps(
            {"network": {"name": "n", "availability_zone_hints": ["az9"]}}))
        assert missing.status == 404
        assert (await missing.json())["NeutronError"] == {
            "type": "AvailabilityZoneNotFound",
            "message": "AvailabilityZone az9 could not be found.", "detail": ""}
        assert len(gw.neutron.networks) == 1
    finally:
        await db.close()
