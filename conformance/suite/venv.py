"""The conformance venv: tempest, openstacksdk, python-openstackclient and test runners.

It lives in a per-user cache keyed by the hash of conformance/constraints.txt (like the lab's
venvs), so every clone and every CI run on the machine reuses it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CONSTRAINTS = HERE / "constraints.txt"


class Venv:
    def __init__(self, path: Path) -> None:
        self.path = path

    def bin(self, name: str) -> Path:
        return self.path / "bin" / name

    @property
    def site_packages(self) -> Path:
        return next((self.path / "lib").glob("python3*/site-packages"))


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "tricircle-lab"
    return Path(os.environ.get("TRICIRCLE_LAB_CACHE", default)).expanduser()


def venv_path() -> Path:
    digest = hashlib.sha256(CONSTRAINTS.read_bytes()).hexdigest()[:12]
    return cache_dir() / f"tempest-{digest}"


def compile_bytecode(venv: Venv, log: Path) -> None:
    """Write the .pyc files of the venv once.

    Where PYTHONDONTWRITEBYTECODE is set (this machine's environment sets it), Python never
    caches what it compiles: every `openstack` process of the OSC suites compiled its ~2 s of
    imports from source again (measured: 2.6 s of CPU per `openstack flavor list`, 1.0 s
    with the .pyc files). The flag only stops writing; existing .pyc files are used.
    """
    marker = venv.path / ".compiled"
    if marker.exists():
        return
    with open(log, "ab") as out:
        subprocess.run([str(venv.bin("python")), "-m", "compileall", "-q", "-j", "2",
                        str(venv.site_packages)], stdout=out, stderr=subprocess.STDOUT)
    marker.write_text("compileall done\n")


def ensure(log: Path) -> Venv:
    """Create the venv from the constraints file unless it is already complete."""
    venv = Venv(venv_path())
    marker = venv.path / ".installed"
    if marker.exists():
        compile_bytecode(venv, log)  # a venv installed before the .pyc files were written
        return venv
    uv = shutil.which("uv")
    if not uv:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "uv"], check=True)
        uv_cmd = [sys.executable, "-m", "uv"]
    else:
        uv_cmd = [uv]
    python = shutil.which("python3") or sys.executable
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "VIRTUAL_ENV": str(venv.path)}
    with open(log, "ab") as out:
        for argv in ([*uv_cmd, "venv", "--seed", "--allow-existing", "--python", python,
                      str(venv.path)],
                     [*uv_cmd, "pip", "install", "-r", str(CONSTRAINTS)]):
            if subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env).returncode:
                raise RuntimeError(f"{' '.join(argv[:3])} failed; see {log}")
    marker.write_text(CONSTRAINTS.read_text())
    compile_bytecode(venv, log)
    return venv
