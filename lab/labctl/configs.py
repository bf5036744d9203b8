"""Configuration files of every lab service, written under ``.lab/etc``.

Re-rendered on every ``up`` and written only when their text changes, so an ``up`` on a
running lab touches nothing. Every service logs to stderr, which the lab sends to
``.lab/logs/<service>.log``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .ini import Section, render, write_if_changed
from .settings import (CENTRAL_NEUTRON_PORT, CENTRAL_REGION, HOST, KEYSTONE_PORT, PASSWORD, PODS,
                       Lab, Pod)

CENTRAL_VLAN_RANGES = "physnet1:2000:2999,physnet2:3000:3099"
CENTRAL_VNI_RANGES = "100000:199999"
POD_VLAN_RANGES = "physnet1,physnet2,extern"
POD_VNI_RANGES = "1000:1999"


def conf_dir(lab: Lab, region: str, service: str) -> Path:
    """Return the config folder of ``service`` in ``region`` ("" for shared services)."""
    return lab.etc / region / service if region else lab.etc / service


def data_dir(lab: Lab, region: str, service: str) -> Path:
    return lab.data / region / service if region else lab.data / service


def _keystone_auth(lab: Lab, region: str, user: str) -> dict[str, object]:
    return {"auth_url": lab.keystone_url.removesuffix("/v3"), "auth_type": "password",
            "project_domain_name": "Default", "user_domain_name": "Default",
            "project_name": "service", "username": user, "password": PASSWORD,
            "region_name": region}


def _authtoken(lab: Lab, region: str, user: str) -> dict[str, object]:
    return {"www_authenticate_uri": lab.keystone_url.removesuffix("/v3"),
            **_keystone_auth(lab, region, user), "service_token_roles_required": True}


def uwsgi_ini(lab: Lab, port: int, module: str, threads: int,
              extra: list[tuple[str, str]]) -> str:
    """Return a uwsgi ini: one process (no master), loopback only, request lines not logged.

    Without a master each API is one process (~15 MiB less each) that exits at once on
    SIGTERM; with one, nova-api's thread pools could hang the graceful shutdown.
    """
    lines = [
        "[uwsgi]", f"http-socket = {HOST}:{port}", f"module = {module}",
        f"home = {lab.venv('srv')}", "master = false", "processes = 1", f"threads = {threads}",
        "enable-threads = true", "need-app = true", "die-on-term = true",
        "buffer-size = 65535", "add-header = Connection: close", "disable-logging = true",
    ]
    lines += [f"{key} = {value}" for key, value in extra]
    return "\n".join(lines) + "\n"


def _write(path: Path, sections: dict[str, Section]) -> None:
    write_if_changed(path, render(sections))


def _copy_paste_ini(lab: Lab, service: str, name: str, dest: Path) -> None:
    src = lab.venv("srv") / "etc" / service / name
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / name).exists():
        shutil.copyfile(src, dest / name)


def write_keystone(lab: Lab) -> None:
    etc, data = conf_dir(lab, "", "keystone"), data_dir(lab, "", "keystone")
    _write(etc / "keystone.conf", {
        "DEFAULT": {"use_stderr": True},
        "database": {"connection": lab.db_url("keystone")},
        "token": {"provider": "fernet"},
        "fernet_tokens": {"key_repository": data / "fernet-keys"},
        "fernet_receipts": {"key_repository": data / "fernet-keys"},
        "credential": {"key_repository": data / "credential-keys"},
        # one keystone worker: an in-process cache is coherent and cuts ~0.6 s per request
        "cache": {"enabled": True, "backend": "dogpile.cache.memory"},
        # bcrypt cost 4: every password authentication of the tests pays it
        "identity": {"password_hash_rounds": 4},
    })
    write_if_changed(etc / "uwsgi.ini", uwsgi_ini(
        lab, KEYSTONE_PORT, "keystone.wsgi.api:application", 4,
        [("env", f"OS_KEYSTONE_CONFIG_DIR={etc}")]))


def _neutron_sections(lab: Lab, region: str, db: str, vhost: str) -> dict[str, Section]:
    etc, data = conf_dir(lab, region, "neutron"), data_dir(lab, region, "neutron")
    central = region == CENTRAL_REGION
    return {
        "DEFAULT": {
            "core_plugin": "ml2", "service_plugins": "router", "auth_strategy": "keystone",
            "transport_url": lab.rabbit_url(vhost), "state_path": data,
            "api_paste_config": etc / "api-paste.ini", "api_workers": 1, "rpc_workers": 0,
            "rpc_state_report_workers": 0, "allow_overlapping_ips": True,
            "notify_nova_on_port_status_changes": not central,
            "notify_nova_on_port_data_changes": not central, "use_stderr": True,
        },
        "database": {"connection": lab.db_url(db)},
        "oslo_concurrency": {"lock_path": data / "locks"},
        "securitygroup": {"firewall_driver": "noop"},
        "ml2": {"type_drivers": "flat,vlan,vxlan", "tenant_network_types": "vxlan",
                "mechanism_drivers": "lab_agentless", "extension_drivers": "port_security"},
        "ml2_type_flat": {"flat_networks": "extern"},
        "ml2_type_vlan": {"network_vlan_ranges":
                          CENTRAL_VLAN_RANGES if central else POD_VLAN_RANGES},
        "ml2_type_vxlan": {"vni_ranges": CENTRAL_VNI_RANGES if central else POD_VNI_RANGES},
        "keystone_authtoken": _authtoken(lab, region, "neutron"),
        "nova": _keystone_auth(lab, region, "nova"),
        "placement": _keystone_auth(lab, region, "placement"),
    }


def write_neutron(lab: Lab, region: str, db: str, vhost: str, port: int) -> None:
    """Neutron API only (no agents); ML2 in the same file, so one config file suffices."""
    etc = conf_dir(lab, region, "neutron")
    _copy_paste_ini(lab, "neutron", "api-paste.ini", etc)
    _write(etc / "neutron.conf", _neutron_sections(lab, region, db, vhost))
    write_if_changed(etc / "uwsgi.ini", uwsgi_ini(
        lab, port, "neutron.wsgi.api:application", 2,
        [("env", f"OS_NEUTRON_CONFIG_DIR={etc}"),
         ("env", "OS_NEUTRON_CONFIG_FILES=neutron.conf"), ("start-time", "%t")]))


def write_central_neutron(lab: Lab) -> None:
    write_neutron(lab, CENTRAL_REGION, "central_neutron", "central", CENTRAL_NEUTRON_PORT)


def write_placement(lab: Lab, pod: Pod) -> None:
    etc = conf_dir(lab, pod.name, "placement")
    _write(etc / "placement.conf", {
        "DEFAULT": {"use_stderr": True},
        "api": {"auth_strategy": "keystone"},
        "placement_database": {"connection": lab.db_url(f"{pod.short}_placement")},
        "keystone_authtoken": _authtoken(lab, pod.name, "placement"),
    })
    write_if_changed(etc / "uwsgi.ini", uwsgi_ini(
        lab, pod.port("placement"), "placement.wsgi.api:application", 2,
        [("env", f"OS_PLACEMENT_CONFIG_DIR={etc}")]))


def _nova_sections(lab: Lab, pod: Pod) -> dict[str, Section]:
    etc, data = conf_dir(lab, pod.name, "nova"), data_dir(lab, pod.name, "nova")
    return {
        "DEFAULT": {
            "transport_url": lab.rabbit_url(pod.name),
            # stable node UUID across restarts, snapshots that upload data (lab/ext)
            "compute_driver": "tricircle_lab.LabFakeDriver",  # see lab/ext nova_compute.py
            "host": f"{pod.short}-compute1", "my_ip": HOST, "state_path": data,
            "instances_path": data / "instances", "enabled_apis": "osapi_compute",
            "osapi_compute_workers": 1, "default_availability_zone": pod.az,
            "vif_plugging_is_fatal": False, "vif_plugging_timeout": 30,
            # a fake hypervisor has nothing to sync: keep the idle CPU low
            "sync_power_state_interval": -1, "heal_instance_info_cache_interval": -1,
            "use_stderr": True, "graceful_shutdown_timeout": 10,
            # one compute host per pod: resize (and its confirm/revert) needs this
            "allow_resize_to_same_host": True,
        },
        "api": {"auth_strategy": "keystone"},
        "api_database": {"connection": lab.db_url(f"{pod.short}_nova_api")},
        "database": {"connection": lab.db_url(f"{pod.short}_nova")},
        "conductor": {"workers": 1},
        "scheduler": {"workers": 1, "discover_hosts_in_cells_interval": 30},
        "wsgi": {"api_paste_config": etc / "api-paste.ini"},
        "oslo_concurrency": {"lock_path": data / "locks"},
        "vnc": {"enabled": False},
        "spice": {"enabled": False},
        "keystone_authtoken": _authtoken(lab, pod.name, "nova"),
        "service_user": {**_keystone_auth(lab, pod.name, "nova"),
                         "send_service_user_token": True},
        "cinder": {**_keystone_auth(lab, pod.name, "nova"), "os_region_name": pod.name},
        "placement": _keystone_auth(lab, pod.name, "placement"),
        "neutron": _keystone_auth(lab, pod.name, "neutron"),
        "glance": _keystone_auth(lab, pod.name, "glance"),
    }


def write_nova(lab: Lab, pod: Pod) -> None:
    etc = conf_dir(lab, pod.name, "nova")
    _copy_paste_ini(lab, "nova", "api-paste.ini", etc)
    sections = _nova_sections(lab, pod)
    _write(etc / "nova.conf", sections)
    # nova-compute must not see database URLs (it refuses to start)
    compute = {k: v for k, v in sections.items() if k not in ("database", "api_database")}
    _write(etc / "nova-cpu.conf", compute)
    write_if_changed(etc / "uwsgi.ini", uwsgi_ini(
        lab, pod.port("compute"), "nova.wsgi.osapi_compute:application", 2,
        [("env", f"OS_NOVA_CONFIG_DIR={etc}")]))


def write_glance(lab: Lab, pod: Pod) -> None:
    etc, data = conf_dir(lab, pod.name, "glance"), data_dir(lab, pod.name, "glance")
    _copy_paste_ini(lab, "glance", "glance-api-paste.ini", etc)
    _write(etc / "glance-api.conf", {
        "DEFAULT": {"workers": 1, "enabled_backends": "fs:file", "use_stderr": True,
                    # glance-download: a pod imports a replica straight from another
                    # pod's Glance (found in the user's catalog by region; issue 5)
                    "enabled_import_methods":
                        "[glance-direct,web-download,copy-image,glance-download]"},
        # the import fetches over http with Glance's URL filter, which refuses
        # loopback hosts and ports other than 80/443 unless allowed (lab only)
        "import_filtering_opts": {
            "allowed_hosts": f"[{HOST}]",
            "allowed_ports": "[" + ",".join(str(p.port("image")) for p in PODS) + "]"},
        "glance_store": {"default_backend": "fs"},
        "fs": {"filesystem_store_datadir": data / "images"},
        "os_glance_staging_store": {"filesystem_store_datadir": data / "staging"},
        "os_glance_tasks_store": {"filesystem_store_datadir": data / "tasks"},
        "database": {"connection": lab.db_url(f"{pod.short}_glance")},
        "paste_deploy": {"flavor": "keystone", "config_file": etc / "glance-api-paste.ini"},
        "oslo_concurrency": {"lock_path": data / "locks"},
        "keystone_authtoken": _authtoken(lab, pod.name, "glance"),
    })
    # uploads are chunked: uwsgi must pass the raw chunked body to glance
    write_if_changed(etc / "uwsgi.ini", uwsgi_ini(
        lab, pod.port("image"), "glance.wsgi.api:application", 1,
        [("env", f"OS_GLANCE_CONFIG_DIR={etc}"), ("http-chunked-input", "true"),
         ("http-auto-chunked", "true"), ("http-raw-body", "true"),
         ("chunked-input-limit", "4096000"), ("http-timeout", "600")]))


def _cinder_sections(lab: Lab, pod: Pod) -> dict[str, Section]:
    etc, data = conf_dir(lab, pod.name, "cinder"), data_dir(lab, pod.name, "cinder")
    venv = lab.venv("srv")
    # privsep (qemu-img, dd) without sudo: the lab runs as root
    privsep = {"helper_command":
               f"{venv}/bin/privsep-helper --config-file {etc / 'cinder.conf'}"}
    return {
        "DEFAULT": {
            "transport_url": lab.rabbit_url(pod.name), "auth_strategy": "keystone",
            "api_paste_config": etc / "api-paste.ini", "osapi_volume_workers": 1,
            "state_path": data, "my_ip": HOST, "host": f"{pod.short}-volume1",
            "enabled_backends": "lab", "glance_api_servers": pod.url("image"),
            "storage_availability_zone": pod.az, "default_availability_zone": pod.az,
            "resource_query_filters_file": venv / "etc/cinder/resource_filters.json",
            # cinder's POSIX driver, writing sparse files (lab/ext backup.py)
            "backup_driver": "tricircle_lab_ext.backup.SparsePosixBackupDriver",
            "backup_posix_path": data / "backups", "use_stderr": True,
            "graceful_shutdown_timeout": 10,
            # zlib costs ~10 s of CPU per GiB here: store uncompressed, sparse, in 64 MiB
            # chunks hashed per MiB
            "backup_compression_algorithm": "none", "backup_file_size": 64 * 1024 * 1024,
            "backup_sha_block_size_bytes": 1024 * 1024,
        },
        "lab": {"volume_driver": "tricircle_lab_ext.volume.FileVolumeDriver",
                "volume_backend_name": "lab-file"},
        "database": {"connection": lab.db_url(f"{pod.short}_cinder")},
        "oslo_concurrency": {"lock_path": data / "locks"},
        "coordination": {"backend_url": f"file://{data}"},
        "privsep_osbrick": privsep,
        "cinder_sys_admin": privsep,
        "keystone_authtoken": _authtoken(lab, pod.name, "cinder"),
        "nova": _keystone_auth(lab, pod.name, "nova"),
        "service_user": {**_keystone_auth(lab, pod.name, "cinder"),
                         "send_service_user_token": True},
    }


def write_cinder(lab: Lab, pod: Pod) -> None:
    etc = conf_dir(lab, pod.name, "cinder")
    _copy_paste_ini(lab, "cinder", "api-paste.ini", etc)
    _write(etc / "cinder.conf", _cinder_sections(lab, pod))
    # cinder's WSGI module reads its config files from sys.argv
    write_if_changed(etc / "uwsgi.ini", uwsgi_ini(
        lab, pod.port("volumev3"), "cinder.wsgi.api:application", 2,
        [("pyargv", f"--config-file {etc / 'cinder.conf'}")]))


DATA_DIRS = {
    "nova": ("instances", "locks"), "neutron": ("locks",), "placement": (),
    "glance": ("images", "staging", "tasks", "locks"),
    "cinder": ("volumes", "backups", "conversion", "locks"),
}


def make_data_dirs(lab: Lab, pods: tuple[Pod, ...]) -> None:
    for sub in ("fernet-keys", "credential-keys"):
        # keystone warns on every token if its key folders are readable by others
        keys = data_dir(lab, "", "keystone") / sub
        keys.mkdir(parents=True, exist_ok=True)
        keys.chmod(0o700)
    (data_dir(lab, CENTRAL_REGION, "neutron") / "locks").mkdir(parents=True, exist_ok=True)
    for pod in pods:
        for service, subdirs in DATA_DIRS.items():
            for sub in ("", *subdirs):
                (data_dir(lab, pod.name, service) / sub).mkdir(parents=True, exist_ok=True)


def write_all(lab: Lab, pods: tuple[Pod, ...]) -> None:
    """Render every service's configuration (infra configs live in infra.py)."""
    make_data_dirs(lab, pods)
    write_keystone(lab)
    write_central_neutron(lab)
    for pod in pods:
        write_placement(lab, pod)
        write_nova(lab, pod)
        write_neutron(lab, pod.name, f"{pod.short}_neutron", pod.name, pod.port("network"))
        write_glance(lab, pod)
        write_cinder(lab, pod)
