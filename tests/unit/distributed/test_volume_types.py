"""Volume types are the same by name in every pod; ids differ per pod."""

from __future__ import annotations

from typing import Any

from tricircle.distributed import volume_types as vt
from tricircle.pods.registry import PodInfo

POD1 = PodInfo("p1", "RegionOne", "az1", "az1", "", "enabled", "healthy")
POD2 = PodInfo("p2", "RegionTwo", "az2", "az2", "", "enabled", "healthy")
TOP = "11111111-1111-1111-1111-111111111111"
OTHER = "22222222-2222-2222-2222-222222222222"


def test_the_type_id_in_a_path_is_found_and_replaced():
    path = f"/types/{TOP}/extra_specs/tier?x=1"
    assert vt.type_id_in_path(path) == TOP
    assert vt.type_id_in_path(f"/abc/types/{TOP}") == TOP
    assert vt.with_type_id(path, OTHER) == f"/types/{OTHER}/extra_specs/tier?x=1"
    assert vt.type_id_in_path("/types") is None
    assert vt.type_id_in_path("/types/default") is None


class FakeIds(vt.TypeIds):
    def __init__(self, listings: dict[str, dict[str, str]]) -> None:
        self.listings = listings

    async def by_name(self, region: str) -> dict[str, str]:
        return self.listings[region]


async def test_a_top_id_becomes_the_types_name_where_the_pod_has_another_id():
    ids = FakeIds({"RegionOne": {"gold": TOP}, "RegionTwo": {"gold": OTHER}})
    assert await ids.for_pod([POD1, POD2], "RegionTwo", TOP) == "gold"
    assert await ids.for_pod([POD1, POD2], "RegionOne", TOP) == TOP
    assert await ids.for_pod([POD1, POD2], "RegionTwo", "gold") == "gold"  # names pass
    unknown = "33333333-3333-3333-3333-333333333333"
    assert await ids.for_pod([POD1, POD2], "RegionTwo", unknown) == unknown  # Cinder's 404


async def test_a_write_path_names_each_pods_own_id():
    ids: Any = FakeIds({"RegionOne": {"gold": TOP}, "RegionTwo": {"gold": OTHER}})
    path = f"/types/{TOP}/extra_specs"
    assert await vt._path_in(ids, "RegionTwo", path, "gold") == f"/types/{OTHER}/extra_specs"
    assert await vt._path_in(ids, "RegionTwo", "/types", "gold") == "/types"
    ids.listings["RegionTwo"] = {}
    assert await vt._path_in(ids, "RegionTwo", path, "gold") is None  # missing: a sync job


async def test_a_group_type_write_path_names_each_pods_own_id():
    ids: Any = FakeIds({"RegionOne": {"gold": TOP}, "RegionTwo": {"gold": OTHER}})
    ids.kind = vt.GROUP_TYPES
    path = f"/p/group_types/{TOP}/group_specs"
    assert await vt._path_in(ids, "RegionTwo", path, "gold") == \
        f"/p/group_types/{OTHER}/group_specs"
    # a volume type path is not a group type path, and the other way round
    assert vt.type_id_in_path(f"/group_types/{TOP}") is None
    assert vt.type_id_in_path(f"/types/{TOP}", vt.GROUP_TYPES) is None


def test_a_delete_of_the_type_itself_is_done_where_the_type_is_missing():
    itself = vt.VOLUME_TYPES.itself
    assert itself.search(f"/types/{TOP}")
    assert itself.search(f"/p/types/{TOP}/")
    assert not itself.search(f"/types/{TOP}/extra_specs/k")
    assert vt.GROUP_TYPES.itself.search(f"/p/group_types/{TOP}")
