"""Load and latency measurement: wrk for throughput, a sequential client for latency."""

from __future__ import annotations

import re
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from bench import procs


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int            # non-2xx/3xx answers plus socket errors

    @property
    def valid(self) -> bool:
        return self.requests > 0 and self.bad == 0


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNIT[m.group(2)]


def parse_wrk(out: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        bad += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        bad += sum(int(x) for x in m.groups())
    return WrkResult(rps, p50, p99, total, bad)


def wrk(url: str, *, duration: float, connections: int = 32,
        headers: Sequence[str] = ()) -> WrkResult:
    """Run wrk (one thread, on the load core) and return its parsed summary.

    Raises RuntimeError if wrk fails.
    """
    argv = [*procs.pin_prefix(procs.LOAD_CORE), "wrk", "--latency", "-t1",
            f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s"]
    for h in headers:
        argv += ["-H", h]
    argv.append(url)
    run = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    if run.returncode != 0:
        raise RuntimeError(f"wrk failed: {run.stderr or run.stdout}")
    return parse_wrk(run.stdout)


def percentile(samples: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of `samples`."""
    data = sorted(samples)
    if not data:
        return float("nan")
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def spread(values: Sequence[float]) -> str:
    """'median (min–max)' of repeated measurements."""
    if not values:
        return "n/a"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:,.0f}"
    return f"{med:,.0f} ({min(values):,.0f}–{max(values):,.0f})"
