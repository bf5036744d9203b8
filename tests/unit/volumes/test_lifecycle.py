"""Restores into an existing volume stay in the backup's pod."""

from __future__ import annotations

import json

import pytest

from tests.unit.volumes.conftest import CTX, POD1, POD2
from tricircle.resources import BACKUP, VOLUME
from tricircle.volumes import lifecycle


async def test_a_restore_into_a_volume_of_another_pod_is_a_409(locator):
    locator.add(BACKUP, "bk", POD2)
    locator.add(VOLUME, "vol", POD1)
    backup = await locator.find(BACKUP, "bk", CTX)
    body = json.dumps({"restore": {"volume_id": "vol"}}).encode()
    with pytest.raises(lifecycle.RestoreToAnotherPod) as err:
        await lifecycle.check_restore_target(locator, CTX, backup, body)  # type: ignore
    assert err.value.status == 409 and "RegionTwo" in err.value.text


async def test_a_restore_to_a_new_volume_or_the_same_pod_passes(locator):
    locator.add(BACKUP, "bk", POD2)
    locator.add(VOLUME, "vol", POD2)
    backup = await locator.find(BACKUP, "bk", CTX)
    for body in (b'{"restore": {}}', json.dumps({"restore": {"volume_id": "vol"}}).encode(),
                 None, b"not json"):
        await lifecycle.check_restore_target(locator, CTX, backup, body)  # type: ignore


async def test_a_retype_to_a_top_type_id_names_the_type_in_a_pod_with_another_id(locator):
    from tests.unit.distributed.test_volume_types import OTHER, TOP, FakeIds

    locator.add(VOLUME, "vol", POD2)
    volume = await locator.find(VOLUME, "vol", CTX)
    ids = FakeIds({"RegionOne": {"gold": TOP}, "RegionTwo": {"gold": OTHER}})
    body = json.dumps({"os-retype": {"new_type": TOP, "migration_policy": "never"}}).encode()
    sent = json.loads(await lifecycle.retype_body(ids, [POD1, POD2], volume, body) or b"")
    assert sent == {"os-retype": {"new_type": "gold", "migration_policy": "never"}}
    other = b'{"os-extend": {"new_size": 2}}'
    assert await lifecycle.retype_body(ids, [POD1, POD2], volume, other) == other
