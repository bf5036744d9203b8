"""The error and authentication layers around every handler."""

import json

import pytest
from aiohttp import web

from tricircle import conf as tconf
from tricircle import faults
from tricircle.api import keys, middleware
from tricircle.identity.tokens import KeystoneUnavailable, TokenInfo
from tricircle.proxy.service import SERVICE_NAME


class StubTokens:
    def __init__(self) -> None:
        self.down = False

    async def validate(self, token: str):
        from datetime import UTC, datetime, timedelta
        if self.down:
            raise KeystoneUnavailable("down")
        if token != "good":
            return None
        return TokenInfo("u", "demo", "default", "p", "demo", "default", ("member",),
                         datetime.now(UTC) + timedelta(hours=1))


class StubVersions:
    """The compute core's version range, counting lookups."""

    def __init__(self) -> None:
        self.versions = self
        self.calls = 0

    async def compute(self):
        self.calls += 1
        return (2, 1), (2, 96)


@pytest.fixture
async def client(aiohttp_client):
    app = web.Application(middlewares=[middleware.gateway],
                          client_max_size=1024)
    app[keys.CONF] = tconf.new_config([], config_files=[])
    tokens = StubTokens()
    app[keys.TOKENS] = tokens  # type: ignore[assignment]

    versions = StubVersions()
    app[keys.SERVICES] = {SERVICE_NAME: versions}

    async def whoami(request):
        ctx = request[keys.CTX]
        return web.json_response({"project": ctx.project_id, "request_id": ctx.request_id,
                                  "version": request.headers.get("OpenStack-API-Version")})

    async def boom(request):
        raise RuntimeError("secret detail")

    async def conflict(request):
        raise faults.Conflict("busy")

    async def echo(request):
        return web.json_response(await request.json())

    @middleware.public
    async def version(request):
        return web.json_response({"version": {}})

    for path, handler in (("/compute/v2.1/whoami", whoami), ("/compute/v2.1/boom", boom),
                          ("/network/v2.0/conflict", conflict), ("/compute/", version),
                          ("/v1.0/whoami", whoami),
                          ("/volume/v3/whoami", whoami)):
        app.router.add_get(path, handler)
    app.router.add_post("/compute/v2.1/echo", echo)
    c = await aiohttp_client(app)
    c.tokens = tokens
    c.versions = versions
    return c


async def test_version_documents_need_no_token(client):
    resp = await client.get("/compute/")
    assert resp.status == 200


async def test_missing_or_bad_token_is_keystonemiddleware_401(client):
    for headers in ({}, {"X-Auth-Token": "bad"}):
        resp = await client.get("/compute/v2.1/whoami", headers=headers)
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == 401
        assert resp.headers["WWW-Authenticate"].startswith("Keystone uri=")


async def test_good_token_builds_context_with_request_id(client):
    resp = await client.get("/compute/v2.1/whoami", headers={"X-Auth-Token": "good"})
    body = await resp.json()
    assert body["project"] == "p"
    assert resp.headers["X-OpenStack-Request-ID"] == body["request_id"]
    assert body["request_id"].startswith("req-")


async def test_unexpected_errors_are_500_in_dialect_without_details(client):
    resp = await client.get("/compute/v2.1/boom", headers={"X-Auth-Token": "good"})
    assert resp.status == 500
    text = await resp.text()
    assert "computeFault" in text and "secret" not in text


async def test_domain_errors_render_in_the_surface_dialect(client):
    resp = await client.get("/network/v2.0/conflict", headers={"X-Auth-Token": "good"})
    assert resp.status == 409
    assert (await resp.json())["NeutronError"]["message"] == "busy"


async def test_unknown_admin_url_is_api_wg_404(client):
    resp = await client.get("/v1.0/nothing", headers={"X-Auth-Token": "good"})
    assert resp.status == 404
    assert (await resp.json())["errors"][0]["status"] == 404


async def test_oversized_body_is_413_in_nova_format(client):
    resp = await client.post("/compute/v2.1/echo", data=json.dumps({"x": "a" * 5000}),
                             headers={"X-Auth-Token": "good",
                                      "Content-Type": "application/json"})
    assert resp.status == 413
    assert (await resp.json()) == {"overLimit": {"code": 413, "message": "Request is too large."}}


async def test_keystone_down_is_503_not_401(client):
    client.tokens.down = True
    resp = await client.get("/compute/v2.1/whoami", headers={"X-Auth-Token": "good"})
    assert resp.status == 503


async def test_compute_latest_is_pinned_to_the_gateways_maximum(client):
    resp = await client.get("/compute/v2.1/whoami",
                            headers={"X-Auth-Token": "good",
                                     "OpenStack-API-Version": "compute latest"})
    assert (await resp.json())["version"] == "compute 2.96"
    assert client.versions.calls == 1


async def test_latest_is_left_alone_outside_compute_and_without_a_valid_token(client):
    resp = await client.get("/volume/v3/whoami",
                            headers={"X-Auth-Token": "good",
                                     "OpenStack-API-Version": "compute latest"})
    assert (await resp.json())["version"] == "compute latest"
    resp = await client.get("/compute/v2.1/whoami",
                            headers={"X-Auth-Token": "bad",
                                     "OpenStack-API-Version": "compute latest"})
    assert resp.status == 401
    assert client.versions.calls == 0
