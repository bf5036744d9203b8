"""The lab works as the gateway needs it: in each pod servers, volumes, images, snapshots,
backups really complete, and central Neutron hands out segments the pods accept.

Runs against the running lab (``lab/lab up``), in-process through openstacksdk.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from openstack.connection import Connection

pytestmark = pytest.mark.lab
WAIT = 180
SNAPSHOT_MAGIC = b"tricircle-lab snapshot of "


def _name(kind: str) -> str:
    return f"smoke-{kind}-{uuid.uuid4().hex[:8]}"


def _wait_volume(conn: Connection, volume: Any, status: str) -> Any:
    # read it afresh: wait_for_status returns at once when the object it is given
    # already shows `status` (a stale "available" while Cinder is still uploading)
    fresh = conn.block_storage.get_volume(volume)
    return conn.block_storage.wait_for_status(fresh, status, failures=["error"],
                                              interval=0.5, wait=WAIT)


def _wait_image_active(conn: Connection, image_id: str) -> Any:
    image = conn.image.get_image(image_id)
    return conn.image.wait_for_status(image, "active", failures=["killed", "deleted"],
                                      interval=0.5, wait=WAIT)


def _download(conn: Connection, image: Any) -> bytes:
    result = conn.image.download_image(image)
    return result.content if hasattr(result, "content") else bytes(result)


def _delete_volume(conn: Connection, volume: Any) -> None:
    conn.block_storage.delete_volume(volume, ignore_missing=True)
    conn.block_storage.wait_for_delete(volume, interval=0.5, wait=WAIT)


@pytest.fixture(scope="module")
def central_segment(central_neutron: Connection) -> Iterator[int]:
    """A VLAN segment allocated by central Neutron (as for a network spanning pods)."""
    net = central_neutron.network.create_network(
        name=_name("span"), provider_network_type="vlan", provider_physical_network="physnet1")
    yield net.provider_segmentation_id
    central_neutron.network.delete_network(net)


@pytest.fixture(scope="module")
def vlan_network(admin: Connection, central_segment: int) -> Iterator[Any]:
    """A shared provider VLAN network in the pod, on the segment central allocated."""
    net = admin.network.create_network(
        name=_name("vlan"), shared=True, provider_network_type="vlan",
        provider_physical_network="physnet1", provider_segmentation_id=central_segment)
    admin.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.91.0.0/24")
    yield net
    for port in admin.network.ports(network_id=net.id):
        admin.network.delete_port(port)
    admin.network.delete_network(net)


@pytest.fixture(scope="module")
def server(demo: Connection, lab: dict[str, Any], vlan_network: Any) -> Iterator[Any]:
    """A demo server booted from the lab image on the provider VLAN network."""
    srv = demo.compute.create_server(name=_name("vm"), flavor_id=lab["flavor_id"],
                                     image_id=lab["image_id"],
                                     networks=[{"uuid": vlan_network.id}])
    srv = demo.compute.wait_for_server(srv, status="ACTIVE", failures=["ERROR"], interval=0.5,
                                       wait=WAIT)
    yield srv
    demo.compute.delete_server(srv)
    demo.compute.wait_for_delete(srv, interval=0.5, wait=WAIT)


@pytest.fixture
def volume(demo: Connection) -> Iterator[Any]:
    """A fresh 1 GiB demo volume, available."""
    vol = _wait_volume(demo, demo.block_storage.create_volume(size=1, name=_name("vol")),
                       "available")
    yield vol
    _delete_volume(demo, vol)


def test_central_neutron_accepts_a_given_vlan_segmentation_id(central_neutron: Connection):
    net = central_neutron.network.create_network(
        name=_name("seg"), provider_network_type="vlan", provider_physical_network="physnet2",
        provider_segmentation_id=3042)
    try:
        assert net.provider_segmentation_id == 3042
        assert net.provider_physical_network == "physnet2"
    finally:
        central_neutron.network.delete_network(net)


def test_central_neutron_allocates_spanning_segments_from_its_own_range(central_segment: int):
    assert 2000 <= central_segment <= 2999


def test_server_boots_active_on_provider_vlan_network(demo: Connection, admin: Connection,
                                                      server: Any, vlan_network: Any,
                                                      central_segment: int, pod: str,
                                                      lab: dict[str, Any]):
    assert server.status == "ACTIVE"
    assert server.availability_zone == lab["regions"][pod]["availability_zone"]
    assert vlan_network.provider_segmentation_id == central_segment
    ports = list(admin.network.ports(device_id=server.id))
    assert [p.status for p in ports] == ["ACTIVE"]
    assert ports[0].binding_vif_type == "ovs"


def test_volume_becomes_available_and_attaches(demo: Connection, server: Any, volume: Any):
    demo.compute.create_volume_attachment(server, volume_id=volume.id)
    attached = _wait_volume(demo, volume, "in-use")
    assert attached.attachments[0]["server_id"] == server.id
    demo.compute.delete_volume_attachment(server, volume.id)
    _wait_volume(demo, volume, "available")


def test_uploaded_image_becomes_active_with_its_data(demo: Connection):
    data = b"lab-upload-" + uuid.uuid4().bytes * 4096
    image = demo.image.create_image(name=_name("img"), data=data, disk_format="raw",
                                    container_format="bare", allow_duplicates=True)
    try:
        image = _wait_image_active(demo, image.id)
        assert image.size == len(data)
        assert _download(demo, image) == data
    finally:
        demo.image.delete_image(image, ignore_missing=True)


def test_server_snapshot_becomes_active_with_data(demo: Connection, server: Any):
    image = demo.compute.create_server_image(server, name=_name("snap"), wait=False)
    try:
        image = _wait_image_active(demo, image.id)
        assert image.size and image.size > 0
        assert _download(demo, image).startswith(SNAPSHOT_MAGIC + server.id.encode())
    finally:
        demo.image.delete_image(image, ignore_missing=True)


def test_volume_upload_to_image_becomes_active(demo: Connection, volume: Any):
    result = demo.block_storage.upload_volume_to_image(
        volume, _name("v2i"), disk_format="qcow2", container_format="bare")
    image_id = result["image_id"]
    try:
        image = _wait_image_active(demo, image_id)
        assert image.disk_format == "qcow2" and image.size > 0
        _wait_volume(demo, volume, "available")
    finally:
        demo.image.delete_image(image_id, ignore_missing=True)


def test_volume_created_from_image_becomes_available(demo: Connection, lab: dict[str, Any]):
    vol = demo.block_storage.create_volume(size=1, image_id=lab["image_id"], name=_name("i2v"))
    try:
        vol = _wait_volume(demo, vol, "available")
        assert vol.is_bootable
        assert vol.volume_image_metadata["image_id"] == lab["image_id"]
    finally:
        _delete_volume(demo, vol)


def test_volume_backup_and_restore_complete(demo: Connection, volume: Any):
    backup = demo.block_storage.create_backup(volume_id=volume.id, name=_name("bak"))
    restored = None
    try:
        backup = demo.block_storage.wait_for_status(backup, "available", failures=["error"],
                                                    interval=0.5, wait=WAIT)
        assert backup.size == 1
        result = demo.block_storage.restore_backup(backup, name=_name("restored"))
        restored = _wait_volume(demo, demo.block_storage.get_volume(result["volume_id"]),
                                "available")
        assert restored.size == 1
        demo.block_storage.wait_for_status(backup, "available", failures=["error"],
                                           interval=0.5, wait=WAIT)
    finally:
        if restored is not None:
            _delete_volume(demo, restored)
        demo.block_storage.delete_backup(backup, ignore_missing=True)
        demo.block_storage.wait_for_delete(backup, interval=0.5, wait=WAIT)
