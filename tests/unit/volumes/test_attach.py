"""An attachment needs the volume and the server in one pod."""

from __future__ import annotations

import json

import pytest

from tests.unit.volumes.conftest import CTX, POD1, POD2
from tricircle.resources import VOLUME
from tricircle.volumes import attach


def _body(volume: str) -> bytes:
    return json.dumps({"volumeAttachment": {"volumeId": volume}}).encode()


async def test_a_volume_of_another_pod_is_a_409_saying_where_each_one_is(locator):
    locator.add(VOLUME, "vol", POD2)
    with pytest.raises(attach.VolumeInAnotherPod) as err:
        await attach.check_same_pod(locator, CTX, "vm", POD1, _body("vol"))  # type: ignore
    assert err.value.status == 409
    assert "az2 (pod RegionTwo)" in err.value.text and "az1 (pod RegionOne)" in err.value.text


async def test_same_pod_unknown_volume_and_bad_bodies_pass_to_nova(locator):
    locator.add(VOLUME, "vol", POD1)
    for body in (_body("vol"), _body("unknown"), b"{bad", b'{"volumeAttachment": 1}'):
        await attach.check_same_pod(locator, CTX, "vm", POD1, body)  # type: ignore[arg-type]
