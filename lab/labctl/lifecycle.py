"""``up`` and ``down``: start what is missing in stages, stop what the lab started.

``up`` is idempotent: running services are left alone, one-time steps leave markers. If
anything fails, every process this ``up`` started is stopped again before it exits.
"""

from __future__ import annotations

import fcntl
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from . import configs, dbinit, infra, install, outputs, seed
from .api import answers
from .procs import describe_pid, listener_pid, owned_pid, port_open, spawn, stop_many
from .services import Service, all_services
from .settings import PODS, Lab, Pod

Report = Callable[[str], None]
START_TIMEOUT = 240.0
NOVA_BINARIES = ["nova-conductor", "nova-scheduler", "nova-compute"]
CINDER_BINARIES = ["cinder-scheduler", "cinder-volume", "cinder-backup"]


class LabError(RuntimeError):
    """``up`` cannot continue; the message names the service and its log file."""


@contextmanager
def locked(lab: Lab, timeout: float = 900.0, path: Path | None = None) -> Iterator[None]:
    """Serialize up/down/reset of this lab (other sessions may drive the same clone)."""
    path = path or lab.run / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabError(f"another lab command holds {path}") from None
                time.sleep(0.5)
        yield


def pidfile(lab: Lab, svc: Service) -> Path:
    return lab.run / f"{svc.name}.pid"


def logfile(lab: Lab, svc: Service) -> Path:
    return lab.logs / f"{svc.name}.log"


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\n".join("    | " + line[:200] for line in text)


def _failure(lab: Lab, svc: Service, reason: str) -> LabError:
    log = logfile(lab, svc)
    return LabError(f"{svc.name} {reason}\n  log: {log}\n{_tail(log)}")


def _start(lab: Lab, svc: Service) -> subprocess.Popen[bytes] | None:
    """Start ``svc`` unless it runs already; None if it was running."""
    if owned_pid(pidfile(lab, svc)) is not None:
        return None
    if svc.port is not None and port_open(svc.port):
        holder = listener_pid(svc.port)
        who = describe_pid(holder) if holder else "a process this lab did not start"
        raise LabError(f"{svc.name} cannot start: port {svc.port} is already taken by {who}"
                       f"\n  log: {logfile(lab, svc)}")
    return spawn(svc.argv, pidfile(lab, svc), logfile(lab, svc), svc.env, lab.run)


def _healthy(svc: Service) -> bool:
    if svc.url:
        return answers(svc.url)
    if svc.port is not None:
        return port_open(svc.port)
    return True


def _wait_healthy(lab: Lab, started: dict[str, tuple[Service, subprocess.Popen[bytes]]],
                  timeout: float = START_TIMEOUT) -> None:
    waiting = dict(started)
    t0 = time.monotonic()
    deadline = t0 + timeout
    while waiting:
        for svc, proc in waiting.values():
            code = proc.poll()
            if code is not None:
                raise _failure(lab, svc, f"exited with code {code} while starting")
        with ThreadPoolExecutor(max_workers=8) as pool:
            healthy = list(pool.map(_healthy, [svc for svc, _ in waiting.values()]))
        for name, ok in zip(list(waiting), healthy, strict=True):
            if ok:
                if waiting.pop(name)[0].port is not None:
                    _timing(lab, f"{name} answering after {time.monotonic() - t0:.1f} s")
        if time.monotonic() > deadline:
            svc = next(iter(waiting.values()))[0]
            raise _failure(lab, svc, f"did not answer within {timeout:.0f} s")
        time.sleep(0.5)


def _timing(lab: Lab, line: str) -> None:
    with open(lab.logs / "timings.log", "a") as out:
        out.write(f"{time.strftime('%F %T')} {line}\n")


def start_stage(lab: Lab, services: list[Service], stage: int, started: list[Service],
                report: Report) -> None:
    """Start the missing services of ``stage``; wait until they answer."""
    new: dict[str, tuple[Service, subprocess.Popen[bytes]]] = {}
    for svc in (s for s in services if s.stage == stage):
        proc = _start(lab, svc)
        if proc is not None:
            started.append(svc)
            new[svc.name] = (svc, proc)
    if new:
        report(f"started {', '.join(new)}")
        _wait_healthy(lab, new)


def ensure_installed(lab: Lab, report: Report) -> None:
    missing = install.missing_packages()
    if missing:
        report(f"installing Debian packages: {' '.join(missing)}")
        install.install_packages(lab, missing)
    for kind in ("srv", "cli"):
        if not (lab.venv(kind) / ".installed").exists():
            report(f"installing the {kind} venv {lab.venv(kind)} (about 30-90 s)")
            install.ensure_venv(lab, kind)
        if install.ensure_bytecode(lab, kind):
            report(f"compiled the {kind} venv's modules to bytecode")
    if install.ensure_ext(lab):
        report("installed lab/ext into the server venv")


def _write_configs(lab: Lab) -> None:
    for folder in (lab.etc, lab.data, lab.logs, lab.run, lab.state):
        folder.mkdir(parents=True, exist_ok=True)
    infra.write_mariadb_conf(lab)
    infra.write_rabbit_conf(lab)
    configs.write_all(lab, PODS)


