"""Volumes show the top id of their type."""

from tests.unit.distributed.test_volume_types import OTHER, POD1, POD2, TOP, FakeIds
from tricircle.volumes import type_ids


def test_type_ids_are_shown_from_3_63():
    assert not type_ids.shown({})
    assert not type_ids.shown({"OpenStack-API-Version": "volume 3.62"})
    assert type_ids.shown({"OpenStack-API-Version": "volume 3.63"})
    assert type_ids.shown({"OpenStack-API-Version": "volume latest"})
    assert not type_ids.shown({"OpenStack-API-Version": "volume foo"})


async def test_other_pods_ids_map_to_the_reference_pods_by_name():
    ids = FakeIds({"RegionOne": {"gold": TOP, "__DEFAULT__": "d1"},
                   "RegionTwo": {"gold": OTHER, "__DEFAULT__": "d2", "only-here": "x"}})
    assert await ids.top_ids([POD1, POD2]) == {OTHER: TOP, "d2": "d1"}


def test_a_merged_list_shows_top_ids():
    body = {"volumes": [{"id": "a", "volume_type_id": OTHER}, {"id": "b", "volume_type_id": TOP},
                        {"id": "c"}]}
    type_ids.map_listed(body, "volumes", {OTHER: TOP})
    assert [v.get("volume_type_id") for v in body["volumes"]] == [TOP, TOP, None]
