"""The interim image surface: Glance forwarded to the image home pod."""

from __future__ import annotations

import pytest
from aiohttp import web

from tests.functional.compute.conftest import StubServiceAuth, StubTokens
from tricircle import conf as tconf
from tricircle.api.app import build_app
from tricircle.clients.pod import PodClients
from tricircle.db.engine import Database
from tricircle.db.models import Base
from tricircle.pods import registry

IMAGE_ID = "6b1b2a4c-3f6e-4c2a-9d0e-1a7b5c3e9f10"


def fake_glance(received: dict) -> web.Application:
    async def root(request: web.Request) -> web.Response:
        base = f"http://{request.host}"
        return web.json_response({"versions": [
            {"id": "v2.17", "status": "CURRENT", "links": [{"rel": "self",
                                                             "href": base + "/v2/"}]}]},
            status=300)

    async def show(request: web.Request) -> web.Response:
        if request.match_info["id"] != IMAGE_ID:
            return web.Response(status=404, text="<html>404 Not Found</html>",
                                content_type="text/html")
        assert request.headers["X-Auth-Token"] == "p"
        return web.json_response({"id": IMAGE_ID, "self": f"/v2/images/{IMAGE_ID}"})

    async def upload(request: web.Request) -> web.Response:
        received["chunked"] = request.headers.get("Transfer-Encoding") == "chunked"
        received["size"] = len(await request.read())
        return web.Response(status=204)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/", root)
    app.router.add_get("/v2/images/{id}", show)
    app.router.add_put("/v2/images/{id}/file", upload)
    return app


@pytest.fixture
async def gateway(aiohttp_client, aiohttp_server, tmp_path):
    received: dict = {}
    glance = await aiohttp_server(fake_glance(received))
    conf = tconf.new_config([], config_files=[])
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    clients = PodClients(None)  # type: ignore[arg-type]
    clients.set_endpoints("RegionOne", {"image": str(glance.make_url(""))})
    async with db.session() as s:
        await registry.create_pod(s, region_name="RegionOne", az_name="az1")
    app = build_app(conf, db=db, service_auth=StubServiceAuth(),  # type: ignore[arg-type]
                    pods=clients, tokens=StubTokens())  # type: ignore[arg-type]
    client = await aiohttp_client(app)
    client.received = received
    yield client
    await db.close()


async def test_version_document_is_public_and_points_at_the_gateway(gateway):
    resp = await gateway.get("/image/")
    assert resp.status == 300
    href = (await resp.json())["versions"][0]["links"][0]["href"]
    assert href == str(gateway.make_url("/image/v2/"))


async def test_image_show_is_forwarded_with_the_users_token(gateway):
    resp = await gateway.get(f"/image/v2/images/{IMAGE_ID}", headers={"X-Auth-Token": "p"})
    assert resp.status == 200
    assert (await resp.json())["id"] == IMAGE_ID


async def test_unknown_image_keeps_glances_own_404(gateway):
    resp = await gateway.get("/image/v2/images/nope", headers={"X-Auth-Token": "p"})
    assert resp.status == 404
    assert resp.headers["Content-Type"].startswith("text/html")


async def test_image_data_streams_past_the_body_limit(gateway):
    data = b"x" * (3 * 1024 * 1024)   # far above [api] max_request_body_size
    resp = await gateway.put(f"/image/v2/images/{IMAGE_ID}/file", data=data, headers={
        "X-Auth-Token": "p", "Content-Type": "application/octet-stream"})
    assert resp.status == 204
    assert gateway.received == {"chunked": True, "size": len(data)}


async def test_image_calls_need_a_token(gateway):
    resp = await gateway.get(f"/image/v2/images/{IMAGE_ID}")
    assert resp.status == 401
