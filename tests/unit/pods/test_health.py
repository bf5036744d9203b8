"""Pod health: version documents, hysteresis, probes against a fake pod."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tricircle import conf as tconf
from tricircle.clients.pod import PodClients
from tricircle.db.engine import Database
from tricircle.pods import health, registry

NOVA_ROOT = {"versions": [
    {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": ""},
    {"id": "v2.1", "status": "CURRENT", "version": "2.104", "min_version": "2.1"}]}
CINDER_ROOT = {"versions": [{"id": "v3.0", "status": "CURRENT", "version": "3.71",
                             "min_version": "3.0"}]}


def test_endpoint_root_strips_the_version_and_project() -> None:
    assert health.endpoint_root("http://h:8774/v2.1") == "http://h:8774/"
    assert health.endpoint_root("http://h/compute/v2.1/") == "http://h/compute/"
    assert health.endpoint_root("http://h:8776/v3/4f2a") == "http://h:8776/"


def test_version_range_takes_the_microversioned_api() -> None:
    assert health.version_range(NOVA_ROOT) == {"min_version": "2.1", "max_version": "2.104"}
    assert health.version_range(CINDER_ROOT) == {"min_version": "3.0", "max_version": "3.71"}
    assert health.version_range({"error": "x"}) is None


@pytest.mark.parametrize(("current", "failures", "successes", "expected"), [
    ("unknown", 1, 0, "unknown"), ("healthy", 1, 0, "healthy"), ("healthy", 2, 0, "unhealthy"),
    ("unhealthy", 0, 1, "unhealthy"), ("unhealthy", 0, 2, "healthy"),
    ("unknown", 0, 2, "healthy")])
def test_health_flips_only_after_consecutive_results(current: str, failures: int,
                                                     successes: int, expected: str) -> None:
    assert health.next_health(current, failures, successes, failure_threshold=2,
                              success_threshold=2) == expected


class FakePod:
    """Serves Nova's and Cinder's root documents; `up` switches the compute root."""

    def __init__(self) -> None:
        self.up = True
        self.app = web.Application()
        self.app.router.add_get("/compute/", self._nova)
        self.app.router.add_get("/volume/", self._cinder)

    async def _nova(self, request: web.Request) -> web.Response:
        if not self.up:
            return web.json_response({"error": "down"}, status=503)
        return web.json_response(NOVA_ROOT)

    async def _cinder(self, request: web.Request) -> web.Response:
        return web.json_response(CINDER_ROOT, status=300)


@pytest.fixture
async def fake_pod() -> AsyncIterator[tuple[FakePod, str]]:
    pod = FakePod()
    server = TestServer(pod.app)
    await server.start_server()
    yield pod, str(server.make_url("")).rstrip("/")
    await server.close()


async def test_prober_marks_pod_healthy_then_unhealthy_with_hysteresis(
        database: Database, fake_pod: tuple[FakePod, str]) -> None:
    pod, base = fake_pod
    clients = PodClients(cast(Any, None))
    clients.set_endpoints("RegionOne", {"compute": base + "/compute/v2.1",
                                        "volumev3": base + "/volume/v3/abc"})
    conf = tconf.new_config([], config_files=[])
    prober = health.HealthProber(database, clients, conf)
    async with database.session() as s:
        await registry.create_pod(s, region_name="RegionOne", az_name="az1")
    try:
        assert await prober.probe_all(force=True) == {"RegionOne": "unknown"}
        assert await prober.probe_all(force=True) == {"RegionOne": "healthy"}
        pod.up = False
        assert await prober.probe_all(force=True) == {"RegionOne": "healthy"}
        assert await prober.probe_all(force=True) == {"RegionOne": "unhealthy"}
        async with database.session() as s:
            info = await registry.get_pod(s, "RegionOne")
    finally:
        await clients.close()
    assert info.capabilities == {"compute": {"min_version": "2.1", "max_version": "2.104"},
                                 "volume": {"min_version": "3.0", "max_version": "3.71"}}
    assert "HTTP 503" in (info.last_error or "")


async def test_a_pod_probed_recently_by_another_process_is_skipped(
        database: Database) -> None:
    async with database.session() as s:
        pod = await registry.create_pod(s, region_name="RegionOne")
    async with database.session() as s:
        assert await health.claim(s, pod.id, 60)
    async with database.session() as s:
        assert not await health.claim(s, pod.id, 60)
        assert await health.claim(s, pod.id, -1)
