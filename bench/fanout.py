"""Merged server lists across simulated pods: latency, memory, slow pods.

`run_sizes`: `GET /compute/v2.1/servers/detail?limit=100` through the gateway
with 10, 100, 1000 stub pods (20 ms each, `servers_per_pod` servers of the
project in every pod, one routing row per server). Each case also measures,
interleaved sample by sample, the same fan-out done directly by a bare client
(aiohttp, no gateway: n concurrent pod calls + merge) as the floor that the
stub, loopback and Python clients impose. Every answer is checked against the
expected first 100 servers (Nova's default order), and every pod must have been
asked. Peak RSS = VmHWM of the gateway process after the case.

`run_slow`: 100 pods, one of them slow (200 ms; 2 s against a 0.5 s deadline).
"""

from __future__ import annotations

import asyncio
import heapq
import json
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench import gateway, loadgen, procs, profile
from bench.report import Row, verdict
from bench.stub_pod import created_at, server_id

LIMIT = 100
TARGET_P50_1000 = 0.3
TARGET_RSS_MB = 200.0


@dataclass
class Stub:
    proc: procs.Proc
    ports: list[int]

    def compute(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}/v2.1"


def start_stub(workdir: Path, name: str, pods: int, servers: int, latency: float = 0.02,
               slow: dict[int, float] | None = None) -> Stub:
    ready = workdir / f"{name}.ready.json"
    ready.unlink(missing_ok=True)
    argv = [procs.PY, "-m", "bench.stub_pod", "--pods", str(pods), "--servers", str(servers),
            "--latency", str(latency), "--engine", "raw", "--ready-file", str(ready)]
    for index, seconds in (slow or {}).items():
        argv += ["--slow", f"{index}:{seconds}"]
    proc = procs.start(name, argv, core=procs.LOAD_CORE, workdir=workdir)
    return Stub(proc, procs.wait_ready_file(proc, ready, timeout=300)["ports"])


def expected_first(pods: int, servers: int, limit: int = LIMIT,
                   skip_pods: frozenset[int] = frozenset()) -> list[str]:
    """Ids of the first `limit` servers in Nova's default order (created desc, id desc)."""
    items = ((created_at(i, j), server_id(i, j)) for i in range(pods) if i not in skip_pods
             for j in range(servers))
    return [sid for _, sid in heapq.nlargest(limit, items)]


async def _stats(stub: Stub) -> dict[str, int]:
    async with aiohttp.ClientSession() as s, \
            s.get(f"http://127.0.0.1:{stub.ports[0]}/_stub/stats") as r:
        return dict(await r.json())


async def _gateway_list(session: aiohttp.ClientSession, url: str,
                        headers: dict[str, str] | None = None) -> tuple[float, int, dict, Any]:
    t0 = time.perf_counter()
    async with session.get(url, headers=headers) as r:
        body = await r.read()
        elapsed = time.perf_counter() - t0
        status, resp_headers = r.status, dict(r.headers)
    return elapsed, status, resp_headers, json.loads(body) if body else None


class DirectFanout:
    """The floor: bench.direct_fanout, pinned to the gateway's core, one list per call."""

    def __init__(self, workdir: Path, stub: Stub) -> None:
        urls = [stub.compute(i) for i in range(len(stub.ports))]
        argv = [*procs.pin_prefix(procs.PROXY_CORE), procs.PY, "-m", "bench.direct_fanout", *urls]
        self.popen = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True, cwd=procs.ROOT)

    def once(self) -> dict[str, float]:
        assert self.popen.stdin is not None and self.popen.stdout is not None
        self.popen.stdin.write("go\n")
        self.popen.stdin.flush()
        line = self.popen.stdout.readline()
        if not line:
            raise RuntimeError("bench.direct_fanout died")
        return dict(json.loads(line))

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


def _token() -> dict[str, str]:
    return {"X-Auth-Token": gateway.BENCH_TOKEN}


