"""The table of every long-running process of the lab, in start order."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .configs import conf_dir
from .infra import RABBIT_SERVER, rabbit_env
from .settings import (
    CENTRAL_NEUTRON_PORT,
    CENTRAL_REGION,
    EPMD_PORT,
    KEYSTONE_PORT,
    MYSQL_PORT,
    PODS,
    RABBIT_PORT,
    Lab,
    Pod,
)


@dataclass(frozen=True)
class Service:
    """One process the lab runs.

    ``port``: checked free before start and probed for health; ``url``: any HTTP answer
    means healthy; ``stage``: services of a stage start together, stages in order.
    """

    name: str
    argv: tuple[str, ...]
    stage: int
    port: int | None = None
    url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    region: str = ""
    api_service: str = ""  # nova/cinder service binary whose state the API reports


def _env(lab: Lab, extra: dict[str, str] | None = None) -> dict[str, str]:
    drop = ("OS_", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    base["PATH"] = f"{lab.srv_bin}:/usr/sbin:/usr/bin:/sbin:/bin"
    base["PYTHONUNBUFFERED"] = "1"
    # glibc's default of 8 malloc arenas per core inflates threaded services' memory
    base["MALLOC_ARENA_MAX"] = "2"
    return base | (extra or {})


def _uwsgi(lab: Lab, name: str, region: str, service: str, port: int, url: str,
           stage: int = 3) -> Service:
    ini = conf_dir(lab, region, service) / "uwsgi.ini"
    return Service(name, (str(lab.srv_bin / "uwsgi"), "--ini", str(ini)), stage, port=port,
                   url=url, env=_env(lab), region=region)


def _daemon(lab: Lab, pod: Pod, service: str, binary: str, conf: str,
            command: str = "", env: dict[str, str] | None = None) -> Service:
    path = conf_dir(lab, pod.name, service) / conf
    argv = (str(lab.srv_bin / (command or binary)), "--config-file", str(path))
    return Service(f"{pod.name}-{binary}", argv,
                   stage=3, env=_env(lab, env), region=pod.name, api_service=binary)


# Nova's native-threading mode runs every service as a supervisor process plus one forked
# worker; its (supported, deprecated in 2027.2) eventlet mode runs one process: ~130 MiB
# less for each of conductor and scheduler.
_ONE_PROCESS_NOVA = {"OS_NOVA_DISABLE_EVENTLET_PATCHING": "false"}


def _pod_services(lab: Lab, pod: Pod) -> list[Service]:
    r = pod.name
    return [
        _uwsgi(lab, f"{r}-placement", r, "placement", pod.port("placement"),
               pod.url("placement")),
        _uwsgi(lab, f"{r}-neutron", r, "neutron", pod.port("network"), pod.url("network")),
        _uwsgi(lab, f"{r}-glance", r, "glance", pod.port("image"), pod.url("image")),
        _uwsgi(lab, f"{r}-nova-api", r, "nova", pod.port("compute"), pod.url("compute")),
        _daemon(lab, pod, "nova", "nova-conductor", "nova.conf", env=_ONE_PROCESS_NOVA),
        _daemon(lab, pod, "nova", "nova-scheduler", "nova.conf", env=_ONE_PROCESS_NOVA),
        # the lab's launcher of nova-compute, able to load the lab's fake driver
        _daemon(lab, pod, "nova", "nova-compute", "nova-cpu.conf",
                "tricircle-lab-nova-compute"),
        _uwsgi(lab, f"{r}-cinder-api", r, "cinder", pod.port("volumev3"),
               pod.url("volumev3")),
        _daemon(lab, pod, "cinder", "cinder-scheduler", "cinder.conf"),
        # the lab's launchers: privileged helpers in-process instead of privsep daemons
        _daemon(lab, pod, "cinder", "cinder-volume", "cinder.conf",
                "tricircle-lab-cinder-volume"),
        _daemon(lab, pod, "cinder", "cinder-backup", "cinder.conf",
                "tricircle-lab-cinder-backup"),
    ]


def all_services(lab: Lab) -> list[Service]:
    """Return every service in start order (stop order is the reverse)."""
    services = [
        Service("mariadb", ("mariadbd", f"--defaults-file={lab.etc / 'my.cnf'}"), stage=0,
                port=MYSQL_PORT, env=_env(lab)),
        Service("epmd", ("epmd", "-address", "127.0.0.1", "-port", str(EPMD_PORT)), stage=0,
                port=EPMD_PORT, env=_env(lab)),
        Service("rabbitmq", (RABBIT_SERVER,), stage=1, port=RABBIT_PORT,
                env=_env(lab, rabbit_env(lab))),
        _uwsgi(lab, "keystone", "", "keystone", KEYSTONE_PORT, lab.keystone_url, stage=2),
        _uwsgi(lab, "central-neutron", CENTRAL_REGION, "neutron", CENTRAL_NEUTRON_PORT,
               lab.central_neutron_url),
    ]
    for pod in PODS:
        services += _pod_services(lab, pod)
    return services
