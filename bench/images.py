"""Images: replication throughput and memory, and the merged image list.

`run_copy`: one image of `size` bytes (1 GiB by default) copied between two stub
Glance endpoints (bench.image_copy stub: the target reads and sha512-hashes every
byte, as Glance does) by the gateway's replication job (the real handler, its
database and pod clients, in its own process pinned to the proxy core), against
a plain aiohttp streaming download -> upload in the same conditions, alternated
`reps` times. Throughput = size / wall time; memory = the copier's peak RSS
(VmHWM), also before the copy (Python, imports).

`run_list`: `GET /image/v2/images?limit=100` against `GET
/compute/v2.1/servers/detail?limit=100` through the same gateway over the same
100 stub pods (bench.stub_pod serves both: one image per server, same ids and
creation times; every image registered with its home pod), samples alternated.
Both answers are checked against the expected first 100 ids.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
from pathlib import Path
from typing import Any

import aiohttp

from bench import fanout, gateway, loadgen, procs
from bench.report import Row, verdict
from bench.stub_pod import server_id

GIB = 1 << 30
TARGET_RATIO = 0.8
TARGET_RSS_MB = 100.0
LIST_PODS = 100
LIST_PER_POD = 10
LIST_LIMIT = 100
TARGET_LIST_RATIO = 1.1   # "as fast as the server list": within 10 %


def _copy_once(mode: str, ports: list[int]) -> dict[str, float]:
    source, target = (f"http://127.0.0.1:{p}" for p in ports)
    argv = [*procs.pin_prefix(procs.PROXY_CORE), procs.PY, "-m", "bench.image_copy", mode,
            "--source", source, "--target", target]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=procs.ROOT, timeout=900,
                          check=False, env={"PYTHONPATH": str(procs.ROOT)})
    if done.returncode != 0:
        raise RuntimeError(f"bench.image_copy {mode}: {done.stderr[-500:]}")
    subprocess.run(["curl", "-s", "-X", "DELETE",
                    f"{target}/v2/images/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"],
                   capture_output=True, check=False)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_copy(workdir: Path, *, size: int = GIB, reps: int = 3) -> tuple[list[Row], list[str]]:
    ready = workdir / "image-stub.ready.json"
    ready.unlink(missing_ok=True)
    stub = procs.start("image-stub", [procs.PY, "-m", "bench.image_copy", "stub", "--size",
                                      str(size), "--ready-file", str(ready)],
                       core=procs.LOAD_CORE, workdir=workdir)
    ports = procs.wait_ready_file(stub, ready, timeout=300)["ports"]
    runs: dict[str, list[dict[str, float]]] = {"worker": [], "direct": []}
    try:
        for _ in range(reps):
            for mode in ("direct", "worker"):
                runs[mode].append(_copy_once(mode, ports))
    finally:
        stub.stop()
    mb = size / 1e6
    worker = statistics.median(r["seconds"] for r in runs["worker"])
    direct = statistics.median(r["seconds"] for r in runs["direct"])
    peak = max(r["rss_peak_mb"] for r in runs["worker"])
    base = statistics.median(r["rss_before_mb"] for r in runs["worker"])
    direct_peak = max(r["rss_peak_mb"] for r in runs["direct"])
    ratio = direct / worker
    label = f"{size / GIB:g} GiB" if size >= GIB else f"{size >> 20} MiB"
    row = Row("images", f"replication of a {label} image through the worker (median of {reps})",
              f"{mb / worker:,.0f} MB/s ({worker:.1f} s); peak RSS {peak:.0f} MB "
              f"({base:.0f} MB before the copy)",
              f"direct download+upload {mb / direct:,.0f} MB/s ({direct:.1f} s, "
              f"RSS {direct_peak:.0f} MB): {ratio:.0%}",
              f"≥ {TARGET_RATIO:.0%} of direct, RSS ≤ {TARGET_RSS_MB:.0f} MB",
              verdict(ratio >= TARGET_RATIO and peak <= TARGET_RSS_MB
                      and all(r.get("copies") == 2 for r in runs["worker"])),
              raw={"worker": runs["worker"], "direct": runs["direct"], "size": size})
    return [row], []


# ---- the merged list ---------------------------------------------------------------------
async def _measure_list(gw: gateway.Gateway, samples: int) -> dict[str, Any]:
    want = fanout.expected_first(LIST_PODS, LIST_PER_POD, LIST_LIMIT)
    urls = {"servers": gw.compute + f"/servers/detail?limit={LIST_LIMIT}",
            "images": gw.base + f"/image/v2/images?limit={LIST_LIMIT}"}
    keys = {"servers": "servers", "images": "images"}
    out: dict[str, Any] = {"servers": [], "images": [], "errors": []}
    async with aiohttp.ClientSession(headers={"X-Auth-Token": gateway.BENCH_TOKEN}) as session:
        for _ in range(3):
            for url in urls.values():
                await fanout._gateway_list(session, url)
        for _ in range(samples):
            for what, url in urls.items():
                elapsed, status, _, body = await fanout._gateway_list(session, url)
                out[what].append(elapsed)
                got = [i["id"] for i in (body or {}).get(keys[what], [])]
                if status != 200 or got != want:
                    out["errors"].append(f"{what}: status {status}, {len(got)} items, "
                                         f"{'right' if got == want else 'wrong'} order")
    return out


def run_list(workdir: Path, *, samples: int) -> tuple[list[Row], list[str]]:
    stub = fanout.start_stub(workdir, "stub-images", LIST_PODS, LIST_PER_POD)
    pods = []
    for i in range(LIST_PODS):
        ids = [server_id(i, j) for j in range(LIST_PER_POD)]
        spec = gateway.pod_spec(i, stub.compute(i), ids)
        spec["endpoints"]["image"] = stub.compute(i).removesuffix("/v2.1")
        spec["images"] = ids
        pods.append(spec)
    gw = gateway.start(workdir, "gw-images", pods,
                       fanout={"max_concurrency": LIST_PODS, "pod_deadline": 5.0})
    try:
        m = asyncio.run(_measure_list(gw, samples))
        _, rss = procs.peak_rss_mb(gw.proc.pid)
    finally:
        gw.proc.stop()
        stub.proc.stop()
    img50, srv50 = (loadgen.percentile(m[k], 50) for k in ("images", "servers"))
    img95, srv95 = (loadgen.percentile(m[k], 95) for k in ("images", "servers"))
    ratio = img50 / srv50
    row = Row("images", f"image list over {LIST_PODS} pods x {LIST_PER_POD} images, "
                        f"limit {LIST_LIMIT}",
              f"p50 {img50 * 1000:,.0f} ms, p95 {img95 * 1000:,.0f} ms (gateway RSS {rss:.0f} MB)",
              f"server list p50 {srv50 * 1000:,.0f} ms, p95 {srv95 * 1000:,.0f} ms: "
              f"{ratio:.2f}x",
              f"≤ {TARGET_LIST_RATIO:g}x the server list",
              verdict(ratio <= TARGET_LIST_RATIO and not m["errors"]),
              raw=m)
    notes = [f"image list: {len(m['errors'])} wrong answers, first: {m['errors'][0]}"] \
        if m["errors"] else []
    return [row], notes


def run(workdir: Path, *, samples: int, size: int = GIB, reps: int = 3
        ) -> tuple[list[Row], list[str]]:
    rows, notes = run_list(workdir, samples=samples)
    more_rows, more_notes = run_copy(workdir, size=size, reps=reps)
    return rows + more_rows, notes + more_notes