async def _measure_size(gw: gateway.Gateway, stub: Stub, direct: DirectFanout, pods: int,
                        servers: int, samples: int) -> dict[str, Any]:
    """Gateway and direct fan-out samples, alternating; gateway CPU per request."""
    url = gw.compute + f"/servers/detail?limit={LIMIT}"
    want = expected_first(pods, servers)
    out: dict[str, Any] = {"gw": [], "direct": [], "direct_cpu": [], "errors": []}
    async with aiohttp.ClientSession(headers=_token()) as session:
        for _ in range(3):   # warm-up: pools, caches
            await _gateway_list(session, url)
            direct.once()
        cpu0 = procs.cpu_seconds(gw.proc.pid)
        for _ in range(samples):
            elapsed, status, headers, body = await _gateway_list(session, url)
            out["gw"].append(elapsed)
            got = [s["id"] for s in (body or {}).get("servers", [])] if status == 200 else []
            if got != want:
                # a page the gateway flagged as partial (pods past the deadline) is
                # not the same failure as a silently wrong one: say which it was
                missing = headers.get("X-Tricircle-Missing-Pods", "")
                out["errors"].append(
                    f"status {status}, {len(got)} servers, {elapsed:.1f} s, "
                    f"{len(set(got) & set(want))}/{len(want)} of the expected, "
                    + (f"flagged partial ({len(missing.split(','))} pods)" if missing
                       else "not flagged") + f": {str(body)[:120]}")
            d = direct.once()
            out["direct"].append(d["wall"])
            out["direct_cpu"].append(d["cpu"])
        out["gw_cpu"] = (procs.cpu_seconds(gw.proc.pid) - cpu0) / samples
    hits = await _stats(stub)
    out["unasked_pods"] = sum(1 for v in hits.values() if v < samples)
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


# The health prober probes every pod each [pods] probe_interval (10 s); "no_prober"
# pushes that past the benchmark to show what the probes cost a list at 1000 pods.
NO_PROBER = "[pods]\nprobe_interval = 100000\n"


@dataclass(frozen=True)
class Case:
    pods: int
    servers_per_pod: int
    mocks: tuple[str, ...] = ()
    no_prober: bool = False

    @property
    def label(self) -> str:
        return ", ".join([*self.mocks, *(["no_prober"] if self.no_prober else [])])


def cases_for(sizes: list[int], servers_per_pod: int, fixes: bool) -> list[Case]:
    """Every size as configured; at the largest also 1 server per pod and, with
    `fixes`, the gateway with candidate fixes (bench.gateway_app MOCKS) applied."""
    out = [Case(n, servers_per_pod) for n in sizes]
    big = max(sizes)
    if big >= 1000 and servers_per_pod != 1:
        out.append(Case(big, 1))
    if fixes:
        out += [Case(big, servers_per_pod, ("pods_query",)),
                Case(big, servers_per_pod, ("pods_cache",)),
                Case(big, servers_per_pod, (), True),
                Case(big, servers_per_pod, ("pods_cache", "gc_freeze"), True)]
    return sorted(out, key=lambda c: (c.pods, -c.servers_per_pod, c.label))


