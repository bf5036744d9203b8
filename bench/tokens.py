"""Cost of token validation on the cache-hit path (the steady state), per request.

Runs in a child process pinned to the proxy core, under uvloop:
- `TokenValidator.validate` for a cached token (the real class; only its
  Keystone call is replaced, and it runs once);
- the gateway's one middleware (`middleware.gateway`: request id, dialect,
  validation, RequestContext, `latest` check) around a trivial handler, on a
  mocked aiohttp request, and the same around a public handler (no token work):
  the difference is what authentication costs;
- the floor: awaiting a coroutine that returns a constant.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import procs
from bench.report import Row

N = 200_000


async def _per_call(fn: Any, n: int = N) -> float:
    """Microseconds per `await fn()`, best of 3 runs."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            await fn()
        best = min(best, (time.perf_counter() - t0) / n * 1e6)
    return best


async def _measure() -> dict[str, float]:
    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from bench import gateway_app
    from tricircle import conf as tconf
    from tricircle.api import keys, middleware

    conf = tconf.new_config([], config_files=[])
    validator = gateway_app._validator_class()(None, None, ttl=300, max_size=10000)
    token = gateway_app.BENCH_TOKEN
    await validator.validate(token)   # the one miss

    async def constant() -> Any:
        return None

    async def hit() -> Any:
        return await validator.validate(token)

    app = web.Application()
    app[keys.TOKENS] = validator
    app[keys.CONF] = conf
    req = make_mocked_request("GET", "/compute/v2.1/servers/x",
                              headers={"X-Auth-Token": token}, app=app)

    async def handler(request: web.Request) -> Any:
        return web.Response()

    @middleware.public
    async def public(request: web.Request) -> Any:
        return web.Response()

    async def errors_only() -> Any:
        return await middleware.gateway(req, public)

    async def both() -> Any:
        return await middleware.gateway(req, handler)

    return {"floor_us": await _per_call(constant), "validate_hit_us": await _per_call(hit),
            "errors_us": await _per_call(errors_only, N // 4),
            "both_us": await _per_call(both, N // 4), "fetches": validator.fetches}


def child() -> None:
    import uvloop
    print(json.dumps(uvloop.run(_measure())))


def run(workdir: Path) -> tuple[list[Row], list[str]]:
    argv = [*procs.pin_prefix(procs.PROXY_CORE), procs.PY, "-m", "bench.tokens"]
    out = subprocess.run(argv, capture_output=True, text=True, cwd=procs.ROOT, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "failed")
    m = json.loads(out.stdout.strip().splitlines()[-1])
    auth = m["both_us"] - m["errors_us"]
    rows = [
        Row("tokens", "validate(), cache hit", f"{m['validate_hit_us']:.2f} µs/request",
            f"floor (await constant) {m['floor_us']:.2f} µs", verdict="info", raw=m),
        Row("tokens", "authentication in the middleware (hit + context)",
            f"{auth:.1f} µs/request",
            f"whole middleware {m['both_us']:.1f} µs, without a token (public handler) "
            f"{m['errors_us']:.1f} µs", verdict="info", raw=m),
    ]
    notes = [f"Keystone calls during the token benchmark: {m['fetches']} (the first miss)"]
    return rows, notes


if __name__ == "__main__":
    sys.exit(child())
