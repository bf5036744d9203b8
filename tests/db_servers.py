"""Private PostgreSQL and MariaDB servers for the test suite.

Each is started once per test session in a temporary directory, on a free
loopback port and a private socket, and stopped at the end. Nothing touches a
server another program runs (the lab's MariaDB on 3306 included).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
MARIADB_DIRS = ("/usr/sbin", "/usr/bin", "/usr/local/bin")


class ServerUnavailable(Exception):
    """The server's binaries are not installed (the tests that need it are skipped)."""


def _which(name: str, dirs: tuple[str, ...]) -> str | None:
    for d in dirs:
        path = os.path.join(d, name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"server on port {port} did not start:\n{tail}")


def _run(cmd: list[str], log: Path) -> None:
    with log.open("ab") as out:
        subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=120)


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb/postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgresql() -> Iterator[str]:
    """Run a throwaway PostgreSQL; yield its base URL (no database name)."""
    initdb = _which("initdb", PG_BIN_DIRS)
    pg_ctl = _which("pg_ctl", PG_BIN_DIRS)
    if not (initdb and pg_ctl):
        raise ServerUnavailable("PostgreSQL binaries (initdb, pg_ctl) not found")
    base = Path(tempfile.mkdtemp(prefix="tricircle-pg-"))
    base.chmod(0o755)
    data, log, port = base / "data", base / "server.log", free_port()
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    try:
        _run(_as_postgres([initdb, "-D", str(data), "-U", "postgres", "--auth=trust",
                           "-E", "UTF8", "--no-sync"]), base / "initdb.log")
        opts = (f"-k {base} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        _run(_as_postgres([pg_ctl, "-D", str(data), "-l", str(log), "-o", opts, "-w",
                           "start"]), base / "pg_ctl.log")
        _wait_port(port, 30, log)
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def mariadb() -> Iterator[str]:
    """Run a throwaway MariaDB; yield its base URL (no database name)."""
    install = _which("mariadb-install-db", MARIADB_DIRS)
    server = _which("mariadbd", MARIADB_DIRS) or _which("mysqld", MARIADB_DIRS)
    if not (install and server):
        raise ServerUnavailable("MariaDB binaries (mariadb-install-db, mariadbd) not found")
    base = Path(tempfile.mkdtemp(prefix="tricircle-mariadb-"))
    data, log, port = base / "data", base / "server.log", free_port()
    _run([install, "--no-defaults", f"--datadir={data}", "--user=root",
          "--auth-root-authentication-method=normal", "--skip-test-db"], base / "install.log")
    proc = subprocess.Popen(
        [server, "--no-defaults", f"--datadir={data}", f"--socket={base / 'sock'}",
         f"--port={port}", "--bind-address=127.0.0.1", "--user=root",
         f"--pid-file={base / 'pid'}", f"--log-error={log}", "--skip-log-bin",
         "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
         "--innodb-flush-log-at-trx-commit=0", "--max-connections=300",
         "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, 30, log)
        yield f"mysql+aiomysql://root@127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(base, ignore_errors=True)
