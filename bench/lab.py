"""Pass-through overhead against the real lab: the gateway vs RegionOne's Nova.

Runs the real gateway command (`python -m tricircle.cmd.main api`) with real
Keystone token validation and the catalog, its own SQLite database holding
RegionOne as the only pod and a routing row per benchmark server (so the list
fans out to exactly the pod the direct call asks: the ratio is the gateway's
own cost). Servers are created directly in RegionOne with the demo user
(fake driver, flavor and image from .lab/lab.json) and deleted afterwards.

Requests alternate in a shuffled order per round (gateway/direct x show/list)
with the same demo token, `samples` rounds; p50 and p99 of each and their
ratios. Also: Keystone's own token validation time (what a cache miss costs).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench import gateway, gateway_app, loadgen, procs
from bench.report import Row, verdict

LAB_JSON = procs.ROOT / ".lab" / "lab.json"
REGION = "RegionOne"
SERVERS = 3
TARGET_P50, TARGET_P99 = 1.05, 1.15


def lab_info() -> dict[str, Any] | None:
    return json.loads(LAB_JSON.read_text()) if LAB_JSON.exists() else None


async def _token(http: aiohttp.ClientSession, info: dict[str, Any], user: str,
                 project: str) -> str:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": info.get("password", "labpass")}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
    async with http.post(info["auth_url"].rstrip("/") + "/auth/tokens", json=body) as r:
        if r.status != 201:
            raise RuntimeError(f"keystone refused {user}: {r.status} {await r.text()}")
        return r.headers["X-Subject-Token"]


async def _create_servers(http: aiohttp.ClientSession, nova: str, token: str,
                          info: dict[str, Any]) -> list[dict[str, Any]]:
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.37"}
    ids = []
    for i in range(SERVERS):
        body = {"server": {"name": f"bench-lab-{uuid.uuid4().hex[:8]}-{i}",
                           "flavorRef": info["flavor_id"], "imageRef": info["image_id"],
                           "networks": "none"}}
        async with http.post(nova + "/servers", json=body, headers=headers) as r:
            if r.status != 202:
                raise RuntimeError(f"server create: {r.status} {await r.text()}")
            ids.append((await r.json())["server"]["id"])
    deadline = time.monotonic() + 120
    servers: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline and len(servers) < len(ids):
        for sid in ids:
            async with http.get(f"{nova}/servers/{sid}", headers=headers) as r:
                server = (await r.json())["server"]
            if server["status"] in ("ACTIVE", "ERROR"):
                servers[sid] = server
        await asyncio.sleep(1)
    return [servers.get(sid, {"id": sid, "status": "BUILD"}) for sid in ids]


async def _delete_servers(http: aiohttp.ClientSession, nova: str, token: str,
                          ids: list[str]) -> None:
    for sid in ids:
        async with http.delete(f"{nova}/servers/{sid}", headers={"X-Auth-Token": token}):
            pass


async def _leftovers(http: aiohttp.ClientSession, nova: str, token: str) -> list[str]:
    """Servers of earlier runs that could not be deleted (lab went down mid-run)."""
    async with http.get(f"{nova}/servers", params={"name": "^bench-lab-"},
                        headers={"X-Auth-Token": token}) as r:
        if r.status != 200:
            return []
        return [s["id"] for s in (await r.json())["servers"]]


def _start_gateway(workdir: Path, info: dict[str, Any], servers: list[dict[str, Any]],
                   project_id: str) -> gateway.Gateway:
    d = workdir / "gw-lab"
    d.mkdir(parents=True, exist_ok=True)
    port = procs.free_port()
    db = d / "bench.db"
    conf = d / "gateway.conf"
    gateway.write_config(conf, port=port, db=db, keystone_url=info["auth_url"])
    conf.write_text(conf.read_text().replace(
        "password = unused\n",
        f"username = tricircle\npassword = {info.get('password', 'labpass')}\n"
        "project_name = service\nuser_domain_name = Default\nproject_domain_name = Default\n"))
    pod_az = next((s.get("OS-EXT-AZ:availability_zone") for s in servers
                   if s.get("OS-EXT-AZ:availability_zone")), "nova")
    spec = {"project_id": project_id, "pods": [{
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "bench-lab-RegionOne")), "region": REGION,
        "az": info["regions"][REGION].get("availability_zone", "az1"), "pod_az": pod_az,
        "servers": [s["id"] for s in servers]}]}
    url = f"sqlite+aiosqlite:///{db}"
    asyncio.run(gateway_app.create_schema(url))
    asyncio.run(gateway_app.seed(url, spec))
    argv = [procs.PY, "-m", "tricircle.cmd.main", "--config-file", str(conf), "api"]
    proc = procs.start("gw-lab", argv, core=procs.PROXY_CORE, workdir=workdir)
    procs.wait_http(proc, f"http://127.0.0.1:{port}/", timeout=120)
    return gateway.Gateway(proc, port, [])


async def _sample(session: aiohttp.ClientSession, url: str,
                  rid: str | None = None) -> tuple[float, int]:
    headers = {"X-OpenStack-Request-ID": rid} if rid else None
    t0 = time.perf_counter()
    async with session.get(url, headers=headers) as r:
        await r.read()
        return time.perf_counter() - t0, r.status


async def _measure(gw: gateway.Gateway, nova: str, token: str, sid: str,
                   samples: int) -> tuple[dict[str, list[float]], dict[str, tuple[str, float]]]:
    """Client-side seconds per case, and request id -> (case, seconds): every call
    carries its own global request id, which Nova logs with its own time."""
    urls = {("gateway", "show"): f"{gw.compute}/servers/{sid}",
            ("direct", "show"): f"{nova}/servers/{sid}",
            ("gateway", "list"): f"{gw.compute}/servers/detail",
            ("direct", "list"): f"{nova}/servers/detail"}
    times: dict[str, list[float]] = {f"{a} {b}": [] for a, b in urls}
    by_rid: dict[str, tuple[str, float]] = {}
    bad: dict[str, int] = {}
    headers = {"X-Auth-Token": token}
    async with aiohttp.ClientSession(headers=headers) as gws, \
            aiohttp.ClientSession(headers=headers) as direct:
        sessions = {"gateway": gws, "direct": direct}
        for key, url in urls.items():   # warm-up: pools, token cache, route cache
            for _ in range(5):
                await _sample(sessions[key[0]], url)
        rng = random.Random(7)
        for _ in range(samples):
            order = list(urls)
            rng.shuffle(order)
            for key in order:
                rid = "req-" + str(uuid.uuid4())
                elapsed, status = await _sample(sessions[key[0]], urls[key], rid)
                name = f"{key[0]} {key[1]}"
                by_rid[rid] = (name, elapsed)
                if status != 200:
                    bad[name] = bad.get(name, 0) + 1
                times[name].append(elapsed)
    times["_bad"] = [float(bad.get(k, 0)) for k in times if k != "_bad"]
    return times, by_rid


_NOVA_LOG = re.compile(r"\[(req-[0-9a-f-]{36}) req-.*\" status: (\d+) .* time: ([\d.]+)")


def outside_nova(info: dict[str, Any], by_rid: dict[str, tuple[str, float]]
                 ) -> dict[str, float]:
    """Median client time minus Nova's own logged time, per case: the part of the
    latency spent outside Nova (loopback, client, and for the gateway its work)."""
    log = Path(info.get("lab_root", procs.ROOT / ".lab")) / "logs" / f"{REGION}-nova-api.log"
    spent: dict[str, list[float]] = {}
    try:
        lines = log.read_text(errors="replace").splitlines()[-20 * len(by_rid):]
    except OSError:
        return {}
    for line in lines:
        m = _NOVA_LOG.search(line)
        if m and m.group(1) in by_rid:
            name, elapsed = by_rid[m.group(1)]
            spent.setdefault(name, []).append(elapsed - float(m.group(3)))
    return {k: statistics.median(v) for k, v in spent.items() if v}


async def _keystone_validation(info: dict[str, Any], user_token: str, n: int = 40) -> float:
    """p50 seconds of GET /v3/auth/tokens (what the gateway does on a cache miss)."""
    async with aiohttp.ClientSession() as http:
        service = await _token(http, info, "tricircle", "service")
        url = info["auth_url"].rstrip("/") + "/auth/tokens?nocatalog"
        headers = {"X-Auth-Token": service, "X-Subject-Token": user_token}
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            async with http.get(url, headers=headers) as r:
                await r.read()
            times.append(time.perf_counter() - t0)
    return loadgen.percentile(times, 50)


def run(workdir: Path, *, samples: int) -> tuple[list[Row], list[str]]:
    info = lab_info()
    if info is None:
        return [Row("lab", "(not run)", f"{LAB_JSON} not found: lab not built",
                    verdict="n/a")], []
    nova = info["regions"][REGION]["compute"]
    project_id = info["projects"]["demo"]

    async def setup() -> tuple[str, list[dict[str, Any]]]:
        async with aiohttp.ClientSession() as http:
            token = await _token(http, info, "demo", "demo")
            await _delete_servers(http, nova, token, await _leftovers(http, nova, token))
            return token, await _create_servers(http, nova, token, info)

    try:
        token, servers = asyncio.run(setup())
    except (aiohttp.ClientError, OSError, RuntimeError) as exc:
        return [Row("lab", "(not run)", f"lab not usable: {exc}"[:150], verdict="n/a")], []
    notes = [f"servers: {', '.join(s['id'] + ' ' + s['status'] for s in servers)}"]
    try:
        gw = _start_gateway(workdir, info, servers, project_id)
        times, by_rid = asyncio.run(_measure(gw, nova, token, servers[0]["id"], samples))
        outside = outside_nova(info, by_rid)
        miss = asyncio.run(_keystone_validation(info, token))
    finally:
        procs.stop_all()

        async def cleanup() -> None:
            async with aiohttp.ClientSession() as http:
                await _delete_servers(http, nova, token, [s["id"] for s in servers])

        try:
            asyncio.run(cleanup())
        except (aiohttp.ClientError, OSError) as exc:  # the next run deletes them
            notes.append(f"could not delete the benchmark servers now ({exc}); "
                         "the next lab run deletes servers named bench-lab-*")
    notes.append(f"deleted the {len(servers)} benchmark servers")
    return _rows(times, samples, miss, outside), notes


def _rows(times: dict[str, list[float]], samples: int, miss: float,
          outside: dict[str, float]) -> list[Row]:
    rows = []
    bad = sum(times.pop("_bad"))
    for what in ("show", "list"):
        g, d = times[f"gateway {what}"], times[f"direct {what}"]
        g50, g99 = loadgen.percentile(g, 50), loadgen.percentile(g, 99)
        d50, d99 = loadgen.percentile(d, 50), loadgen.percentile(d, 99)
        r50, r99 = g50 / d50, g99 / d99
        label = "GET /servers/{id}" if what == "show" else "GET /servers/detail"
        rows.append(Row(
            "lab pass-through", f"{label}, {samples} interleaved samples each",
            f"gateway p50 {g50 * 1000:.1f} ms / p99 {g99 * 1000:.1f} ms; "
            f"direct p50 {d50 * 1000:.1f} ms / p99 {d99 * 1000:.1f} ms",
            f"p50 {r50:.3f}x, p99 {r99:.3f}x",
            f"p50 ≤ {TARGET_P50}x, p99 ≤ {TARGET_P99}x",
            verdict(r50 <= TARGET_P50 and r99 <= TARGET_P99 and not bad),
            raw={"gateway": g, "direct": d}))
        if f"gateway {what}" in outside and f"direct {what}" in outside:
            added = outside[f"gateway {what}"] - outside[f"direct {what}"]
            rows[-1].value += (f"; time outside Nova (p50 of client − Nova's logged time): "
                               f"gateway {outside[f'gateway {what}'] * 1000:.1f} ms, direct "
                               f"{outside[f'direct {what}'] * 1000:.1f} ms → gateway adds "
                               f"{added * 1000:.1f} ms")
    rows.append(Row("tokens", "Keystone validation (a cache miss), lab",
                    f"p50 {miss * 1000:.1f} ms", verdict="info"))
    if bad:
        rows[0].value += f"; {bad:.0f} non-200 answers"
    return rows
