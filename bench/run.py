"""Run the gateway benchmarks and print one table.

    python -m bench.run                      # everything (≈ 15 min)
    python -m bench.run --only throughput    # one or more of: throughput, tokens,
                                             #   fanout, slowpod, lab, images, l3
                                             #   (boot: l3's boot part alone)
    python -m bench.run --quick              # short runs, to check the harness

Every benchmark starts its own processes (gateway, stubs, nginx) on free ports
and stops them; each measures its reference in the same run. The proxy under
test is pinned to core 0, load generators and upstreams to core 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import procs, report

BENCHMARKS = ("throughput", "tokens", "fanout", "slowpod", "lab", "images", "l3")
# Run only when named (parts of a benchmark above).
EXTRA = ("boot",)


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (f"{platform.node()}: {os.cpu_count()} cores ({cpu}), Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}, "
            f"load average at start {load[0]:.1f}")


def _git_head() -> str:
    """HEAD at the start, and whether tricircle/ had uncommitted changes (the
    gateway runs from the working tree)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=procs.ROOT).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tricircle"],
                               capture_output=True, text=True, cwd=procs.ROOT).stdout.strip()
    except OSError:
        return "?"
    return head + (" + uncommitted changes in tricircle/" if dirty else "")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(BENCHMARKS[:4] + ("lab",)),
                   help="comma list of " + ", ".join(BENCHMARKS))
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    p.add_argument("--reps", type=int, default=3, help="repetitions of each wrk run")
    p.add_argument("--pods", default="10,100,1000", help="pod counts of the fan-out benchmark")
    p.add_argument("--servers-per-pod", type=int, default=10)
    p.add_argument("--samples", type=int, default=40, help="requests per fan-out case")
    p.add_argument("--lab-samples", type=int, default=1000)
    p.add_argument("--image-mib", type=int, default=1024,
                   help="size of the replicated image (images benchmark)")
    p.add_argument("--l3-subnets", type=int, default=50,
                   help="interfaces of the router over two pods (l3 benchmark)")
    p.add_argument("--boot-samples", type=int, default=4,
                   help="boots through the gateway and direct, each (l3 benchmark)")
    p.add_argument("--no-breakdown", action="store_true")
    p.add_argument("--no-fixes", action="store_true",
                   help="skip the fan-out runs with candidate fixes patched in")
    p.add_argument("--profile", type=float, default=8.0,
                   help="seconds of py-spy sampling of the gateway (0: none)")
    p.add_argument("--quick", action="store_true", help="short runs (harness check)")
    p.add_argument("--json", help="also write the rows as JSON here")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, profiles)")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.reps, args.samples, args.lab_samples = 3, 1, 10, 40
        args.pods = "10,100"
        args.image_mib = min(args.image_mib, 128)
        args.profile = 0
    return args


def _run_one(name: str, args: argparse.Namespace, workdir: Path
             ) -> tuple[list[report.Row], list[str]]:
    if name == "throughput":
        from bench import throughput
        return throughput.run(workdir, duration=args.duration, reps=args.reps,
                              breakdown=not args.no_breakdown, profile_seconds=args.profile)
    if name == "tokens":
        from bench import tokens
        return tokens.run(workdir)
    if name == "fanout":
        from bench import fanout
        return fanout.run_sizes(workdir, [int(x) for x in args.pods.split(",")],
                                servers_per_pod=args.servers_per_pod, samples=args.samples,
                                profile_seconds=args.profile, fixes=not args.no_fixes)
    if name == "slowpod":
        from bench import fanout
        return fanout.run_slow(workdir, samples=args.samples)
    if name == "lab":
        from bench import lab
        return lab.run(workdir, samples=args.lab_samples)
    if name == "images":
        from bench import images
        return images.run(workdir, samples=args.samples, size=args.image_mib << 20,
                          reps=args.reps)
    if name == "l3":
        from bench import l3
        return l3.run(workdir, subnets=args.l3_subnets, samples=args.boot_samples)
    if name == "boot":
        from bench import l3
        return l3.run_boot(workdir, samples=args.boot_samples)
    raise SystemExit(f"unknown benchmark {name!r}; choose from "
                     f"{', '.join(BENCHMARKS + EXTRA)}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if procs.cores() >= 2:   # the harness (latency clients) shares the load core
        os.sched_setaffinity(0, {procs.LOAD_CORE})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="tricircle-bench-"))
    started = datetime.now(UTC)
    head = _git_head()
    rows: list[report.Row] = []
    notes: list[str] = []
    failed = False
    try:
        for name in filter(None, args.only.split(",")):
            t0 = time.monotonic()
            print(f"# {name} ...", file=sys.stderr, flush=True)
            try:
                got, more = _run_one(name, args, _sub(workdir, name))
            except Exception as exc:  # noqa: BLE001 - one benchmark failing must not hide the rest
                traceback.print_exc()
                got, more = [report.Row(name, "(failed)", str(exc).splitlines()[0][:120],
                                        verdict="n/a")], []
                failed = True
            finally:
                procs.stop_all()
            rows += got
            notes += [f"[{name}] {n}" for n in more]
            print(f"# {name} done in {time.monotonic() - t0:.0f}s", file=sys.stderr, flush=True)
    finally:
        procs.stop_all()
    print(f"Tricircle benchmarks, {started:%Y-%m-%d %H:%M} UTC, commit {head}")
    print(machine())
    print(f"options: {' '.join(sys.argv[1:]) or '(defaults)'}")
    print()
    print(report.table(rows))
    if notes:
        print()
        print("\n".join(notes))
    if args.json:
        report.dump(rows, args.json)
    if args.keep:
        print(f"\nlogs and profiles kept in {workdir}")
    else:
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


def _sub(workdir: Path, name: str) -> Path:
    d = workdir / name
    d.mkdir(parents=True, exist_ok=True)
    return d


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        procs.stop_all()
