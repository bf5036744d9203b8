"""Creates go to the pod of what they use."""

from __future__ import annotations

import pytest

from tests.unit.volumes.conftest import CTX, POD1, POD2
from tricircle.context import RequestContext
from tricircle.proxy.create import Pinned
from tricircle.proxy.locate import NotFoundInGateway
from tricircle.resources import BACKUP, SERVER, SNAPSHOT, VOLUME
from tricircle.volumes import placement


async def test_a_volume_from_a_snapshot_goes_to_the_snapshots_pod(locator):
    locator.add(SNAPSHOT, "snap", POD2)
    pin = placement.volume_pin(locator)  # type: ignore[arg-type]
    assert await pin(CTX, {"volume": {"size": 1, "snapshot_id": "snap"}}) == Pinned(POD2)


async def test_a_clone_and_a_restore_follow_their_source(locator):
    locator.add(VOLUME, "vol", POD1)
    locator.add(BACKUP, "bk", POD2)
    pin = placement.volume_pin(locator)  # type: ignore[arg-type]
    assert await pin(CTX, {"volume": {"source_volid": "vol"}}) == Pinned(POD1)
    assert await pin(CTX, {"volume": {"backup_id": "bk"}}) == Pinned(POD2)


async def test_a_source_of_another_tenant_is_cinders_404(locator):
    locator.add(VOLUME, "theirs", POD1, project="alt")
    pin = placement.volume_pin(locator)  # type: ignore[arg-type]
    with pytest.raises(NotFoundInGateway, match="Volume theirs could not be found"):
        await pin(CTX, {"volume": {"source_volid": "theirs"}})


async def test_a_volume_meant_for_a_server_goes_to_the_servers_pod(locator):
    locator.add(SERVER, "vm", POD2)
    pin = placement.volume_pin(locator)  # type: ignore[arg-type]
    hint = {"OS-SCH-HNT:scheduler_hints": {"local_to_instance": "vm"}}
    assert await pin(CTX, {"volume": {"size": 1}, **hint}) == Pinned(POD2)
    unknown = {"OS-SCH-HNT:scheduler_hints": {"local_to_instance": "nope"}}
    assert await pin(CTX, {"volume": {"size": 1}, **unknown}) is None


async def test_a_plain_volume_is_left_to_the_scheduler(locator):
    pin = placement.volume_pin(locator)  # type: ignore[arg-type]
    assert await pin(CTX, {"volume": {"size": 1, "availability_zone": "az1"}}) is None


async def test_snapshots_and_backups_go_to_their_volumes_pod(locator):
    locator.add(VOLUME, "vol", POD2)
    for key in ("snapshot", "backup"):
        pin = placement.of_volume_pin(locator, key)  # type: ignore[arg-type]
        assert await pin(CTX, {key: {"volume_id": "vol"}}) == Pinned(POD2)
        assert await pin(CTX, {key: {}}) is None  # the pod words its 400


ADMIN = RequestContext(user_id="a", project_id="admin", roles=("admin",))


async def test_an_admins_transfer_or_attachment_belongs_to_the_volumes_project(locator):
    locator.add(VOLUME, "vol", POD2, project="demo")
    for key, field in (("transfer", "volume_id"), ("attachment", "volume_uuid")):
        pin = placement.of_volume_pin(locator, key, field, owned_with=True)  # type: ignore
        assert await pin(ADMIN, {key: {field: "vol"}}) == Pinned(POD2, "demo")
        assert await pin(CTX, {key: {field: "vol"}}) == Pinned(POD2, "demo")


async def test_an_admins_snapshot_or_backup_stays_the_admins(locator):
    locator.add(VOLUME, "vol", POD2, project="demo")
    for key in ("snapshot", "backup"):
        pin = placement.of_volume_pin(locator, key)  # type: ignore[arg-type]
        assert await pin(ADMIN, {key: {"volume_id": "vol"}}) == Pinned(POD2)  # the caller's


async def test_another_tenants_volume_pins_nothing_for_a_member(locator):
    locator.add(VOLUME, "theirs", POD2, project="alt")
    pin = placement.of_volume_pin(locator, "transfer", owned_with=True)  # type: ignore
    with pytest.raises(NotFoundInGateway, match="Volume theirs could not be found"):
        await pin(CTX, {"transfer": {"volume_id": "theirs"}})


async def test_a_server_boots_in_the_pod_of_its_volumes(locator):
    locator.add(VOLUME, "boot", POD2)
    locator.add(SNAPSHOT, "data", POD2)
    pin = placement.server_pin(locator)  # type: ignore[arg-type]
    doc = {"server": {"block_device_mapping_v2": [
        {"boot_index": 0, "uuid": "boot", "source_type": "volume",
         "destination_type": "volume"},
        {"boot_index": 1, "uuid": "data", "source_type": "snapshot",
         "destination_type": "volume"},
        {"boot_index": -1, "uuid": "img", "source_type": "image",
         "destination_type": "local"}]}}
    assert await pin(CTX, doc) == Pinned(POD2)
    legacy = {"server": {"block_device_mapping": [{"volume_id": "boot", "device_name": "vda"}]}}
    assert await pin(CTX, legacy) == Pinned(POD2)


async def test_a_server_with_volumes_in_two_pods_is_a_409(locator):
    locator.add(VOLUME, "a", POD1)
    locator.add(VOLUME, "b", POD2)
    pin = placement.server_pin(locator)  # type: ignore[arg-type]
    doc = {"server": {"block_device_mapping_v2": [
        {"uuid": "a", "source_type": "volume"}, {"uuid": "b", "source_type": "volume"}]}}
    with pytest.raises(placement.VolumesInSeveralPods) as err:
        await pin(CTX, doc)
    assert err.value.status == 409 and "RegionOne, RegionTwo" in err.value.text


async def test_unknown_volumes_leave_a_server_to_the_scheduler(locator):
    pin = placement.server_pin(locator)  # type: ignore[arg-type]
    doc = {"server": {"block_device_mapping_v2": [{"uuid": "x", "source_type": "volume"}]}}
    assert await pin(CTX, doc) is None
    assert await pin(CTX, {"server": {"imageRef": "i"}}) is None
