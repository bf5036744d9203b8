"""Installation: Debian packages, the cached OpenStack venvs, the lab extensions."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .settings import Lab

# Debian packages the lab (and the project's benchmarks: wrk) need, each proven installed by
# one command it provides
REQUIRED_COMMANDS = {"mariadbd": "mariadb-server", "mariadb": "mariadb-client",
                     "epmd": "rabbitmq-server", "qemu-img": "qemu-utils", "sudo": "sudo",
                     "curl": "curl", "bc": "bc", "wrk": "wrk"}
POLICY_RC = Path("/usr/sbin/policy-rc.d")


class InstallError(RuntimeError):
    """An installation step failed; the message names it and its log."""


def missing_packages() -> list[str]:
    missing = {pkg for cmd, pkg in REQUIRED_COMMANDS.items() if shutil.which(cmd) is None}
    if not Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists():
        missing.add("rabbitmq-server")
    return sorted(missing)


def run_logged(argv: list[str], log: Path, what: str, env: dict[str, str] | None = None,
               ok: tuple[int, ...] = (0,)) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    if result.returncode not in ok:
        raise InstallError(f"{what} failed (exit {result.returncode}); see {log}")


def install_packages(lab: Lab, packages: list[str]) -> None:
    """apt-get install ``packages`` without letting Debian start their daemons."""
    log = lab.logs / "install-apt.log"
    if os.geteuid() != 0:
        raise InstallError(f"packages missing ({' '.join(packages)}): install them as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    created = not POLICY_RC.exists()
    if created:  # exit 101 = "action forbidden": the lab runs its own instances
        POLICY_RC.write_text("#!/bin/sh\nexit 101\n")
        POLICY_RC.chmod(0o755)
    try:
        run_logged(["apt-get", "update", "-qq"], log, "apt-get update", env)
        run_logged(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
                    log, f"apt-get install {' '.join(packages)}", env)
    finally:
        if created:
            POLICY_RC.unlink(missing_ok=True)


def _uv() -> list[str]:
    uv = shutil.which("uv")
    if uv:
        return [uv]
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "uv"], check=True)
    return [sys.executable, "-m", "uv"]


def ensure_venv(lab: Lab, kind: str) -> bool:
    """Create the cached ``srv``/``cli`` venv from its constraints file; True if created."""
    venv = lab.venv(kind)
    if (venv / ".installed").exists():
        return False
    constraints = lab.constraints("server" if kind == "srv" else "client")
    log = lab.logs / f"install-{kind}-venv.log"
    python = shutil.which("python3") or sys.executable
    uv = _uv()
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    run_logged([*uv, "venv", "--seed", "--allow-existing", "--python", python, str(venv)],
                log, f"creating {venv}")
    run_logged([*uv, "pip", "install", "-r", str(constraints)], log,
                f"installing {constraints.name} into {venv}", env)
    (venv / ".installed").write_text(constraints.read_text())
    return True


def ensure_bytecode(lab: Lab, kind: str) -> bool:
    """Compile the venv's modules once; True if done now.

    Services start about twice as fast from bytecode, and uv does not write it by default
    (nor does any process when PYTHONDONTWRITEBYTECODE is set, as on CI machines).
    """
    venv = lab.venv(kind)
    marker = venv / ".compiled"
    if marker.exists():
        return False
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # exit 1: a few files (test data of some packages) do not compile; that is fine
    run_logged([str(python), "-m", "compileall", "-q", "-j", "0", str(venv / "lib")],
               lab.logs / f"install-{kind}-venv.log", f"compiling {venv}", env, ok=(0, 1))
    marker.touch()
    return True


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    sources = [folder / "pyproject.toml", *folder.glob("*/*.py")]
    for path in sorted(sources):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def ensure_ext(lab: Lab) -> bool:
    """(Re)install ``lab/ext`` into the server venv when its source changed; True if so."""
    venv = lab.venv("srv")
    marker = venv / ".tricircle-lab-ext"
    want = _tree_hash(lab.ext_src)
    if marker.exists() and marker.read_text() == want:
        return False
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    run_logged([*_uv(), "pip", "install", "--reinstall-package", "tricircle-lab-ext",
                 "--no-build-isolation", str(lab.ext_src)],
                lab.logs / "install-ext.log", "installing lab/ext", env)
    marker.write_text(want)
    return True