def run_sizes(workdir: Path, sizes: list[int], *, servers_per_pod: int, samples: int,
              profile_seconds: float = 0, fixes: bool = True) -> tuple[list[Row], list[str]]:
    rows, notes = [], []
    stub: Stub | None = None
    stub_key: tuple[int, int] | None = None
    for case in cases_for(sizes, servers_per_pod, fixes):
        n, spp = case.pods, case.servers_per_pod
        if stub_key != (n, spp):
            if stub is not None:
                stub.proc.stop()
            stub, stub_key = start_stub(workdir, f"stub-{n}-{spp}", n, spp), (n, spp)
        assert stub is not None
        pods = [gateway.pod_spec(i, stub.compute(i), [server_id(i, j) for j in range(spp)])
                for i in range(n)]
        concurrency = max(64, n)
        name = f"gw-fanout-{n}-{spp}" + "".join("-" + m for m in case.mocks) + (
            "-noprober" if case.no_prober else "")
        gw = gateway.start(workdir, name, pods, mocks=case.mocks,
                           fanout={"max_concurrency": concurrency, "pod_deadline": 5.0},
                           sections=NO_PROBER if case.no_prober else "")
        rss_idle, _ = procs.peak_rss_mb(gw.proc.pid)
        direct = DirectFanout(workdir, stub)
        try:
            m = asyncio.run(_measure_size(gw, stub, direct, n, spp, samples))
        finally:
            direct.close()
        _, rss_peak = procs.peak_rss_mb(gw.proc.pid)
        if (profile_seconds and n == max(sizes) and spp == servers_per_pod
                and not case.label):
            notes.append(_profile(workdir, gw, n, profile_seconds))
        gw.proc.stop()
        row = _size_row(n, spp, concurrency, m, rss_idle, rss_peak)
        if case.label:
            row.bench, row.target, row.verdict = "fanout fix", "", "info"
            row.case += f" — with {case.label} (bench-only)"
            if gw.mocks:
                notes.append(f"{row.case}: {'; '.join(gw.mocks)}")
        rows.append(row)
        if m["errors"]:
            notes.append(f"{row.case}: {len(m['errors'])} wrong answers, first: "
                         f"{m['errors'][0]}")
        if m["unasked_pods"]:
            notes.append(f"{row.case}: {m['unasked_pods']} pods were not asked every time")
    if stub is not None:
        stub.proc.stop()
    return rows, notes


def _size_row(n: int, spp: int, concurrency: int, m: dict[str, Any], rss_idle: float,
              rss_peak: float) -> Row:
    p50, p95 = loadgen.percentile(m["gw"], 50), loadgen.percentile(m["gw"], 95)
    d50 = loadgen.percentile(m["direct"], 50)
    dcpu = statistics.median(m["direct_cpu"])
    value = (f"p50 {_ms(p50)}, p95 {_ms(p95)}, CPU {_ms(m['gw_cpu'])}/req; "
             f"RSS {rss_idle:.0f}→{rss_peak:.0f} MB peak")
    if m["errors"]:
        flagged = sum("flagged partial" in e for e in m["errors"])
        value += (f"; {len(m['errors'])}/{len(m['gw'])} WRONG answers"
                  f" ({flagged} flagged partial by the gateway)")
    row = Row("fanout", f"{n} pods x {spp} servers, limit {LIMIT}, max_concurrency {concurrency}",
              value, f"direct fan-out p50 {_ms(d50)}, CPU {_ms(dcpu)} (gateway {p50 / d50:.1f}x)",
              raw={"gw": m["gw"], "direct": m["direct"], "rss_peak": rss_peak,
                   "rss_idle": rss_idle, "gw_cpu": m["gw_cpu"], "direct_cpu": m["direct_cpu"]})
    if n >= 1000:
        row.target = f"p50 ≤ {TARGET_P50_1000} s, RSS ≤ {TARGET_RSS_MB:.0f} MB"
        row.verdict = verdict(p50 <= TARGET_P50_1000 and rss_peak <= TARGET_RSS_MB
                              and not m["errors"])
    else:
        row.verdict = "info" if not m["errors"] else "MISSED"
    return row


def _profile(workdir: Path, gw: gateway.Gateway, n: int, seconds: float) -> str:
    out = workdir / f"gateway-fanout-{n}.folded"

    async def load(stop: float) -> None:
        async with aiohttp.ClientSession(headers=_token()) as session:
            while time.monotonic() < stop:
                await _gateway_list(session, gw.compute + f"/servers/detail?limit={LIMIT}")

    import threading
    t = threading.Thread(target=lambda: asyncio.run(load(time.monotonic() + seconds + 2)))
    t.start()
    time.sleep(1)
    try:
        profile.record(gw.proc.pid, seconds, out)
        text = profile.summarise(out)
    except RuntimeError as exc:
        text = str(exc)
    t.join()
    (workdir / f"gateway-fanout-{n}.profile.txt").write_text(text)
    return f"py-spy profile of the gateway serving the {n}-pod list back to back:\n{text}"


# ---- one slow pod ------------------------------------------------------------------

