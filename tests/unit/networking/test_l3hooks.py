"""Which network API answers trigger cross-pod L3 jobs, and where an external network lives."""

from __future__ import annotations

import json

import pytest

from tricircle.networking import l3hooks, routers
from tricircle.pods.registry import PodInfo

SETUP, FIP = routers.ROUTER_SETUP, l3hooks.FLOATINGIP


def _body(key: str, **doc: object) -> bytes:
    return json.dumps({key: doc}).encode()


@pytest.mark.parametrize(("method", "path", "status", "body", "expected"), [
    ("PUT", "/v2.0/routers/r1", 200, b"", [(SETUP, "r1")]),
    ("PUT", "/v2.0/routers/r1/add_router_interface", 200, b"", [(SETUP, "r1")]),
    ("PUT", "/v2.0/routers/r1/remove_router_interface", 200, b"", [(SETUP, "r1")]),
    ("DELETE", "/v2.0/routers/r1", 204, b"", [(SETUP, "r1")]),
    ("POST", "/v2.0/routers", 201,
     _body("router", id="r2", external_gateway_info={"network_id": "e"}), [(SETUP, "r2")]),
    ("POST", "/v2.0/routers", 201, _body("router", id="r2", external_gateway_info=None), []),
    ("POST", "/v2.0/floatingips", 201, _body("floatingip", id="f1"), [(FIP, "f1")]),
    ("PUT", "/v2.0/floatingips/f1", 200, b"", [(FIP, "f1")]),
    ("DELETE", "/v2.0/floatingips/f1?x=1", 204, b"", [(FIP, "f1")]),
    ("PUT", "/v2.0/routers/r1", 404, b"", []),
    ("GET", "/v2.0/routers/r1", 200, b"", []),
    ("PUT", "/v2.0/networks/n1", 200, b"", []),
    ("PUT", "/v2.0/routers/r1/tags/x", 200, b"", []),
])
def test_router_and_floating_ip_mutations_trigger_jobs(
        method: str, path: str, status: int, body: bytes,
        expected: list[tuple[str, str]]) -> None:
    assert l3hooks.triggered(method, path, status, body) == expected


def _pod(pid: str, region: str, az: str) -> PodInfo:
    return PodInfo(id=pid, region_name=region, az_name=az, pod_az_name="", dc_name="",
                   state="enabled", health="healthy")


PODS = [_pod("p1", "RegionOne", "az1"), _pod("p2", "RegionTwo", "az2")]


@pytest.mark.parametrize(("network", "pod"), [
    ({"id": "e", "tags": ["RegionTwo"]}, "p2"),
    ({"id": "e", "tags": ["other", "az1"]}, "p1"),
    ({"id": "e", "availability_zone_hints": ["az2"], "tags": []}, "p2"),
    ({"id": "e", "tags": ["tricircle-az:az2"]}, "p2"),   # hints kept by the gateway
])
def test_external_network_lives_in_the_pod_it_names(network: dict[str, object], pod: str) -> None:
    assert routers.external_pod(network, PODS) == pod


def test_external_network_naming_no_pod_is_a_permanent_failure() -> None:
    with pytest.raises(routers.ExternalNetworkUnplaced):
        routers.external_pod({"id": "e", "tags": ["nowhere"]}, PODS)
    assert routers.external_pod({"id": "e"}, PODS[:1]) == "p1"
