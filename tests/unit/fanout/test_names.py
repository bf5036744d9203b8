from datetime import datetime

from tricircle.fanout import names
from tricircle.pods.registry import PodInfo


def pod(region, created):
    return PodInfo("id-" + region, region, "", "", "", "enabled", "healthy",
                   created_at=datetime(2026, 1, created))


def test_names_carry_their_region_only_when_several_pods_serve():
    assert names.Qualifier(2)("RegionOne", "compute1") == "compute1@RegionOne"
    assert names.Qualifier(1)("RegionOne", "compute1") == "compute1"
    assert names.Qualifier(2)("RegionOne", None) is None


def test_split_understands_qualified_and_bare_names():
    regions = ["RegionOne", "RegionTwo"]
    assert names.split("compute1@RegionTwo", regions) == ("RegionTwo", "compute1")
    assert names.split("compute1", regions) == (None, "compute1")
    assert names.split("user@example", regions) == (None, "user@example")


def test_slots_follow_creation_order_so_adding_a_pod_keeps_the_others():
    before = names.slots([pod("RegionB", 1), pod("RegionA", 2)])
    after = names.slots([pod("RegionB", 1), pod("RegionA", 2), pod("Region0", 3)])
    assert before == {"RegionB": 1, "RegionA": 2}
    assert after == {"RegionB": 1, "RegionA": 2, "Region0": 3}


def test_integer_ids_round_trip_and_uuids_pass():
    top = names.translate_id(7, 2)
    assert top == 7002 and names.bottom_int_id(7002) == (7, 2)
    assert names.translate_id("7", 2) == "7002"
    assert names.translate_id("0b5d2c72-12cc", 2) == "0b5d2c72-12cc"
