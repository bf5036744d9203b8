"""Processes a benchmark starts: pinned to a core, awaited until ready, always stopped.

Every process started here is remembered and stopped (TERM, then KILL) by
`stop_all`, which `bench.run` calls on exit and on SIGINT/SIGTERM.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# The proxy under test gets core 0; load generator, upstreams and the harness core 1.
PROXY_CORE = 0
LOAD_CORE = 1

_STARTED: list[Proc] = []


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        if self in _STARTED:
            _STARTED.remove(self)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def cores() -> int:
    return len(os.sched_getaffinity(0))


def pin_prefix(core: int | None) -> list[str]:
    """`taskset -c core` when the machine has that core, else nothing."""
    if core is None or shutil.which("taskset") is None or cores() < 2:
        return []
    return ["taskset", "-c", str(core)]


def start(name: str, argv: Sequence[str], *, core: int | None, workdir: Path,
          env: dict[str, str] | None = None) -> Proc:
    """Start `argv` pinned to `core`, output to `<workdir>/<name>.log`."""
    log = workdir / f"{name}.log"
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with open(log, "wb") as out:
        popen = subprocess.Popen([*pin_prefix(core), *argv], stdout=out, stderr=subprocess.STDOUT,
                                 cwd=ROOT, env=full_env, start_new_session=True)
    proc = Proc(name, popen, log)
    _STARTED.append(proc)
    return proc


def stop_all() -> None:
    for proc in list(reversed(_STARTED)):
        proc.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready_file(proc: Proc, path: Path, timeout: float = 120.0) -> dict:
    """The JSON a process writes once it listens. Raises RuntimeError if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        time.sleep(0.05)
    raise RuntimeError(f"{proc.name} not ready after {timeout}s:\n{proc.tail()}")


def wait_http(proc: Proc, url: str, timeout: float = 60.0) -> None:
    """Wait until `url` answers at all (any status). Raises RuntimeError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{proc.name} not answering {url} after {timeout}s:\n{proc.tail()}")


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of `pid` in MiB from /proc (VmRSS, VmHWM)."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, kb = line.split()[:2]
                values[key] = int(kb) / 1024
    return values.get("VmRSS:", 0.0), values.get("VmHWM:", 0.0)


def python_child(proc: Proc) -> int:
    """The pid to measure: taskset execs the program, so it is the same pid."""
    return proc.pid


def cpu_seconds(pid: int) -> float:
    """User + system CPU time consumed so far by `pid` (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its live descendants (nginx: master + worker)."""
    total = 0.0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            total += cpu_seconds(current)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    stack += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total