SLOW_PODS = 100
SLOW_SERVERS = 10
DEADLINE = 0.5
SLOW_CASES: list[tuple[str, float | None]] = [
    ("all pods 20 ms", None),
    ("one pod 200 ms (10x)", 0.2),
    ("one pod 400 ms (just under the deadline)", 0.4),
    ("one pod 2 s (> deadline)", 2.0),
]


async def _measure_slow(gw: gateway.Gateway, samples: int, slow_index: int) -> dict[str, Any]:
    url = gw.compute + f"/servers/detail?limit={LIMIT}"
    out: dict[str, Any] = {"gw": [], "slow_pod_servers": [], "missing": set(), "status": set()}
    slow_ids = {server_id(slow_index, j) for j in range(SLOW_SERVERS)}
    async with aiohttp.ClientSession(headers=_token()) as session:
        for _ in range(2):
            await _gateway_list(session, url)
        for _ in range(samples):
            elapsed, status, headers, body = await _gateway_list(session, url)
            out["gw"].append(elapsed)
            out["status"].add(status)
            ids = {s["id"] for s in (body or {}).get("servers", [])}
            out["slow_pod_servers"].append(len(ids & slow_ids))
            if headers.get("X-Tricircle-Missing-Pods"):
                out["missing"].add(headers["X-Tricircle-Missing-Pods"])
        v269 = {"OpenStack-API-Version": "compute 2.69"}
        for name, probe in (("with limit", url), ("no query", gw.compute + "/servers/detail")):
            _, status, _, body = await _gateway_list(session, probe, headers=v269)
            servers = (body or {}).get("servers", [])
            unknown = sum(1 for s in servers if s.get("status") == "UNKNOWN")
            out.setdefault("unknown_at_269", []).append(f"{name}: {unknown}")
    return out


def newest_pod(pods: int, servers: int) -> int:
    """The pod holding the newest server: made the slow one, so its servers belong
    in the first page exactly when the gateway waited for it."""
    newest = expected_first(pods, servers, limit=1)[0]
    return next(i for i in range(pods) for j in range(servers) if server_id(i, j) == newest)


def run_slow(workdir: Path, *, samples: int) -> tuple[list[Row], list[str]]:
    rows, notes = [], []
    base_p50 = None
    slow_index = newest_pod(SLOW_PODS, SLOW_SERVERS)
    for name, slow in SLOW_CASES:
        stub = start_stub(workdir, f"stub-slow-{slow}", SLOW_PODS, SLOW_SERVERS,
                          slow={slow_index: slow} if slow else None)
        pods = [gateway.pod_spec(i, stub.compute(i),
                                 [server_id(i, j) for j in range(SLOW_SERVERS)])
                for i in range(SLOW_PODS)]
        gw = gateway.start(workdir, f"gw-slow-{slow}", pods,
                           fanout={"max_concurrency": 1000, "pod_deadline": DEADLINE})
        m = asyncio.run(_measure_slow(gw, samples, slow_index))
        gw.proc.stop()
        stub.proc.stop()
        p50, p95 = loadgen.percentile(m["gw"], 50), loadgen.percentile(m["gw"], 95)
        present = statistics.median(m["slow_pod_servers"])
        value = (f"p50 {_ms(p50)}, p95 {_ms(p95)}; slow pod's servers in page: {present:.0f}; "
                 f"status {sorted(m['status'])}")
        row = Row("slow pod", f"{SLOW_PODS} pods, deadline {DEADLINE} s: {name}", value)
        if base_p50 is None:
            base_p50 = p50
            row.verdict = "info"
        else:
            extra = p50 - base_p50
            own = min(slow or 0.0, DEADLINE)
            row.ratio = f"+{_ms(extra)} over all-fast ({extra / own:.1f}x its own latency)"
            # the target: a slow pod costs the list at most its deadline
            row.target = f"extra ≤ deadline ({_ms(DEADLINE)})"
            row.verdict = verdict(extra <= DEADLINE * 1.05 and m["status"] == {200})
        rows.append(row)
        if slow and slow > DEADLINE:
            notes.append(f"{name}: missing-pods header {sorted(m['missing']) or 'absent'}; "
                         f"UNKNOWN records at 2.69: {', '.join(m['unknown_at_269'])}")
    return rows, notes