def _once(lab: Lab, name: str, action: Callable[[], object]) -> None:
    marker = lab.state / name
    if not marker.exists():
        action()
        marker.touch()


def _discover_hosts(lab: Lab, pod: Pod) -> None:
    conf = configs.conf_dir(lab, pod.name, "nova") / "nova.conf"
    install.run_logged([str(lab.srv_bin / "nova-manage"), "--config-file", str(conf),
                        "cell_v2", "discover_hosts"], lab.logs / f"init-{pod.name}-nova.log",
                       f"{pod.name} nova-manage cell_v2 discover_hosts")


def _pod_ready(lab: Lab, pod: Pod, since: datetime) -> None:
    daemons = {s.name: s for s in all_services(lab) if s.region == pod.name and s.api_service}

    def check_alive() -> None:
        for svc in daemons.values():
            if owned_pid(pidfile(lab, svc)) is None:
                raise _failure(lab, svc, "exited while starting")

    missing = seed.wait_pod_ready(lab, pod, NOVA_BINARIES + CINDER_BINARIES, START_TIMEOUT,
                                  check_alive, since)
    if missing:
        raise _failure(lab, daemons[f"{pod.name}-{missing[0]}"],
                       "did not report 'up' to its API in time")

    def discover() -> None:
        deadline = time.monotonic() + 60
        while seed.hypervisor_count(lab, pod) == 0 and time.monotonic() < deadline:
            time.sleep(1)
        _discover_hosts(lab, pod)

    _once(lab, f"hosts-{pod.name}", discover)
    _once(lab, f"seed-{pod.name}", lambda: seed.seed_pod(lab, pod))


def _start_all(lab: Lab, started: list[Service], report: Report) -> None:
    services = all_services(lab)
    if not (lab.data / "mysql" / "mysql").exists():
        infra.install_mariadb_datadir(lab)
    start_stage(lab, services, 0, started, report)
    _once(lab, "init-databases", lambda: infra.mysql_root(lab, infra.create_databases_sql()))
    start_stage(lab, services, 1, started, report)
    dbinit.run_once(lab, [dbinit.keystone_step(lab)], report)
    start_stage(lab, services, 2, started, report)
    _once(lab, "seed-identity", lambda: outputs.save_projects(lab, seed.seed_identity(lab)))
    dbinit.run_once(lab, dbinit.all_service_steps(lab), report)
    since = datetime.now(UTC).replace(microsecond=0)
    start_stage(lab, services, 3, started, report)
    if started or any(not (lab.state / f"seed-{p.name}").exists() for p in PODS):
        report("waiting for nova and cinder services to report up")
        with ThreadPoolExecutor(max_workers=len(PODS)) as pool:
            for future in [pool.submit(_pod_ready, lab, pod, since) for pod in PODS]:
                future.result()
    outputs.write_outputs(lab)


def up(lab: Lab, report: Report) -> None:
    """Install what is missing and start the whole lab; raise LabError on failure."""
    t0 = time.monotonic()
    with locked(lab):
        started: list[Service] = []
        try:
            with locked(lab, path=lab.cache / "install.lock"):  # clones share the venvs
                ensure_installed(lab, report)
            _write_configs(lab)
            _start_all(lab, started, report)
        except (Exception, KeyboardInterrupt) as exc:  # whatever failed: leave nothing half-up
            if started:
                report(f"stopping what this run started: {', '.join(s.name for s in started)}")
                _stop(lab, started)
            reason = str(exc) or type(exc).__name__
            raise LabError(reason if isinstance(exc, LabError | install.InstallError)
                           else f"{type(exc).__name__}: {reason}") from exc
    state = "started" if started else "already running"
    _timing(lab, f"up: {state} in {time.monotonic() - t0:.1f} s")
    report(f"lab {state} ({time.monotonic() - t0:.1f} s); {outputs.env_line(lab)}")


def _stop(lab: Lab, services: list[Service]) -> list[str]:
    killed: list[str] = []
    for stage in sorted({s.stage for s in services}, reverse=True):
        killed += stop_many([pidfile(lab, s) for s in services if s.stage == stage])
    return killed


def down(lab: Lab, report: Report) -> None:
    """Stop every process the lab started (by PID file), OpenStack first, MariaDB last."""
    with locked(lab):
        running = [s for s in all_services(lab) if owned_pid(pidfile(lab, s)) is not None]
        if not running:
            report("lab is not running")
            return
        t0 = time.monotonic()
        killed = _stop(lab, running)
        note = f"; SIGKILL needed for {', '.join(killed)}" if killed else ""
        report(f"stopped {len(running)} services ({time.monotonic() - t0:.1f} s){note}")


def restart(lab: Lab, names: list[str], report: Report) -> None:
    """Stop the named services (all if none named), then ``up``; LabError on unknown names."""
    services = all_services(lab)
    known = [s.name for s in services]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise LabError(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(known)}")
    chosen = [s for s in services if not names or s.name in names]
    with locked(lab):
        _stop(lab, chosen)
    report(f"stopped {', '.join(s.name for s in chosen)}")
    up(lab, report)
