from dataclasses import dataclass, field

import pytest

from tricircle.scheduler import errors
from tricircle.scheduler.capacity import flavor_resources, parse_candidates
from tricircle.scheduler.select import select_pod
from tricircle.scheduler.spec import Observations, PodCapacity, RequestSpec, parse_version

CAPS = {"compute": {"min_version": "2.1", "max_version": "2.104"}}


@dataclass(frozen=True)
class Pod:
    id: str
    region_name: str
    az_name: str
    state: str = "enabled"
    health: str = "healthy"
    capabilities: dict = field(default_factory=lambda: CAPS)


ONE = Pod("p1", "RegionOne", "az1")
TWO = Pod("p2", "RegionTwo", "az2")


def cap(mem: int, vcpu: int = 100, candidates: int = 1) -> PodCapacity:
    return PodCapacity(candidates=candidates, free={"MEMORY_MB": mem, "VCPU": vcpu})


def spec(**kw) -> RequestSpec:
    return RequestSpec(project_id="p", **kw)


def test_requested_az_picks_the_pod_of_that_az_even_when_another_has_more_room():
    obs = Observations(capacity={"p1": cap(10), "p2": cap(1000)})
    assert select_pod(spec(availability_zone="az1"), [ONE, TWO], obs) is ONE
    assert select_pod(spec(availability_zone="az2"), [ONE, TWO], obs) is TWO


def test_unknown_az_is_nova_s_400_az_not_available():
    with pytest.raises(errors.AvailabilityZoneNotAvailable) as exc:
        select_pod(spec(availability_zone="nowhere"), [ONE, TWO], Observations())
    assert exc.value.status == 400
    assert exc.value.text == "The requested availability zone is not available"


def test_spread_prefers_most_free_and_pack_the_least():
    obs = Observations(capacity={"p1": cap(500, 50), "p2": cap(1000, 100)})
    assert select_pod(spec(strategy="spread"), [ONE, TWO], obs) is TWO
    assert select_pod(spec(strategy="pack"), [ONE, TWO], obs) is ONE


def test_draining_disabled_and_unhealthy_pods_take_no_new_servers():
    draining = Pod("p1", "RegionOne", "az1", state="draining")
    sick = Pod("p3", "RegionThree", "az1", health="unhealthy")
    obs = Observations(capacity={"p1": cap(9999), "p2": cap(1)})
    assert select_pod(spec(), [draining, TWO, sick], obs) is TWO
    with pytest.raises(errors.NoValidPod):
        select_pod(spec(availability_zone="az1"), [draining, TWO, sick], obs)


def test_unknown_health_passes_so_new_pods_are_usable():
    fresh = Pod("p1", "RegionOne", "az1", health="unknown")
    assert select_pod(spec(), [fresh], Observations()) is fresh


def test_pod_without_allocation_candidates_is_never_chosen():
    obs = Observations(capacity={"p1": cap(0, candidates=0), "p2": cap(0, candidates=0)})
    with pytest.raises(errors.NoValidPod) as exc:
        select_pod(spec(), [ONE, TWO], obs)
    assert exc.value.text.startswith("No valid host was found.")


def test_binding_beats_capacity_but_not_draining():
    obs = Observations(capacity={"p1": cap(1), "p2": cap(1000)}, bound_pods=frozenset({"p1"}))
    assert select_pod(spec(), [ONE, TWO], obs) is ONE
    draining = Pod("p1", "RegionOne", "az1", state="draining")
    assert select_pod(spec(), [draining, TWO], obs) is TWO


def test_microversion_outside_every_pod_is_nova_s_406():
    old = Pod("p1", "RegionOne", "az1",
              capabilities={"compute": {"min_version": "2.1", "max_version": "2.60"}})
    assert select_pod(spec(microversion=(2, 90)), [old, TWO], Observations()) is TWO
    with pytest.raises(errors.VersionNotSupported) as exc:
        select_pod(spec(microversion=(2, 200)), [old, TWO], Observations())
    assert exc.value.status == 406
    assert exc.value.text == ("Version 2.200 is not supported by the API. "
                              "Minimum is 2.1 and maximum is 2.104.")


def test_ties_go_to_the_first_region_and_unknown_capacity_is_neutral():
    assert select_pod(spec(), [TWO, ONE], Observations()) is ONE
    obs = Observations(capacity={"p2": cap(5)})
    assert select_pod(spec(), [ONE, TWO], obs) is ONE


def test_flavor_resources_count_ephemeral_swap_and_skip_root_for_volume_boot():
    flavor = {"vcpus": 2, "ram": 512, "disk": 10, "OS-FLV-EXT-DATA:ephemeral": 5,
              "swap": 1500}
    assert flavor_resources(flavor) == {"VCPU": 2, "MEMORY_MB": 512, "DISK_GB": 17}
    assert flavor_resources({"vcpus": 1, "ram": 64, "disk": 1, "swap": ""},
                            boot_from_volume=True) == {"VCPU": 1, "MEMORY_MB": 64}


def test_parse_candidates_sums_free_capacity_over_providers():
    body = {"allocation_requests": [{}, {}],
            "provider_summaries": {
                "a": {"resources": {"VCPU": {"capacity": 4000, "used": 10},
                                    "MEMORY_MB": {"capacity": 1000, "used": 200}}},
                "b": {"resources": {"MEMORY_MB": {"capacity": 100, "used": 0}}}}}
    assert parse_candidates(body) == PodCapacity(2, {"VCPU": 3990, "MEMORY_MB": 900})


@pytest.mark.parametrize(("text", "parsed"), [("2.1", (2, 1)), ("2.104", (2, 104)),
                                               ("latest", None), (None, None)])
def test_parse_version(text, parsed):
    assert parse_version(text) == parsed


def test_a_server_joining_a_group_goes_to_the_pod_holding_the_group():
    one, two = ONE, TWO
    roomier_two = Observations(capacity={"p1": cap(100), "p2": cap(900)},
                               group_pods=frozenset({"p1"}))
    assert select_pod(spec(server_group="g"), [one, two], roomier_two) is one


def test_a_group_no_pod_knows_leaves_the_choice_to_capacity_and_the_pod_s_error():
    one, two = ONE, TWO
    obs = Observations(capacity={"p1": cap(100), "p2": cap(900)}, group_pods=None)
    assert select_pod(spec(server_group="g"), [one, two], obs) is two


def test_the_group_filter_applies_whatever_the_configured_filters():
    one, two = ONE, TWO
    obs = Observations(group_pods=frozenset({"p2"}))
    assert select_pod(spec(server_group="g"), [one, two], obs, filters=[]) is two


def test_network_zones_keep_the_server_where_its_networks_may_appear():
    obs = Observations(capacity={"p1": cap(10), "p2": cap(1000)})
    assert select_pod(spec(network_zones=("az1",)), [ONE, TWO], obs) is ONE
    with pytest.raises(errors.NoValidPod):
        select_pod(spec(network_zones=("",)), [ONE, TWO], obs)
