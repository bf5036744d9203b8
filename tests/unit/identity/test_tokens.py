"""Token validation: cached, bounded, never past expiry, coalesced."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from tricircle.identity.tokens import KeystoneUnavailable, TokenValidator, parse_token


class FakeServiceAuth:
    def __init__(self, base: str) -> None:
        self.auth_url = base + "/v3"
        self.invalidated = 0

    async def token(self) -> str:
        return "service-token"

    def invalidate(self) -> None:
        self.invalidated += 1


def token_body(expires_in: float, project: str = "p1") -> dict:
    expires = (datetime.now(UTC) + timedelta(seconds=expires_in)).isoformat()
    return {"token": {"expires_at": expires.replace("+00:00", "Z"),
                      "user": {"id": "u1", "name": "demo", "domain": {"id": "default"}},
                      "project": {"id": project, "name": "demo", "domain": {"id": "default"}},
                      "roles": [{"name": "member"}, {"name": "reader"}]}}


@pytest.fixture
async def keystone(aiohttp_server):
    state = {"calls": 0, "tokens": {}, "status": None, "delay": 0.0}

    async def validate(request: web.Request) -> web.Response:
        state["calls"] += 1
        await asyncio.sleep(state["delay"])
        if state["status"]:
            return web.Response(status=state["status"])
        assert request.headers["X-Auth-Token"] == "service-token"
        body = state["tokens"].get(request.headers["X-Subject-Token"])
        if body is None:
            return web.json_response({"error": {"code": 404}}, status=404)
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/v3/auth/tokens", validate)
    server = await aiohttp_server(app)
    state["url"] = str(server.make_url("")).rstrip("/")
    return state


@pytest.fixture
async def validator(keystone, aiohttp_client):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        yield TokenValidator(FakeServiceAuth(keystone["url"]), http, ttl=300, max_size=2)


async def test_valid_token_is_validated_once_then_cached(keystone, validator):
    keystone["tokens"]["t1"] = token_body(3600)
    first = await validator.validate("t1")
    second = await validator.validate("t1")
    assert first is second and first.project_id == "p1"
    assert first.roles == ("member", "reader")
    assert keystone["calls"] == 1


async def test_invalid_token_returns_none(keystone, validator):
    assert await validator.validate("nope") is None


async def test_cache_never_outlives_the_token(keystone, validator):
    keystone["tokens"]["short"] = token_body(0.2)
    assert await validator.validate("short") is not None
    await asyncio.sleep(0.3)
    assert await validator.validate("short") is None  # keystone: expired -> parse says None
    assert keystone["calls"] == 2


async def test_concurrent_requests_share_one_validation(keystone, validator):
    keystone["tokens"]["t"] = token_body(3600)
    keystone["delay"] = 0.1
    results = await asyncio.gather(*(validator.validate("t") for _ in range(10)))
    assert all(r is results[0] for r in results)
    assert keystone["calls"] == 1


async def test_cache_is_bounded(keystone, validator):
    for name in ("a", "b", "c"):
        keystone["tokens"][name] = token_body(3600)
        await validator.validate(name)
    await validator.validate("a")  # evicted (max_size=2): validated again
    assert keystone["calls"] == 4


async def test_keystone_errors_are_not_mistaken_for_invalid_tokens(keystone, validator):
    keystone["status"] = 503
    with pytest.raises(KeystoneUnavailable):
        await validator.validate("t")


def test_parse_token_rejects_expired_tokens():
    assert parse_token(token_body(-10)["token"]) is None
    info = parse_token(token_body(60)["token"])
    assert info is not None and info.user_name == "demo"
