"""Acceptance fixtures: a real gateway in front of the real lab (lab/, docs/lab.md).

Reusable by every surface's acceptance tests:

* `lab` — the lab's ``.lab/lab.json`` as a dict. Without it the tests are skipped,
  unless ``TRICIRCLE_REQUIRE_LAB=1``, then they fail.
* `gateway` — one gateway per session, run in-process in a background thread on
  a free port, with a temporary SQLite database, the lab's Keystone, the pods
  RegionOne (top AZ az1) and RegionTwo (top AZ az2) registered; the app runs its
  own job worker (SQLite).
  Fields: `url` (http://127.0.0.1:<port>), `compute_url`, `db_path`, `conf`,
  `config_file`, `app`, `loop`; helpers `tricircle(*args)` (the command line on the
  same configuration), `run(coro)` (runs a coroutine on the gateway's loop),
  `routes(...)` (routing rows, straight from the database), `set_pod_state`.
* `demo`, `alt`, `admin` — openstacksdk connections through the gateway
  (``*_endpoint_override`` for every served surface: a fresh lab's CentralRegion
  has no endpoints, and on a dev machine they may point at another gateway).
* `pod_admin(region)` — an admin openstacksdk connection straight to a pod, to
  check what really exists there.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB_JSON = Path(os.environ.get("TRICIRCLE_LAB_JSON", REPO / ".lab" / "lab.json"))
TOP_AZ = {"RegionOne": "az1", "RegionTwo": "az2"}
T = TypeVar("T")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.lab)


@pytest.fixture(scope="session")
def lab() -> dict[str, Any]:
    """The lab description; skip (or fail with TRICIRCLE_REQUIRE_LAB=1) without it."""
    if not LAB_JSON.exists():
        reason = f"the lab is not up ({LAB_JSON} missing; run `lab/lab up`)"
        if os.environ.get("TRICIRCLE_REQUIRE_LAB") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return json.loads(LAB_JSON.read_text())  # type: ignore[no-any-return]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Gateway:
    url: str
    db_path: Path
    conf: Any
    app: Any
    loop: asyncio.AbstractEventLoop
    pod_ids: dict[str, str]
    config_file: Path

    def tricircle(self, *args: str) -> str:
        """Run the `tricircle` command against this gateway's configuration; its stdout."""
        import subprocess
        import sys

        done = subprocess.run([sys.executable, "-m", "tricircle.cmd.main", "--config-file",
                               str(self.config_file), *args], capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            raise AssertionError(f"tricircle {' '.join(args)}: {done.stderr}")
        return done.stdout

    @property
    def compute_url(self) -> str:
        return self.url + "/compute/v2.1"

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run `coro` on the gateway's loop (where its database engine lives)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def routes(self, **filters: Any) -> list[Any]:
        from tricircle.api import keys
        from tricircle.routing import table

        async def read() -> list[Any]:
            async with self.app[keys.DB].session() as s:
                return await table.list_routes(s, **filters)

        return self.run(read())

    def set_pod_state(self, region: str, state: str) -> None:
        from tricircle.api import keys
        from tricircle.pods import registry

        async def update() -> None:
            async with self.app[keys.DB].session() as s:
                await registry.update_pod(s, region, state=state)

        self.run(update())


def _config(lab: dict[str, Any], db_path: Path, port: int) -> tuple[Any, Path]:
    """The gateway's configuration, also written as an INI file so the `tricircle`
    command (pod update, routing list, ...) can act on the same database."""
    from tricircle import conf as tconf

    path = db_path.parent / "tricircle.conf"
    path.write_text(
        "[keystone]\n"
        f"auth_url = {lab['auth_url']}\n"
        "username = tricircle\n"
        f"password = {lab.get('password', 'labpass')}\n"
        f"project_name = {lab['users'].get('tricircle', 'service')}\n"
        "[database]\n"
        f"connection = sqlite+aiosqlite:///{db_path}\n"
        "[api]\n"
        f"bind_port = {port}\n")
    return tconf.new_config([], config_files=[str(path)]), path


async def _prepare_db(conf: Any, lab: dict[str, Any]) -> dict[str, str]:
    from tricircle.db import migrate
    from tricircle.db.engine import Database
    from tricircle.pods import registry

    await migrate.upgrade(conf.database.connection)
    db = Database(conf.database.connection)
    try:
        ids = {}
        async with db.session() as s:
            for region, az in TOP_AZ.items():
                pod_az = lab["regions"][region].get("availability_zone", "")
                pod = await registry.create_pod(s, region_name=region, az_name=az,
                                                pod_az_name=pod_az)
                ids[region] = pod.id
        return ids
    finally:
        await db.close()


def _serve(conf: Any, started: threading.Event, holder: dict[str, Any]) -> None:
    from aiohttp import web

    from tricircle.api.app import build_app

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = build_app(conf)  # runs its own job worker (SQLite)
    runner = web.AppRunner(app, access_log=None)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", conf.api.bind_port)
    loop.run_until_complete(site.start())
    holder.update(app=app, loop=loop, runner=runner)
    started.set()
    loop.run_forever()
    loop.run_until_complete(runner.cleanup())
    loop.close()


@pytest.fixture(scope="session")
def gateway(lab: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    db_path = tmp_path_factory.mktemp("gateway") / "tricircle.db"
    port = _free_port()
    conf, config_file = _config(lab, db_path, port)
    pod_ids = asyncio.run(_prepare_db(conf, lab))
    started, holder = threading.Event(), {}  # type: ignore[var-annotated]
    thread = threading.Thread(target=_serve, args=(conf, started, holder), daemon=True,
                              name="gateway")
    thread.start()
    if not started.wait(30):
        pytest.fail("the gateway did not start")
    gw = Gateway(f"http://127.0.0.1:{port}", db_path, conf, holder["app"], holder["loop"],
                 pod_ids, config_file)
    yield gw
    gw.loop.call_soon_threadsafe(gw.loop.stop)
    thread.join(30)


def _connect(lab: dict[str, Any], user: str, project: str, **extra: Any) -> Any:
    import openstack

    return openstack.connect(
        auth_url=lab["auth_url"], username=user, password=lab.get("password", "labpass"),
        project_name=project, user_domain_name="Default", project_domain_name="Default",
        identity_api_version="3", **extra)


def _through(lab: dict[str, Any], gateway: Gateway, user: str, project: str) -> Any:
    return _connect(lab, user, project, region_name=lab.get("central_region", "CentralRegion"),
                    compute_endpoint_override=gateway.compute_url,
                    image_endpoint_override=gateway.url + "/image",
                    network_endpoint_override=gateway.url + "/network",
                    block_storage_endpoint_override=gateway.url + "/volume/v3")


@pytest.fixture(scope="session")
def demo(lab: dict[str, Any], gateway: Gateway) -> Any:
    return _through(lab, gateway, "demo", "demo")


@pytest.fixture(scope="session")
def alt(lab: dict[str, Any], gateway: Gateway) -> Any:
    return _through(lab, gateway, "alt_demo", "alt_demo")


@pytest.fixture(scope="session")
def admin(lab: dict[str, Any], gateway: Gateway) -> Any:
    return _through(lab, gateway, "admin", "admin")


@pytest.fixture(scope="session")
def pod_admin(lab: dict[str, Any]) -> Callable[[str], Any]:
    """pod_admin("RegionOne"): an admin connection straight to that pod."""
    cache: dict[str, Any] = {}

    def connect(region: str) -> Any:
        if region not in cache:
            cache[region] = _connect(lab, "admin", "admin", region_name=region)
        return cache[region]

    return connect
