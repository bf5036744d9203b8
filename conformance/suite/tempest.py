"""Tempest workspaces, runs and their results (one JSON file per target and subset)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .venv import Venv

HERE = Path(__file__).resolve().parent.parent
TEMPEST_DIR = HERE / "tempest"
EXCLUDES = ("exclude-no-agents.txt", "exclude-catalog-writers.txt")
# subunit statuses -> the three columns of the report
STATUS = {"success": "pass", "xfail": "pass", "skip": "skip", "fail": "fail",
          "failure": "fail", "error": "fail", "uxsuccess": "fail"}
CLASS_FIXTURE = re.compile(r"^(setUpClass|tearDownClass) \((?P<cls>[\w.]+)\)$")


@dataclass(frozen=True)
class Subset:
    name: str
    title: str
    surface: str  # the gateway surface the subset needs ("compute" for smoke/discovery)
    include: str  # file under conformance/tempest/subsets/
    baseline: str  # target name of the baseline column

    @property
    def include_path(self) -> Path:
        return TEMPEST_DIR / "subsets" / self.include


def load_subsets() -> dict[str, Subset]:
    subsets: dict[str, Subset] = {}
    for line in (TEMPEST_DIR / "subsets.tsv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, title, surface, include, baseline = line.split("\t")
            subsets[name] = Subset(name, title, surface, include, baseline)
    return subsets


def base_id(test_id: str) -> str:
    """The test id without tempest's ``[id-…,smoke]`` attributes."""
    return test_id.split("[", 1)[0]


