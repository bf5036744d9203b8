"""Volumes are weighed on the pods' Cinder pools."""

import pytest

from tests.unit.scheduler.test_select import ONE, TWO, spec
from tricircle.scheduler import errors
from tricircle.scheduler.capacity import VOLUME_GB, CapacityUnknown, parse_pools
from tricircle.scheduler.select import select_pod
from tricircle.scheduler.spec import Observations


def _pools(*free: object) -> dict:
    return {"pools": [{"name": f"h@b#{i}", "capabilities": {"free_capacity_gb": f}}
                      for i, f in enumerate(free)]}


def test_pools_that_hold_the_volume_are_candidates_and_free_space_adds_up():
    found = parse_pools(_pools(5, 40, "infinite"), 10)
    assert found.candidates == 2 and found.free == {VOLUME_GB: 45}
    assert parse_pools(_pools(5), 10).candidates == 0
    with pytest.raises(CapacityUnknown):
        parse_pools({"error": 1}, 1)


def test_a_volume_goes_to_the_pod_with_the_most_free_space_or_the_least_to_pack():
    obs = Observations(capacity={"p1": parse_pools(_pools(100), 1),
                                 "p2": parse_pools(_pools(900), 1)})
    volume = {"resources": {VOLUME_GB: 1}}
    assert select_pod(spec(**volume), [ONE, TWO], obs) is TWO
    assert select_pod(spec(strategy="pack", **volume), [ONE, TWO], obs) is ONE


def test_no_pool_with_room_means_no_valid_pod():
    obs = Observations(capacity={"p1": parse_pools(_pools(1), 50),
                                 "p2": parse_pools(_pools(2), 50)})
    with pytest.raises(errors.NoValidPod):
        select_pod(spec(resources={VOLUME_GB: 50}), [ONE, TWO], obs)


def test_a_volume_goes_where_the_projects_servers_are_rather_than_most_room():
    obs = Observations(capacity={"p1": parse_pools(_pools(100), 1),
                                 "p2": parse_pools(_pools(900), 1)},
                       project_servers={"p1": 2})
    weighers = ["binding", "affinity", "image", "capacity"]
    volume = spec(surface="volume", resources={VOLUME_GB: 1})
    assert select_pod(volume, [ONE, TWO], obs, weighers=weighers) is ONE
    # a server is not pulled by the project's servers, and a binding still wins
    assert select_pod(spec(resources={VOLUME_GB: 1}), [ONE, TWO], obs,
                      weighers=weighers) is TWO
    bound = Observations(capacity=obs.capacity, project_servers={"p1": 2},
                         bound_pods=frozenset({"p2"}))
    assert select_pod(volume, [ONE, TWO], bound, weighers=weighers) is TWO


def test_a_server_goes_where_the_projects_volumes_are_rather_than_most_room():
    obs = Observations(capacity={"p1": parse_pools(_pools(100), 1),
                                 "p2": parse_pools(_pools(900), 1)},
                       project_volumes={"p1": 1})
    weighers = ["binding", "affinity", "image", "capacity"]
    server = spec(resources={VOLUME_GB: 1})
    assert select_pod(server, [ONE, TWO], obs, weighers=weighers) is ONE
    # a volume is not pulled by the project's volumes, and a binding still wins
    assert select_pod(spec(surface="volume", resources={VOLUME_GB: 1}), [ONE, TWO], obs,
                      weighers=weighers) is TWO
    bound = Observations(capacity=obs.capacity, project_volumes={"p1": 1},
                         bound_pods=frozenset({"p2"}))
    assert select_pod(server, [ONE, TWO], bound, weighers=weighers) is TWO
