"""Sample a running process with py-spy and summarise where its time goes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^():]+)(?::\d+)?\)$")
# Which layer a frame belongs to, by its file path (first match wins).
LAYERS = (
    ("tricircle", "/tricircle/"),
    ("sqlalchemy", "/sqlalchemy/"),
    ("aiosqlite+sqlite3", "/aiosqlite/"),
    ("aiohttp client", "/aiohttp/client"),
    ("aiohttp client", "/aiohttp/connector"),
    ("aiohttp server", "/aiohttp/web"),
    ("aiohttp http", "/aiohttp/"),
    ("multidict/yarl", "/yarl/"),
    ("multidict/yarl", "/multidict/"),
    ("oslo", "/oslo_"),
    ("json", "/json/"),
    ("asyncio", "/asyncio/"),
)


def py_spy() -> str | None:
    exe = Path(sys.executable).with_name("py-spy")
    return str(exe) if exe.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, out: Path, rate: int = 250) -> Path:
    """Collapsed stacks of `pid` for `seconds` (py-spy raw format). Raises RuntimeError."""
    exe = py_spy()
    if exe is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    run = subprocess.run([exe, "record", "-p", str(pid), "-d", str(max(1, round(seconds))),
                          "-r", str(rate), "-f", "raw", "-o", str(out), "--threads",
                          "--nonblocking"], capture_output=True, text=True)
    if run.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed: {run.stderr[-2000:]}")
    return out


def _frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for part in stack.split(";"):
        m = _FRAME.match(part.strip())
        if m:
            out.append((m.group("func"), m.group("file")))
    return out


def layer_of(path: str) -> str:
    path = "/" + path.lstrip("/")
    for name, marker in LAYERS:
        if marker in path:
            return name
    return "other"


def summarise(folded: Path, top: int = 18) -> str:
    """Text summary: samples per thread, self time per layer, hottest functions
    (self and inclusive) of the main thread."""
    self_fn: Counter[str] = Counter()
    incl_fn: Counter[str] = Counter()
    self_layer: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = main_total = 0
    for line in folded.read_text().splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack or not count_s.isdigit():
            continue
        count = int(count_s)
        total += count
        thread = next((p for p in stack.split(";") if p.startswith("thread")), "thread ?")
        threads[_thread_name(thread)] += count
        frames = _frames(stack)
        if not frames:
            continue
        is_main = _thread_name(thread) == "MainThread"
        func, path = frames[-1]
        self_layer[layer_of(path)] += count
        if is_main:
            main_total += count
            self_fn[f"{func} ({_short(path)})"] += count
            for name in {f"{f} ({_short(p)})" for f, p in frames}:
                incl_fn[name] += count
    lines = [f"samples: {total} ({main_total} in the main thread)",
             "threads: " + ", ".join(f"{k.strip()} {v * 100 / max(total, 1):.0f}%"
                                     for k, v in threads.most_common(4)),
             "self time by layer (all threads): " + ", ".join(
                 f"{k} {v * 100 / max(total, 1):.0f}%" for k, v in self_layer.most_common())]
    lines.append("main thread, inclusive (tricircle + its callees):")
    tric = [(k, v) for k, v in incl_fn.most_common() if k.split("(")[-1].startswith(
        ("tricircle/", "bench/"))]
    lines += [f"  {v * 100 / max(main_total, 1):5.1f}%  {k}" for k, v in tric[:top]]
    lines.append("main thread, self time (hottest functions):")
    lines += [f"  {v * 100 / max(main_total, 1):5.1f}%  {k}" for k, v in self_fn.most_common(top)]
    return "\n".join(lines)


def _thread_name(part: str) -> str:
    """'thread (14210): MainThread' -> 'MainThread'."""
    return part.split(":", 1)[1].strip() if ":" in part else part


def _short(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path