class Workspace:
    """One tempest workspace under ``.lab/conformance/tempest/<name>`` (a target and subset)."""

    def __init__(self, venv: Venv, root: Path, target: str) -> None:
        self.venv, self.target = venv, target
        self.path = root / "tempest" / target
        self.registry = root / "tempest" / "workspace.yaml"

    def init(self, conf_text: str) -> None:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([str(self.venv.bin("tempest")), "init", "--workspace-path",
                            str(self.registry), "--name", f"conformance-{self.target}",
                            str(self.path)], check=True, capture_output=True)
        stestr = self.path / ".stestr.conf"
        if not stestr.exists() or str(self.venv.path) not in stestr.read_text():
            # a workspace made with another venv (the constraints changed since):
            # its test_path points into that venv, and discovery fails on the mix
            top = self.venv.site_packages / "tempest"
            stestr.write_text(f"[DEFAULT]\ntest_path={top / 'test_discover'}\n"
                              f"top_dir={top}\ngroup_regex=([^\\.]*\\.)*\n")
        (self.path / "etc" / "tempest.conf").write_text(conf_text)

    def _args(self, include: Path, excludes: list[Path]) -> list[str]:
        args = ["--include-list", str(include)]
        for exc in excludes:
            args += ["--exclude-list", str(exc)]
        return args

    def list_tests(self, include: Path, excludes: list[Path]) -> list[str]:
        out = subprocess.run([str(self.venv.bin("tempest")), "run", "--list-tests",
                              *self._args(include, excludes)], cwd=self.path,
                             capture_output=True, text=True)
        ids = [ln.strip() for ln in out.stdout.splitlines() if ln.startswith("tempest.")]
        if out.returncode != 0 and not ids:
            raise RuntimeError(f"tempest --list-tests failed: {out.stderr[-2000:]}")
        return ids

    def run(self, include: Path, excludes: list[Path], log: Path, timeout: float,
            concurrency: int = 2, nice: int = 0) -> tuple[int, float, bool]:
        """Run tempest (``nice``: its niceness, so others' benchmarks keep the CPU);
        return (exit code, seconds, timed out)."""
        log.parent.mkdir(parents=True, exist_ok=True)
        argv = [str(self.venv.bin("tempest")), "run", *self._args(include, excludes),
                "--concurrency", str(concurrency)]
        if nice:
            argv = ["nice", "-n", str(nice), *argv]
        start = time.monotonic()
        with open(log, "w") as out:
            proc = subprocess.Popen(argv, cwd=self.path, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                rc, timed_out = proc.wait(timeout=timeout), False
            except subprocess.TimeoutExpired:
                import os
                import signal
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                rc, timed_out = -1, True
        return rc, time.monotonic() - start, timed_out

    def last_results(self) -> dict[str, str]:
        """Return test id -> subunit status of the last stestr run in this workspace."""
        stream = subprocess.run([str(self.venv.bin("stestr")), "last", "--subunit"],
                                cwd=self.path, capture_output=True)
        if not stream.stdout:
            return {}
        conv = subprocess.run([str(self.venv.bin("subunit2csv"))], input=stream.stdout,
                              capture_output=True)
        rows = csv.DictReader(io.StringIO(conv.stdout.decode(errors="replace")))
        return {row["test"]: row["status"] for row in rows if row.get("test")}


def classify(selected: list[str], raw: dict[str, str], timed_out: bool) -> dict[str, str]:
    """Map every selected test to pass/fail/skip; tests that never reported are failures.

    A class whose setUpClass failed (or skipped) reports only that fixture: its tests count as
    failed ("fail:setup", what a user of that API would see), or as skipped.
    """
    class_status = {m["cls"]: STATUS.get(st, "fail") for tid, st in raw.items()
                    if (m := CLASS_FIXTURE.match(tid)) and m.group(1) == "setUpClass"
                    and STATUS.get(st) in ("fail", "skip")}
    by_base = {base_id(t): st for t, st in raw.items()}
    result: dict[str, str] = {}
    for tid in selected:
        st = raw.get(tid) or by_base.get(base_id(tid))
        if st:
            result[tid] = STATUS.get(st, "fail")
        elif (cls := class_status.get(base_id(tid).rsplit(".", 1)[0])):
            result[tid] = "skip" if cls == "skip" else "fail:setup"
        else:
            result[tid] = "fail:timeout" if timed_out else "fail:not-run"
    return result


def save(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


FAILED_LINE = re.compile(r"^\{\d+\} (?P<id>.+?) \[[\d.]+s\] \.\.\. FAILED")
EXCEPTION = re.compile(r"^\s{4}(\w[\w.]*(Error|Exception|Failure|Mismatch\w*|Timeout\w*)"
                       r"|tempest\.lib\.exceptions\.\w+)\b")
REQUEST = re.compile(r"Request \([^)]*\): (?P<status>\d{3}) (?P<method>[A-Z]+) (?P<url>\S+)")


def failure_digests(console_log: Path) -> dict[str, str]:
    """Return test id (without attributes) -> first symptom of its failure in the run's log.

    The symptom is the first request answered with a status >= 400, else the exception line:
    enough to tell which HTTP exchange differs without opening tempest.log.
    """
    if not console_log.exists():
        return {}
    digests: dict[str, str] = {}
    current, first_error, exc = "", "", ""

    def close() -> None:
        if current:
            digests[current] = first_error or exc

    for line in console_log.read_text(errors="replace").splitlines():
        m = FAILED_LINE.match(line)
        if m or line.startswith("{"):
            close()
            current, first_error, exc = (base_id(m["id"]) if m else ""), "", ""
            continue
        if not current:
            continue
        r = REQUEST.search(line)
        if r and int(r["status"]) >= 400 and not first_error:
            first_error = f"{r['status']} {r['method']} {r['url']}"
        elif EXCEPTION.match(line):
            exc = line.strip()[:300]
    close()
    return digests


def symptom(test_id: str, digests: dict[str, str]) -> str:
    """The digest of a test, or of its class's setUpClass when that is what failed."""
    tid = base_id(test_id)
    return digests.get(tid) or digests.get(f"setUpClass ({tid.rsplit('.', 1)[0]})", "")
