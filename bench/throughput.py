"""Throughput of a proxied `GET /servers/{id}` on one api process (one core).

Every proxy under test runs on core 0; wrk (1 thread, 32 connections) and the
instant upstream share core 1. The upstream is our own nginx serving a Nova
server document (falls back to the stub's raw mode without nginx), identical
for every proxy. Targets are measured round-robin, `reps` times each, so the
ratios compare neighbours in time on a machine that other people also use.

Targets: the upstream directly (ceiling), the bare aiohttp proxy (reference),
nginx as a reverse proxy, the gateway, and for the breakdown the gateway with
token validation / routing lookup / link rewriting mocked out one at a time
and all together (bench.gateway_app --mock).
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import gateway, loadgen, nginx, procs, profile
from bench.report import Row, verdict
from bench.stub_pod import make_server, server_id

FILLER_ROUTES = 5000   # routing rows besides the measured server: a non-trivial table


@dataclass
class Target:
    name: str
    url: str
    results: list[loadgen.WrkResult] = field(default_factory=list)
    pid: int | None = None
    cpu_us: list[float] = field(default_factory=list)   # CPU µs per request, per run

    def rps(self) -> list[float]:
        return [r.rps for r in self.results]

    def measure(self, duration: float) -> None:
        """One wrk run; also the proxy's CPU time per request (robust to other
        load on the machine: it does not count time the proxy waited for a core)."""
        before = procs.tree_cpu_seconds(self.pid) if self.pid else 0.0
        result = loadgen.wrk(self.url, duration=duration, headers=[gateway.AUTH_HEADER])
        if self.pid and result.requests:
            used = procs.tree_cpu_seconds(self.pid) - before
            self.cpu_us.append(used / result.requests * 1e6)
        self.results.append(result)


def _check(url: str, sid: str, headers: dict[str, str]) -> tuple[bool, str]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read().decode()
            return (resp.status == 200 and sid in body), body
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code} {exc.read()[:300]!r}"
    except OSError as exc:
        return False, repr(exc)


def _start_upstream(workdir: Path) -> tuple[str, str]:
    """(upstream base URL, kind)."""
    if nginx.binary():
        _, port = nginx.start_static(workdir, lambda base: make_server(0, 0, base),
                                     procs.LOAD_CORE)
        return f"http://127.0.0.1:{port}", "nginx static"
    ready = workdir / "raw-upstream.json"
    proc = procs.start("raw-upstream", [procs.PY, "-m", "bench.stub_pod", "--engine", "raw",
                                        "--latency", "0", "--servers", "1",
                                        "--ready-file", str(ready)],
                       core=procs.LOAD_CORE, workdir=workdir)
    port = procs.wait_ready_file(proc, ready)["ports"][0]
    return f"http://127.0.0.1:{port}", "stub raw protocol"


GATEWAY_VARIANTS: list[tuple[str, tuple[str, ...]]] = [
    ("gateway", ()),
    ("gateway, tokens mocked", ("tokens",)),
    ("gateway, routing mocked", ("routing",)),
    ("gateway, rewrite mocked", ("rewrite",)),
    ("gateway, all three mocked", ("tokens", "routing", "rewrite")),
]
# Not a mock: the same gateway with the in-process job worker off ([api] run_worker),
# as with a separate `tricircle worker` (the default with SQLite runs it inside).
NO_WORKER = "gateway, run_worker = false"


def _targets(workdir: Path, breakdown: bool, notes: list[str]) -> list[Target]:
    upstream, kind = _start_upstream(workdir)
    notes.append(f"upstream: {kind}")
    sid = server_id(0, 0)
    path = f"/v2.1/servers/{sid}"
    targets = [Target("upstream direct (ceiling)", upstream + path)]
    port = procs.free_port()
    bare = procs.start("bare-proxy", [procs.PY, "-m", "bench.bare_proxy", str(port), upstream],
                       core=procs.PROXY_CORE, workdir=workdir)
    procs.wait_http(bare, f"http://127.0.0.1:{port}/")
    targets.append(Target("bare aiohttp proxy", f"http://127.0.0.1:{port}{path}", pid=bare.pid))
    if nginx.binary():
        proxy, nport = nginx.start_proxy(workdir, upstream.split("//", 1)[1], procs.PROXY_CORE)
        targets.append(Target("nginx proxy", f"http://127.0.0.1:{nport}{path}", pid=proxy.pid))
    servers = [sid] + [server_id(0, j) for j in range(1, FILLER_ROUTES)]
    pods = [gateway.pod_spec(0, upstream + "/v2.1", servers)]
    variants = GATEWAY_VARIANTS if breakdown else GATEWAY_VARIANTS[:1]
    for name, mocks in variants:
        try:
            gw = gateway.start(workdir, "gw-" + "-".join(mocks or ("full",)), pods, mocks=mocks)
        except RuntimeError as exc:
            notes.append(f"{name}: not started: {str(exc).splitlines()[0]}")
            continue
        targets.append(Target(name, gw.compute + f"/servers/{sid}", pid=gw.proc.pid))
        if mocks:
            notes.append(f"{name}: patched {'; '.join(gw.mocks)}")
    if breakdown:
        gw = gateway.start(workdir, "gw-noworker", pods, conf_extra="run_worker = false\n")
        targets.append(Target(NO_WORKER, gw.compute + f"/servers/{sid}", pid=gw.proc.pid))
    return targets


def run(workdir: Path, *, duration: float, reps: int, breakdown: bool = True,
        profile_seconds: float = 0) -> tuple[list[Row], list[str]]:
    notes: list[str] = []
    targets = _targets(workdir, breakdown, notes)
    sid = server_id(0, 0)
    headers = {"X-Auth-Token": gateway.BENCH_TOKEN}
    live = []
    for t in targets:
        ok, body = _check(t.url, sid, headers)
        if ok:
            live.append(t)
        else:
            notes.append(f"{t.name}: not measured, GET answered {body[:200]}")
        if t.name == "gateway" and ok:
            rewritten = "127.0.0.1:" + t.url.split(":")[2].split("/")[0] in body
            notes.append(f"gateway links rewritten to the gateway: {rewritten}")
    for t in live:   # warm-up: connection pools, caches, first validation
        loadgen.wrk(t.url, duration=2, headers=[gateway.AUTH_HEADER])
    for _ in range(reps):
        for t in live:
            t.measure(duration)
    if profile_seconds and any(t.name == "gateway" for t in live):
        notes.append(_profile(workdir, next(t for t in live if t.name == "gateway"),
                              profile_seconds))
    return _rows(live, reps), notes


def _profile(workdir: Path, t: Target, seconds: float) -> str:
    import threading
    out = workdir / "gateway-throughput.folded"
    load = threading.Thread(target=loadgen.wrk, args=(t.url,),
                            kwargs={"duration": seconds + 2, "headers": [gateway.AUTH_HEADER]})
    load.start()
    time.sleep(1)
    try:
        profile.record(t.pid or 0, seconds, out)
        text = profile.summarise(out)
    except RuntimeError as exc:
        text = str(exc)
    load.join()
    (workdir / "gateway-throughput.profile.txt").write_text(text)
    return "py-spy profile of the gateway under wrk load:\n" + text


def _ratios(a: Target, b: Target) -> list[float]:
    return [x.rps / y.rps for x, y in zip(a.results, b.results, strict=True) if y.rps]


def _fmt_ratio(values: list[float]) -> str:
    if not values:
        return "n/a"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.2f}x"
    return f"{med:.2f}x ({min(values):.2f}–{max(values):.2f})"


def _rows(live: list[Target], reps: int) -> list[Row]:
    by = {t.name: t for t in live}
    bare = by.get("bare aiohttp proxy")
    rows = []
    for t in live:
        bad = sum(r.bad for r in t.results)
        value = (f"{loadgen.spread(t.rps())} req/s, p50 "
                 f"{statistics.median(r.p50_ms for r in t.results):.1f} ms")
        if t.cpu_us:
            value += f"; CPU {statistics.median(t.cpu_us):.0f} µs/req"
        if bad:
            value += f", {bad} bad answers"
        row = Row("throughput", t.name, value, raw={"rps": t.rps(),
                                                   "p50_ms": [r.p50_ms for r in t.results]})
        if bare is not None and t is not bare and "ceiling" not in t.name:
            row.ratio = "vs bare " + _fmt_ratio(_ratios(t, bare))
            if t.cpu_us and bare.cpu_us:
                row.ratio += f"; by CPU/req {_cpu_ratio(t, bare):.2f}x"
        if t.name == "gateway":
            ratios = _ratios(t, bare) if bare else []
            row.target = "≥ 0.8x bare"
            row.verdict = verdict(statistics.median(ratios) >= 0.8) if ratios else "n/a"
            if "nginx proxy" in by:
                nginx_t = by["nginx proxy"]
                row.ratio += ", vs nginx " + _fmt_ratio(_ratios(t, nginx_t))
                if t.cpu_us and nginx_t.cpu_us:
                    row.ratio += f" (by CPU/req {_cpu_ratio(t, nginx_t):.2f}x)"
        rows.append(row)
    rows += _breakdown(by)
    return rows


def _cpu_ratio(a: Target, b: Target) -> float:
    """Throughput ratio a/b implied by CPU time per request (b's CPU / a's CPU)."""
    return statistics.median(b.cpu_us) / statistics.median(a.cpu_us)


def _breakdown(by: dict[str, Target]) -> list[Row]:
    """Share of the gateway's time spent in each mocked part: 1 - full/without, by
    throughput (per repetition) and by CPU time per request (medians)."""
    full = by.get("gateway")
    if full is None:
        return []
    rows = []
    variants = [(n, m) for n, m in GATEWAY_VARIANTS[1:]] + [(NO_WORKER, ("in-process worker",))]
    for name, mocks in variants:
        other = by.get(name)
        if other is None:
            continue
        costs = [1 - r for r in _ratios(full, other)]
        med = statistics.median(costs)
        value = f"{med * 100:.0f}% by throughput" + (
            f" ({min(costs) * 100:.0f}–{max(costs) * 100:.0f}%)" if len(costs) > 1 else "")
        cpu_cost = None
        if full.cpu_us and other.cpu_us:
            cpu_cost = 1 - statistics.median(other.cpu_us) / statistics.median(full.cpu_us)
            value += f"; {cpu_cost * 100:.0f}% by CPU/req"
        row = Row("breakdown", "cost of " + "+".join(mocks), value,
                  raw={"costs": costs, "cpu_cost": cpu_cost})
        if len(mocks) == 3:
            row.target = "≤ 20 % together"
            row.verdict = verdict(med <= 0.20)
        rows.append(row)
    return rows


def main_json(rows: list[Row]) -> str:
    return json.dumps([r.raw for r in rows])
