"""The lab command's own logic, without a running lab: configs, ownership, faults."""

from __future__ import annotations

import base64
import hashlib
import shutil
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lab"))

from labctl import configs, infra, lifecycle, outputs, procs  # noqa: E402
from labctl.services import Service, all_services  # noqa: E402
from labctl.settings import PODS, Lab  # noqa: E402


@pytest.fixture
def tmp_lab(tmp_path: Path) -> Lab:
    """A lab rooted in a temporary clone that shares the real venv cache."""
    shutil.copytree(REPO / "lab" / "constraints", tmp_path / "lab" / "constraints")
    lab = Lab.from_env(tmp_path)
    if not (lab.venv("srv") / "etc").exists():
        pytest.skip(f"server venv {lab.venv('srv')} not installed (lab/lab up installs it)")
    return lab


def _ini(path: Path) -> str:
    return path.read_text()


def test_central_neutron_owns_the_spanning_ranges_and_pods_stay_apart(tmp_lab: Lab):
    configs.write_all(tmp_lab, PODS)
    central = _ini(tmp_lab.etc / "CentralRegion" / "neutron" / "neutron.conf")
    pod = _ini(tmp_lab.etc / "RegionOne" / "neutron" / "neutron.conf")
    assert "network_vlan_ranges = physnet1:2000:2999,physnet2:3000:3099" in central
    assert "vni_ranges = 100000:199999" in central
    assert "network_vlan_ranges = physnet1,physnet2,extern" in pod
    assert "vni_ranges = 1000:1999" in pod
    assert "notify_nova_on_port_status_changes = false" in central


def test_nova_compute_config_has_no_database_and_pods_have_their_zone(tmp_lab: Lab):
    configs.write_all(tmp_lab, PODS)
    cpu = _ini(tmp_lab.etc / "RegionTwo" / "nova" / "nova-cpu.conf")
    assert "[database]" not in cpu and "[api_database]" not in cpu
    assert "default_availability_zone = az2" in cpu
    cinder = _ini(tmp_lab.etc / "RegionOne" / "cinder" / "cinder.conf")
    assert "storage_availability_zone = az1" in cinder
    assert "tricircle_lab_ext.volume.FileVolumeDriver" in cinder


def test_rendering_twice_writes_nothing_the_second_time(tmp_lab: Lab):
    configs.write_all(tmp_lab, PODS)
    conf = tmp_lab.etc / "keystone" / "keystone.conf"
    before = conf.stat().st_mtime_ns
    configs.write_all(tmp_lab, PODS)
    assert conf.stat().st_mtime_ns == before


def test_rabbit_definitions_hash_the_lab_password_the_rabbitmq_way():
    user = infra.rabbit_definitions()["users"][0]  # type: ignore[index]
    raw = base64.b64decode(user["password_hash"])
    salt, digest = raw[:4], raw[4:]
    assert digest == hashlib.sha256(salt + b"labpass").digest()
    vhosts = {v["name"] for v in infra.rabbit_definitions()["vhosts"]}  # type: ignore[union-attr]
    assert vhosts == {"central", "RegionOne", "RegionTwo"}


def test_region_two_ports_are_region_one_plus_10000():
    one, two = PODS
    for service in ("compute", "placement", "network", "image", "volumev3"):
        assert two.port(service) == one.port(service) + 10000
    assert one.url("compute") == "http://127.0.0.1:8774/v2.1"


def test_every_service_has_a_distinct_name_and_port(tmp_lab: Lab):
    services = all_services(tmp_lab)
    ports = [s.port for s in services if s.port]
    assert len({s.name for s in services}) == len(services)
    assert len(set(ports)) == len(ports)


def test_clouds_include_the_gateway_and_direct_pod_clouds(tmp_lab: Lab):
    clouds = outputs.clouds(tmp_lab)
    assert set(clouds) == {"lab-admin", "regionone", "regiontwo", "tricircle",
                           "tricircle-alt", "tricircle-admin", "central-neutron"}
    assert "region_name" not in clouds["lab-admin"]
    assert clouds["tricircle-alt"]["region_name"] == "CentralRegion"
    assert clouds["central-neutron"]["network_endpoint_override"] == "http://127.0.0.1:9701"


def test_a_pid_is_ours_only_while_it_is_the_process_we_started(tmp_path: Path):
    pidfile = tmp_path / "sleep.pid"
    proc = procs.spawn(["sleep", "60"], pidfile, tmp_path / "sleep.log", {"PATH": "/usr/bin:/bin"},
                       tmp_path)
    assert procs.owned_pid(pidfile) == proc.pid
    good = pidfile.read_text()
    pidfile.write_text(f"{proc.pid} 1\n")  # same PID, other start time: a recycled PID
    assert procs.owned_pid(pidfile) is None
    pidfile.write_text(good)
    assert procs.stop_many([pidfile], grace=5) == []
    assert proc.wait(timeout=5) is not None
    assert not pidfile.exists()


def test_up_refuses_a_port_taken_by_a_foreign_process(tmp_lab: Lab):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        svc = Service("RegionOne-glance", ("true",), stage=3, port=port)
        with pytest.raises(lifecycle.LabError) as err:
            lifecycle._start(tmp_lab, svc)
    message = str(err.value)
    assert f"RegionOne-glance cannot start: port {port} is already taken" in message
    assert "RegionOne-glance.log" in message
    assert not (tmp_lab.run / "RegionOne-glance.pid").exists()


def test_a_service_dying_at_start_is_reported_with_its_log(tmp_lab: Lab):
    svc = Service("RegionTwo-nova-api", ("sh", "-c", "echo boom >&2; exit 3"), stage=3,
                  port=1, env={"PATH": "/usr/bin:/bin"})
    tmp_lab.run.mkdir(parents=True)
    started: list[Service] = []
    with pytest.raises(lifecycle.LabError) as err:
        lifecycle.start_stage(tmp_lab, [svc], 3, started, lambda _msg: None)
    message = str(err.value)
    assert "RegionTwo-nova-api exited with code 3 while starting" in message
    assert "boom" in message and "RegionTwo-nova-api.log" in message
    assert started == [svc]


def _load_sparse():
    sys.path.insert(0, str(REPO / "lab" / "ext"))
    from tricircle_lab_ext import sparse

    return sparse


def test_sparse_writer_stores_zero_blocks_as_holes(tmp_path: Path):
    sparse = _load_sparse()
    data = b"head" + bytes(8 * sparse.BLOCK) + b"tail"
    path = tmp_path / "backup-chunk"
    with sparse.SparseWriter(open(path, "wb")) as writer:
        writer.write(data[:5 * sparse.BLOCK])
        writer.write(data[5 * sparse.BLOCK:])
    assert path.read_bytes() == data
    assert path.stat().st_blocks * 512 < 4 * sparse.BLOCK  # the zeros took no space


def test_sparse_copy_keeps_data_and_grows_to_the_new_size(tmp_path: Path):
    sparse = _load_sparse()
    src, dst = tmp_path / "volume-a", tmp_path / "volume-b"
    with open(src, "wb") as f:
        f.truncate(64 * sparse.BLOCK)
        f.seek(40 * sparse.BLOCK)
        f.write(b"payload")
    sparse.sparse_copy(str(src), str(dst), 128 * sparse.BLOCK)
    assert dst.stat().st_size == 128 * sparse.BLOCK
    with open(dst, "rb") as f:
        f.seek(40 * sparse.BLOCK)
        assert f.read(7) == b"payload"
    assert dst.stat().st_blocks * 512 < 2 * sparse.BLOCK
