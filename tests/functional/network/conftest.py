"""The gateway app on SQLite with a strict fake central Neutron."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.functional.network.fake_neutron import FakeNeutron
from tricircle import conf as tconf
from tricircle.api.app import build_app
from tricircle.clients.pod import PodClients
from tricircle.db.engine import Database
from tricircle.db.models import Base
from tricircle.identity.tokens import TokenInfo

P1 = "a" * 32


class StubTokens:
    """Token "bad" is refused; any other token is a member of project <token>."""

    async def validate(self, token: str) -> TokenInfo | None:
        if token == "bad":
            return None
        return TokenInfo("user-" + token, token, "default", token, token, "default",
                         ("member",), datetime.now(UTC) + timedelta(hours=1))


class StubServiceAuth:
    async def token(self) -> str:
        return "service-token"


@dataclass
class Gateway:
    client: Any
    neutron: FakeNeutron
    conf: Any

    def call(self, method: str, path: str, token: str | None = P1, **kw: Any) -> Any:
        headers = {**({"X-Auth-Token": token} if token else {}), **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)


async def _gateway(aiohttp_client: Any, aiohttp_server: Any, tmp_path: Any,
                   configured: bool = True, down: bool = False) -> tuple[Gateway, Database]:
    conf = tconf.new_config([], config_files=[])
    # the tests set each pod's health themselves; the app's periodic prober would
    # call the fakes' roots (unserved) once a slow test outlasts its interval
    conf.set_override("probe_interval", 3600, group="pods")
    conf.set_override("run_worker", False, group="api")
    neutron = FakeNeutron()
    server = await aiohttp_server(neutron.app())
    neutron.base = str(server.make_url("")).rstrip("/")
    if down:
        await server.close()
    if configured:
        conf.set_override("central_neutron_url", neutron.base, group="networking")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    app = build_app(conf, db=db, service_auth=StubServiceAuth(),  # type: ignore[arg-type]
                    pods=PodClients(None), tokens=StubTokens())  # type: ignore[arg-type]
    return Gateway(await aiohttp_client(app), neutron, conf), db


@pytest.fixture
async def gateway(aiohttp_client, aiohttp_server, tmp_path):
    gw, db = await _gateway(aiohttp_client, aiohttp_server, tmp_path)
    yield gw
    await db.close()
    assert gw.neutron.unexpected == []


@pytest.fixture
async def unconfigured(aiohttp_client, aiohttp_server, tmp_path):
    gw, db = await _gateway(aiohttp_client, aiohttp_server, tmp_path, configured=False)
    yield gw
    await db.close()


@pytest.fixture
async def central_down(aiohttp_client, aiohttp_server, tmp_path):
    gw, db = await _gateway(aiohttp_client, aiohttp_server, tmp_path, down=True)
    yield gw
    await db.close()
