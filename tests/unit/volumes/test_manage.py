"""Which pod a manage call naming a host or an availability zone is for."""

from __future__ import annotations

from tricircle.pods.registry import PodInfo
from tricircle.volumes import manage


def _pod(region: str, az: str, state: str = "enabled") -> PodInfo:
    return PodInfo(id=region, region_name=region, az_name=az, pod_az_name=f"pod-{az}",
                   dc_name="", state=state, health="healthy")


def test_a_host_with_a_pool_is_its_host_and_backend():
    assert manage.host_of("r2-volume1@lab#lab") == "r2-volume1@lab"
    assert manage.host_of("r2-volume1") == "r2-volume1"
    assert manage.host_of("") is None and manage.host_of(None) is None


def test_a_host_matches_a_service_by_host_and_backend_or_by_host_alone():
    hosts = {"r2-volume1@lab", "r2-volume1@fast"}
    assert manage._matches("r2-volume1@lab", hosts)
    assert manage._matches("r2-volume1", hosts)
    assert not manage._matches("r2-volume1@slow", hosts)
    assert not manage._matches("r1-volume1", hosts)


def test_an_az_names_a_pod_only_when_one_pod_serves_it():
    one, two, three = _pod("RegionOne", "az1"), _pod("RegionTwo", "az2"), _pod("R3", "az2")
    assert manage.pod_of_az([one, two], "az2") is two
    assert manage.pod_of_az([one, two, three], "az2") is None  # the host decides
    assert manage.pod_of_az([one, _pod("R3", "az2", "disabled"), two], "az2") is two
    assert manage.pod_of_az([one, two], "nowhere") is None
    assert manage.pod_of_az([one, two], None) is None
