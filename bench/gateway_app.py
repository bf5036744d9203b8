"""Bench-only launcher of the real gateway app against simulated pods.

    python -m bench.gateway_app --config-file GW.conf --spec SPEC.json --ready-file R.json
                                [--mock tokens,routing,rewrite]

What is real: `tricircle.api.app.build_app` with every middleware, route,
startup hook, the routing table in SQLite, link rewriting and the fan-out.
What is stubbed, and why:

- Keystone: `BenchTokenValidator` is the real `TokenValidator` (cache, TTL,
  single-flight) whose one Keystone call (`_fetch`) returns a fixed identity
  for `BENCH_TOKEN`; after the first request every validation is a cache hit,
  the steady state of a real gateway. `ServiceAuth` returns a fixed token.
- Pod endpoints: pinned with `PodClients.set_endpoints` (no catalog).

`--mock` replaces one piece of the request path inside this process only, to
measure what it costs (the breakdown benchmark): `tokens` (validation returns
the identity without the cache), `routing` (server lookups from a dict, no
database), `rewrite` (links passed through unchanged). The ready file lists the
mocks that were actually applied; a mock that finds nothing to patch fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.stub_pod import PROJECT_ID, USER_ID

BENCH_TOKEN = "bench-token-0123456789abcdef"
SERVER_TYPE = "server"   # routing resource_type of servers (tricircle.api.compute)
IMAGE_TYPE = "image"     # of images (tricircle.images.registry): one home row each


def token_info() -> Any:
    from tricircle.identity.tokens import TokenInfo
    return TokenInfo(user_id=USER_ID, user_name="bench", user_domain_id="default",
                     project_id=PROJECT_ID, project_name="bench", project_domain_id="default",
                     roles=("member", "reader"),
                     expires_at=datetime.now(UTC) + timedelta(days=1))


def _validator_class() -> type:
    from tricircle.identity.tokens import TokenValidator

    class BenchTokenValidator(TokenValidator):
        """The real validator; only the call to Keystone is replaced."""

        fetches = 0

        async def _fetch(self, token: str, retry: bool = True) -> Any:
            BenchTokenValidator.fetches += 1
            return token_info() if token == BENCH_TOKEN else None

    return BenchTokenValidator


def _service_auth_class() -> type:
    from tricircle.identity.service_auth import ServiceAuth

    class BenchServiceAuth(ServiceAuth):
        def __init__(self, conf: Any, regions: list[str]) -> None:
            super().__init__(conf)
            self._regions = regions

        async def token(self) -> str:
            return BENCH_TOKEN

        async def regions(self) -> list[str]:
            return list(self._regions)

    return BenchServiceAuth


# ---- database ---------------------------------------------------------------------

async def create_schema(url: str) -> None:
    """The platform's migrations when they exist, else the models' metadata."""
    try:
        from tricircle.db import migrate  # type: ignore[attr-defined]
    except ImportError:
        migrate = None
    if migrate is not None and hasattr(migrate, "upgrade"):
        result = migrate.upgrade(url)
        if asyncio.iscoroutine(result):
            await result
        return
    from tricircle.db.engine import Database
    from tricircle.db.models import Base
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await db.close()


async def seed(url: str, spec: dict[str, Any]) -> None:
    """Pods (enabled, healthy, compute 2.1–2.96) and one routing row per server (and
    per image, when the spec lists a pod's `images`)."""
    from sqlalchemy import insert, select

    from tricircle.db.engine import Database
    from tricircle.db.models import Pod, Routing
    db = Database(url)
    async with db.session() as s:
        if (await s.execute(select(Pod.id).limit(1))).first() is None:
            caps = {"compute": {"min_version": "2.1", "max_version": "2.96"}}
            rows = [{"id": p["id"], "region_name": p["region"], "az_name": p.get("az", "az1"),
                     "pod_az_name": p.get("pod_az", "nova"), "state": "enabled",
                     "health": "healthy", "capabilities": caps} for p in spec["pods"]]
            await s.execute(insert(Pod), rows)
            routes = [{"top_id": sid, "bottom_id": sid, "pod_id": p["id"],
                       "project_id": spec["project_id"], "resource_type": rtype}
                      for p in spec["pods"]
                      for rtype, key in ((SERVER_TYPE, "servers"), (IMAGE_TYPE, "images"))
                      for sid in p.get(key, [])]
            for i in range(0, len(routes), 5000):
                await s.execute(insert(Routing), routes[i:i + 5000])
    await db.close()


# ---- mocks (breakdown benchmark) ----------------------------------------------------

def _mock_tokens(spec: dict[str, Any]) -> str:
    from tricircle.identity.tokens import TokenValidator
    info = token_info()

    async def validate(self: Any, token: str) -> Any:
        return info if token == BENCH_TOKEN else None

    TokenValidator.validate = validate  # type: ignore[method-assign]
    return "TokenValidator.validate"


def _mock_routing(spec: dict[str, Any]) -> str:
    """Server routing answered from memory: the proxy's Locator.find memoised (its
    own TTL cache and pod lookup skipped), and routing.table.lookup from a dict."""
    from tricircle.routing import table
    patched = []
    try:
        from tricircle.proxy.locate import Locator
    except ImportError:
        Locator = None  # noqa: N806
    if Locator is not None:
        real_find = Locator.find
        memo: dict[Any, Any] = {}

        async def find(self: Any, resource: Any, top_id: str, ctx: Any) -> Any:
            key = (getattr(resource, "routing_type", None), top_id, ctx.project_id)
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = await real_find(self, resource, top_id, ctx)
            return hit

        Locator.find = find  # type: ignore[method-assign]
        patched.append("proxy.locate.Locator.find memoised")
    routes: dict[str, Any] = {}
    for p in spec["pods"]:
        for sid in p["servers"]:
            routes[sid] = table.Route(id=0, top_id=sid, bottom_id=sid, pod_id=p["id"],
                                      region_name=p["region"], project_id=spec["project_id"],
                                      resource_type=SERVER_TYPE,
                                      created_at=datetime(2026, 1, 1))
    real_lookup = table.lookup

    async def lookup(s: Any, top_id: str, resource_type: str, *,
                     project_id: str | None) -> list[Any]:
        if resource_type != SERVER_TYPE:
            return await real_lookup(s, top_id, resource_type, project_id=project_id)
        route = routes.get(top_id)
        return [route] if route is not None and project_id in (None, route.project_id) else []

    patched.append("routing.table.lookup from a dict in " + ", ".join(
        _patch_everywhere(table.lookup, lookup)))
    return "; ".join(patched)


def _mock_rewrite(spec: dict[str, Any]) -> str:
    from tricircle.routing.translate import LinkRewriter
    names = []
    for name in ("rewrite", "rewrite_url", "rewrite_bytes"):
        if hasattr(LinkRewriter, name):
            setattr(LinkRewriter, name, lambda self, value, *a, **k: value)
            names.append(name)
    return "LinkRewriter." + "/".join(names)


def _patch_everywhere(original: Callable[..., Any], replacement: Callable[..., Any]) -> list[str]:
    """Replace `original` in every loaded tricircle module that holds a reference
    (from-imports copy the function). Raises RuntimeError if none does."""
    import sys
    patched = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("tricircle") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                setattr(module, attr, replacement)
                patched.append(f"{name}.{attr}")
    if not patched:
        raise RuntimeError(f"nothing to patch for {original.__qualname__}")
    return patched


def _fix_pods_query(spec: dict[str, Any]) -> str:
    """A candidate fix, measured: pods_of_project as an uncorrelated IN subquery
    (one index range scan) instead of a correlated EXISTS per pod."""
    from sqlalchemy import select

    from tricircle.db.models import Pod, Routing
    from tricircle.routing import table

    async def pods_of_project(s: Any, project_id: str | None, resource_type: str) -> list[str]:
        holding = select(Routing.pod_id).where(Routing.resource_type == resource_type)
        if project_id is not None:
            holding = holding.where(Routing.project_id == project_id)
        stmt = select(Pod.id).where(Pod.id.in_(holding)).order_by(Pod.region_name)
        return list((await s.execute(stmt)).scalars())

    return "pods_of_project in " + ", ".join(_patch_everywhere(table.pods_of_project,
                                                               pods_of_project))


def _fix_pods_cache(spec: dict[str, Any]) -> str:
    """Upper bound of caching the list's pod set per process (like the Locator's
    TTL cache): RoutedServerSource.pods answered from memory after the first call."""
    from tricircle.fanout.routed import RoutedServerSource
    real = RoutedServerSource.pods
    memo: dict[Any, Any] = {}

    async def pods(self: Any, project_id: str | None) -> Any:
        if project_id not in memo:
            memo[project_id] = await real(self, project_id)
        return memo[project_id]

    RoutedServerSource.pods = pods  # type: ignore[method-assign]
    return "RoutedServerSource.pods memoised"


def _fix_gc_freeze(spec: dict[str, Any]) -> str:
    """A candidate fix, measured: gc.freeze() once the app is built, so full
    collections triggered by a list's many new dicts do not re-walk every
    long-lived object of the process (SQLAlchemy, oslo, aiohttp)."""
    import gc
    gc.collect()
    gc.freeze()
    return f"gc.freeze() of {gc.get_freeze_count()} objects"


def _fix_gc_off(spec: dict[str, Any]) -> str:
    """Upper bound of the GC's share: the cyclic collector disabled."""
    import gc
    gc.disable()
    return "gc.disable()"


MOCKS: dict[str, Callable[[dict[str, Any]], str]] = {
    "tokens": _mock_tokens, "routing": _mock_routing, "rewrite": _mock_rewrite,
    "pods_query": _fix_pods_query, "pods_cache": _fix_pods_cache,
    "gc_freeze": _fix_gc_freeze, "gc_off": _fix_gc_off,
}


# ---- entry point ----------------------------------------------------------------------

def build(conf: Any, spec: dict[str, Any]) -> Any:
    from tricircle.api.app import build_app
    from tricircle.clients.pod import PodClients
    auth = _service_auth_class()(conf, [p["region"] for p in spec["pods"]])
    pods = PodClients(auth, timeout=conf.pods.request_timeout,
                      pool_size=conf.pods.connections_per_pod,
                      refresh=conf.keystone.catalog_refresh)
    for p in spec["pods"]:
        if p.get("endpoints"):
            pods.set_endpoints(p["region"], p["endpoints"])
    tokens = _validator_class()(auth, None, ttl=conf.keystone.token_cache_ttl,
                                max_size=conf.keystone.token_cache_size)
    return build_app(conf, service_auth=auth, pods=pods, tokens=tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description="bench-only gateway launcher")
    parser.add_argument("--config-file", required=True)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--mock", default="", help="comma list of: " + ", ".join(MOCKS))
    args = parser.parse_args()

    import logging

    import uvloop
    from aiohttp import web

    from tricircle import conf as tconf
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    conf = tconf.new_config([], config_files=[args.config_file])
    spec = json.loads(Path(args.spec).read_text())
    asyncio.run(create_schema(conf.database.connection))
    asyncio.run(seed(conf.database.connection, spec))
    app = build(conf, spec)   # imports the surfaces, so mocks see their modules
    applied = [MOCKS[m](spec) for m in filter(None, args.mock.split(","))]

    def ready(_message: str) -> None:
        tmp = args.ready_file + ".tmp"
        Path(tmp).write_text(json.dumps({"pid": os.getpid(), "mocks": applied}))
        os.replace(tmp, args.ready_file)

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(app, host=conf.api.bind_host, port=conf.api.bind_port, access_log=None,
                print=ready, shutdown_timeout=2)


if __name__ == "__main__":
    main()
