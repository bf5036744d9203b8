"""Processes the lab starts: PID files that prove ownership, start, stop, port checks.

A PID file holds ``<pid> <start time>``; a PID counts as ours only if that process still
has that start time (``/proc/<pid>/stat`` field 22), so a recycled PID is never signalled.
Every service starts in its own session; stopping signals that session and any descendant.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name may hold spaces and parentheses: split after the last ')'
    return raw[raw.rindex(")") + 2:].split()


def start_time(pid: int) -> str | None:
    """Return the kernel start time of ``pid`` (clock ticks since boot), None if gone."""
    fields = _stat_fields(pid)
    if fields is None or fields[0] == "Z":
        return None
    return fields[19]


def owned_pid(pidfile: Path) -> int | None:
    """Return the PID recorded in ``pidfile`` if that very process is still alive."""
    try:
        pid_s, started = pidfile.read_text().split()
        pid = int(pid_s)
    except (OSError, ValueError):
        return None
    return pid if start_time(pid) == started else None


def spawn(argv: Sequence[str], pidfile: Path, log: Path, env: Mapping[str, str],
          cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session, output appended to ``log``; record its PID."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(f"\n==== {time.strftime('%F %T')} starting: {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=dict(env), cwd=cwd,
                                start_new_session=True)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    pidfile.write_text(f"{proc.pid} {start_time(proc.pid)}\n")
    return proc


def _session_members(sid: int) -> set[int]:
    members = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and fields[3] == str(sid):
                members.add(int(entry.name))
    return members


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def process_tree(pid: int) -> set[int]:
    """Return ``pid``, its descendants and the members of the session it leads."""
    return {pid} | _descendants(pid) | _session_members(pid)


def _alive(pids: Iterable[int]) -> set[int]:
    return {p for p in pids if start_time(p) is not None}


def _signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def stop_many(pidfiles: Sequence[Path], grace: float = 25.0) -> list[str]:
    """TERM every owned process tree in ``pidfiles``, KILL leftovers after ``grace`` s.

    Returns descriptions of the processes that needed SIGKILL. PID files are removed.
    """
    targets: set[int] = set()
    for pidfile in pidfiles:
        pid = owned_pid(pidfile)
        if pid is not None:
            targets |= process_tree(pid)
    _signal_all(targets, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _alive(targets) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftovers = sorted(_alive(targets))
    killed = [describe_pid(p) for p in leftovers]
    _signal_all(leftovers, signal.SIGKILL)
    for pidfile in pidfiles:
        pidfile.unlink(missing_ok=True)
    return killed


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Return True if something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def listener_pid(port: int) -> int | None:
    """Best effort: the PID of the process listening on TCP ``port`` (IPv4 or IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            for fd in os.scandir(f"/proc/{entry.name}/fd"):
                link = os.readlink(fd.path)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(entry.name)
        except OSError:
            continue
    return None


def describe_pid(pid: int) -> str:
    """Return ``pid`` with its command line, for messages."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        cmd = "?"
    return f"pid {pid} ({cmd if len(cmd) < 100 else '...' + cmd[-97:]})"
