"""Flavors and keypairs defined at the top, used by servers in both pods (real lab).

Each is checked where it really is, with connections straight to the pods.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import openstack
import pytest
from openstack import exceptions as os_exc

pytestmark = pytest.mark.lab
WAIT = 180
REGIONS = ("RegionOne", "RegionTwo")


@pytest.fixture(scope="module")
def pod_demo(lab: dict[str, Any]) -> Callable[[str], Any]:
    """pod_demo("RegionOne"): the demo user straight to that pod (keypairs are per user)."""
    cache: dict[str, Any] = {}

    def connect(region: str) -> Any:
        if region not in cache:
            cache[region] = openstack.connect(
                auth_url=lab["auth_url"], username="demo", password=lab.get("password"),
                project_name="demo", user_domain_name="Default",
                project_domain_name="Default", region_name=region)
        return cache[region]

    return connect


@pytest.fixture
def cleanup(demo: Any, admin: Any) -> Iterator[list[tuple[str, Any]]]:
    """(kind, resource) pairs deleted after the test through the gateway."""
    made: list[tuple[str, Any]] = []
    yield made
    servers = [r for kind, r in made if kind == "server"]
    for server in servers:
        demo.compute.delete_server(server, ignore_missing=True)
    for server in servers:
        try:
            demo.compute.wait_for_delete(server, wait=WAIT)
        except os_exc.SDKException:
            pass
    for kind, resource in made:
        if kind == "flavor":
            admin.compute.delete_flavor(resource, ignore_missing=True)
        elif kind == "keypair":
            demo.compute.delete_keypair(resource, ignore_missing=True)


def _boot_in_both(demo: Any, lab: dict[str, Any], cleanup: list[tuple[str, Any]],
                  **kw: Any) -> dict[str, Any]:
    booted = {}
    for region, az in zip(REGIONS, ("az1", "az2"), strict=True):
        server = demo.compute.create_server(
            name=f"fk-{uuid.uuid4().hex[:6]}", image_id=lab["image_id"], networks="none",
            availability_zone=az, **kw)
        cleanup.append(("server", server))
        booted[region] = server
    return {r: demo.compute.wait_for_server(s, wait=WAIT) for r, s in booted.items()}


def test_a_flavor_created_at_the_top_exists_in_both_pods_and_boots_there(
        admin, demo, lab, pod_admin, cleanup):
    flavor = admin.compute.create_flavor(name=f"tc-{uuid.uuid4().hex[:6]}", ram=64,
                                         vcpus=1, disk=1)
    cleanup.append(("flavor", flavor))

    for region in REGIONS:
        copy = pod_admin(region).compute.get_flavor(flavor.id)
        assert (copy.name, copy.ram, copy.vcpus, copy.disk) == (flavor.name, 64, 1, 1)

    servers = _boot_in_both(demo, lab, cleanup, flavor_id=flavor.id)
    for region, server in servers.items():
        assert server.status == "ACTIVE"
        assert pod_admin(region).compute.find_server(server.id) is not None


def test_flavor_extra_specs_and_deletion_reach_both_pods(admin, pod_admin, cleanup):
    flavor = admin.compute.create_flavor(name=f"tc-{uuid.uuid4().hex[:6]}", ram=64,
                                         vcpus=1, disk=1)
    cleanup.append(("flavor", flavor))
    admin.compute.create_flavor_extra_specs(flavor, {"hw:cpu_policy": "shared"})

    for region in REGIONS:
        specs = pod_admin(region).compute.fetch_flavor_extra_specs(flavor.id).extra_specs
        assert specs == {"hw:cpu_policy": "shared"}

    admin.compute.delete_flavor(flavor)
    for region in REGIONS:
        assert pod_admin(region).compute.find_flavor(flavor.id, ignore_missing=True) is None


def test_flavors_read_through_the_gateway_are_the_pods_flavors(demo, lab):
    flavor = demo.compute.get_flavor(lab["flavor_id"])
    assert flavor.name == lab["flavor_name"]
    assert lab["flavor_id"] in {f.id for f in demo.compute.flavors()}


def test_a_keypair_created_at_the_top_is_in_both_pods_and_used_by_servers(
        demo, lab, pod_demo, pod_admin, cleanup):
    keypair = demo.compute.create_keypair(name=f"tk-{uuid.uuid4().hex[:6]}")
    cleanup.append(("keypair", keypair))
    assert keypair.private_key

    for region in REGIONS:
        assert pod_demo(region).compute.get_keypair(keypair.name).public_key == \
            keypair.public_key

    servers = _boot_in_both(demo, lab, cleanup, flavor_id=lab["flavor_id"],
                            key_name=keypair.name)
    for region, server in servers.items():
        assert server.status == "ACTIVE"
        assert pod_admin(region).compute.get_server(server.id).key_name == keypair.name


def test_a_keypair_deleted_at_the_top_is_gone_from_both_pods(demo, pod_demo):
    keypair = demo.compute.create_keypair(name=f"tk-{uuid.uuid4().hex[:6]}")
    demo.compute.delete_keypair(keypair)
    for region in REGIONS:
        assert pod_demo(region).compute.find_keypair(keypair.name, ignore_missing=True) is None


def test_the_availability_zones_are_the_top_zones(demo):
    zones = {z.name for z in demo.compute.availability_zones()}
    assert zones == {"az1", "az2"}


def test_a_pod_that_missed_a_flavor_and_a_keypair_gets_them_before_a_boot(
        demo: Any, lab: dict[str, Any], pod_admin: Callable[[str], Any],
        pod_demo: Callable[[str], Any], cleanup: list[tuple[str, Any]]) -> None:
    # Defined straight in RegionOne only, as if RegionTwo had been down (or added
    # later) when they were created at the top.
    tag = uuid.uuid4().hex[:6]
    flavor = pod_admin("RegionOne").compute.create_flavor(
        name=f"missed-{tag}", id=f"missed-{tag}", vcpus=1, ram=64, disk=1)
    key = pod_demo("RegionOne").compute.create_keypair(name=f"missed-{tag}")
    try:
        server = demo.compute.create_server(
            name=f"missed-{tag}", flavor_id=flavor.id, image_id=lab["image_id"],
            networks="none", availability_zone="az2", key_name=key.name)
        cleanup.append(("server", server))
        server = demo.compute.wait_for_server(server, wait=WAIT)
        assert server.status == "ACTIVE"
        assert pod_admin("RegionTwo").compute.find_flavor(flavor.id, ignore_missing=True)
        assert pod_demo("RegionTwo").compute.find_keypair(key.name, ignore_missing=True)
    finally:
        for region in REGIONS:
            pod_demo(region).compute.delete_keypair(key.name, ignore_missing=True)
        cleanup.append(("flavor", flavor))
