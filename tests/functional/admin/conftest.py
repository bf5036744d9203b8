"""The gateway app on a real database (every backend), with stub Keystone tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from tricircle import conf as tconf
from tricircle.api.app import build_app
from tricircle.clients.pod import PodClients
from tricircle.db.engine import Database
from tricircle.identity.tokens import TokenInfo

# token -> (project, roles)
USERS = {"admin": ("p-admin", ("admin", "member")), "alice": ("p1", ("member",)),
         "bob": ("p2", ("member",))}


class StubTokens:
    async def validate(self, token: str) -> TokenInfo | None:
        if token not in USERS:
            return None
        project, roles = USERS[token]
        return TokenInfo("u-" + token, token, "default", project, project, "default", roles,
                         datetime.now(UTC) + timedelta(hours=1))


class Admin:
    """A client that speaks as one of USERS."""

    def __init__(self, client: Any, db: Database) -> None:
        self.client = client
        self.db = db

    def call(self, method: str, path: str, token: str = "admin", **kw: Any) -> Any:
        headers = {"X-Auth-Token": token, **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    async def ok(self, method: str, path: str, status: int = 200, token: str = "admin",
                 **kw: Any) -> Any:
        resp = await self.call(method, path, token, **kw)
        assert resp.status == status, await resp.text()
        return await resp.json() if status != 204 else None

    async def error(self, method: str, path: str, status: int, token: str = "admin",
                    **kw: Any) -> dict[str, Any]:
        resp = await self.call(method, path, token, **kw)
        body = await resp.json()
        assert resp.status == status, body
        [error] = body["errors"]
        assert error["status"] == status and error["request_id"].startswith("req-")
        return cast(dict[str, Any], error)


@pytest.fixture
async def admin(database: Database, aiohttp_client: Any) -> Admin:
    conf = tconf.new_config([], config_files=[])
    conf.set_override("run_worker", False, group="api")
    conf.set_override("probe_interval", 3600, group="pods")
    pods = PodClients(cast(Any, None))
    app = build_app(conf, db=database, service_auth=cast(Any, None), pods=pods,
                    tokens=cast(Any, StubTokens()))
    return Admin(await aiohttp_client(app), database)
