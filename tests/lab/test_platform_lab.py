"""The platform against the real lab: pods registered, probed through the Keystone
catalog (health and capabilities), and the gateway's endpoints registered in Keystone.

Skipped when the lab is not set up or not running, unless TRICIRCLE_REQUIRE_LAB=1
(the `lab` fixture in tests/lab/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from oslo_config import cfg

from tricircle import conf as tconf
from tricircle.clients.pod import PodClients
from tricircle.cmd import main as cli
from tricircle.db import migrate
from tricircle.db.engine import Database
from tricircle.identity.service_auth import ServiceAuth
from tricircle.pods import health, registry

pytestmark = pytest.mark.lab
GATEWAY_URL = "http://127.0.0.1:19999"  # the same URL `make demo` registers


def _config(lab: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "tricircle.conf"
    path.write_text(
        f"[database]\nconnection = sqlite+aiosqlite:///{tmp_path / 'lab.db'}\n"
        f"[keystone]\nauth_url = {lab['auth_url']}\nusername = tricircle\n"
        f"password = {lab['password']}\nproject_name = {lab['users']['tricircle']}\n"
        "[pods]\nfailure_threshold = 2\nsuccess_threshold = 2\n")
    return path


@pytest.fixture
async def platform(lab: dict[str, Any], tmp_path: Path
                   ) -> AsyncIterator[tuple[cfg.ConfigOpts, Database, Path]]:
    config = _config(lab, tmp_path)
    conf = tconf.new_config([], config_files=[str(config)])
    await migrate.upgrade(conf.database.connection)
    db = Database(conf.database.connection)
    yield conf, db, config
    await db.close()


async def test_lab_pods_become_healthy_with_their_compute_microversions(
        lab: dict[str, Any], platform: tuple[cfg.ConfigOpts, Database, Path]) -> None:
    conf, db, _ = platform
    async with db.session() as s:
        for region, info in sorted(lab["regions"].items()):
            await registry.create_pod(s, region_name=region, az_name=info["availability_zone"])
    pods = PodClients(ServiceAuth(conf))
    try:
        prober = health.HealthProber(db, pods, conf)
        first = await prober.probe_all(force=True)
        second = await prober.probe_all(force=True)
    finally:
        await pods.close()
    assert first == {"RegionOne": "unknown", "RegionTwo": "unknown"}  # hysteresis
    assert second == {"RegionOne": "healthy", "RegionTwo": "healthy"}
    async with db.session() as s:
        for pod in await registry.list_pods(s):
            compute = pod.capabilities["compute"]
            assert compute["min_version"] == "2.1"
            assert tuple(map(int, compute["max_version"].split("."))) >= (2, 69)
            assert pod.capabilities["volume"]["max_version"].startswith("3.")
            assert pod.last_error is None


def test_register_endpoints_creates_central_region_idempotently(
        lab: dict[str, Any], platform: tuple[cfg.ConfigOpts, Database, Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    _, _, config = platform
    args = ["--config-file", str(config), "register-endpoints", "--url", GATEWAY_URL]
    assert cli.main(args) == 0
    capsys.readouterr()
    assert cli.main(args) == 0
    second = capsys.readouterr().out.splitlines()
    assert second and not [line for line in second if "created" in line or "updated" in line]
    auth = v3.Password(auth_url=lab["auth_url"], username="tricircle",
                       password=lab["password"], project_name=lab["users"]["tricircle"],
                       user_domain_name="Default", project_domain_name="Default")
    catalog = auth.get_access(ks_session.Session()).service_catalog
    for stype, path in (("compute", "/compute/v2.1"), ("volumev3", "/volume/v3"),
                        ("block-storage", "/volume/v3"), ("image", "/image"),
                        ("network", "/network"), ("multiregion", "/v1.0")):
        for interface in ("public", "internal"):
            urls = catalog.get_urls(service_type=stype, interface=interface,
                                    region_name="CentralRegion")
            assert list(urls) == [GATEWAY_URL + path], (stype, interface)
