"""One-time initialisation of the services' databases and keys, each step run once.

A step leaves a marker in ``.lab/state``; an ``up`` after a restart finds the markers and
reuses the data. Independent steps run two at a time (the machine has two cores).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .configs import conf_dir
from .install import InstallError, run_logged
from .settings import CENTRAL_REGION, KEYSTONE_PORT, PASSWORD, PODS, Lab, Pod

Step = tuple[str, list[list[str]]]  # (name, commands run in order)


def _manage(lab: Lab, tool: str, *args: str) -> list[str]:
    return [str(lab.srv_bin / tool), *args]


def keystone_step(lab: Lab) -> Step:
    conf = ["--config-file", str(conf_dir(lab, "", "keystone") / "keystone.conf")]
    owner = ["--keystone-user", "root", "--keystone-group", "root"]
    url = f"http://127.0.0.1:{KEYSTONE_PORT}/v3"
    return ("keystone", [
        _manage(lab, "keystone-manage", *conf, "db_sync"),
        _manage(lab, "keystone-manage", *conf, "fernet_setup", *owner),
        _manage(lab, "keystone-manage", *conf, "credential_setup", *owner),
        _manage(lab, "keystone-manage", *conf, "bootstrap", "--bootstrap-password", PASSWORD,
                "--bootstrap-admin-url", url, "--bootstrap-internal-url", url,
                "--bootstrap-public-url", url, "--bootstrap-region-id", CENTRAL_REGION),
    ])


def neutron_step(lab: Lab, region: str) -> Step:
    conf = str(conf_dir(lab, region, "neutron") / "neutron.conf")
    return (f"{region}-neutron",
            [_manage(lab, "neutron-db-manage", "--config-file", conf, "upgrade", "heads")])


def pod_steps(lab: Lab, pod: Pod) -> list[Step]:
    r = pod.name
    nova = ["--config-file", str(conf_dir(lab, r, "nova") / "nova.conf")]
    cell0 = lab.db_url(f"{pod.short}_nova_cell0")
    return [
        (f"{r}-placement", [_manage(lab, "placement-manage", "--config-file",
                                    str(conf_dir(lab, r, "placement") / "placement.conf"),
                                    "db", "sync")]),
        (f"{r}-glance", [_manage(lab, "glance-manage", "--config-file",
                                 str(conf_dir(lab, r, "glance") / "glance-api.conf"),
                                 "db_sync")]),
        (f"{r}-cinder", [_manage(lab, "cinder-manage", "--config-file",
                                 str(conf_dir(lab, r, "cinder") / "cinder.conf"), "db", "sync")]),
        (f"{r}-nova", [
            _manage(lab, "nova-manage", *nova, "api_db", "sync"),
            _manage(lab, "nova-manage", *nova, "cell_v2", "map_cell0",
                    "--database_connection", cell0),
            _manage(lab, "nova-manage", *nova, "cell_v2", "create_cell", "--name", "cell1"),
            _manage(lab, "nova-manage", *nova, "db", "sync"),
        ]),
        neutron_step(lab, r),
    ]


def _marker(lab: Lab, name: str) -> Path:
    return lab.state / f"init-{name}"


def _run_step(lab: Lab, step: Step) -> None:
    name, commands = step
    log = lab.logs / f"init-{name}.log"
    for argv in commands:
        run_logged(argv, log, f"init {name}: {' '.join(argv[1:4])}")
    _marker(lab, name).touch()


def run_once(lab: Lab, steps: list[Step], report: Callable[[str], None]) -> None:
    """Run the steps not yet marked done, two at a time; raise InstallError on failure."""
    todo = [s for s in steps if not _marker(lab, s[0]).exists()]
    if not todo:
        return
    report(f"initialising: {', '.join(s[0] for s in todo)}")
    lab.state.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        errors = [f.exception() for f in [pool.submit(_run_step, lab, s) for s in todo]]
    failed = [e for e in errors if e is not None]
    if failed:
        raise InstallError("; ".join(str(e) for e in failed))


def all_service_steps(lab: Lab) -> list[Step]:
    """Every database step after keystone's (which must precede keystone's start)."""
    steps = [neutron_step(lab, CENTRAL_REGION)]
    for pod in PODS:
        steps += pod_steps(lab, pod)
    # nova first: it is the longest chain, start it early
    return sorted(steps, key=lambda s: not s[0].endswith("-nova"))
