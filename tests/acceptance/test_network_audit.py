"""The networking audit against the lab (``POST /v1.0/audits``), pods checked directly.

Three top networks made through the gateway; copies made in the pods with the
gateway's own create protocol, then damaged behind its back in the pods:
a copy renamed (drifted -> renamed back), a copy deleted (vanished -> routing
row released), a marked copy of a top network with no row (orphan -> adopted),
a marked copy of a top id that no longer exists (orphan -> deleted). A subnet
and network deleted right after their server (the release job has not run yet) are
not a 409; the pod's DHCP port (central's reserved address) goes with them.
A pod away while a change is realised: the job retries (visible in /v1.0/jobs) and
converges when the pod is back.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from tests.acceptance.test_network_servers import WAIT, _wait
from tests.acceptance.test_network_surface import central_admin, network_conn

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def ndemo(lab: dict[str, Any], gateway: Any) -> Any:
    return network_conn(lab, gateway, "demo", "demo")


def _copy(gateway: Any, region: str, top: dict[str, Any]) -> str:
    """The gateway's bottom copy of top network `top` in `region` (its create protocol)."""
    from tricircle.api import keys
    from tricircle.networking import groups, plan
    from tricircle.networking.bottom import BottomNetworking, PodNeutron
    from tricircle.pods import registry

    async def make() -> str:
        app = gateway.app
        async with app[keys.DB].session() as s:
            pod = await registry.get_pod(s, region)
        neutron = PodNeutron(await app[keys.PODS].get(region),
                             await app[keys.SERVICE_AUTH].token(), pod)
        bottom = BottomNetworking(app[keys.DB], neutron, top["project_id"])
        body = plan.bottom_network_body(top, top["project_id"])
        made = await bottom.ensure("network", top["id"],
                                   lambda: groups.create(bottom, "networks", body))
        return made[0]

    return gateway.run(make())


def _audit(gateway: Any, admin: Any) -> dict[str, Any]:
    headers = {"X-Auth-Token": admin.auth_token}
    resp = requests.post(f"{gateway.url}/v1.0/audits", headers=headers, timeout=30)
    assert resp.status_code == 202, resp.text
    audit_id = resp.json()["audit"]["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        shown = requests.get(f"{gateway.url}/v1.0/audits/{audit_id}", headers=headers,
                             timeout=30).json()["audit"]
        if shown["status"] in ("succeeded", "failed"):
            assert shown["status"] == "succeeded", shown
            return shown["report"]  # type: ignore[no-any-return]
        time.sleep(1)
    raise AssertionError("the audit did not finish")


def test_audit_repairs_drift_vanished_copies_and_orphans(lab: dict[str, Any], gateway: Any,
                                                         ndemo: Any, admin: Any,
                                                         pod_admin: Any) -> None:
    central = central_admin(lab).network
    tops = [ndemo.network.create_network(name=f"na-{i}-{uuid.uuid4().hex[:6]}")
            for i in range(3)]
    drifted, vanished, adopted = (central.get(f"/networks/{t.id}").json()["network"]
                                  for t in tops)
    one, two = pod_admin("RegionOne").network, pod_admin("RegionTwo").network
    stray = str(uuid.uuid4())  # a top id central never had
    try:
        one.update_network(_copy(gateway, "RegionOne", drifted), name="renamed-in-the-pod")
        one.delete_network(_copy(gateway, "RegionOne", vanished))
        orphan = two.create_network(name="na-orphan", description=adopted["id"])
        two.set_tags(orphan, [adopted["id"]])
        garbage = two.create_network(name="na-garbage", description=stray)
        two.set_tags(garbage, [stray])

        report = _audit(gateway, admin)
        mine = {(f["top_id"], f["problem"], f["action"], f["done"])
                for f in report["findings"]
                if f["top_id"] in {drifted["id"], vanished["id"], adopted["id"], stray}}
        assert mine == {(drifted["id"], "drifted", "sync", True),
                        (vanished["id"], "vanished", "release", True),
                        (adopted["id"], "orphan", "adopt", True),
                        (stray, "orphan", "delete", True)}
        assert two.find_network(garbage.id) is None
        assert not gateway.routes(top_id=vanished["id"])
        [row] = gateway.routes(top_id=adopted["id"])
        assert (row.bottom_id, row.region_name) == (orphan.id, "RegionTwo")
        _wait(lambda: [n.name for n in one.networks() if drifted["id"] in (n.tags or [])]
              == [drifted["name"]], "drifted copy renamed back")
    finally:
        two.delete_network(stray, ignore_missing=True)
        for top in tops:
            ndemo.network.delete_network(top, ignore_missing=True)
    for region, top_id in (("RegionOne", drifted["id"]), ("RegionTwo", adopted["id"])):
        _wait(lambda region=region, top_id=top_id: not [
            n for n in pod_admin(region).network.networks() if top_id in (n.tags or [])],
            f"copy of {top_id} removed from {region} with its top network")


def test_subnet_deleted_right_after_its_server_is_not_a_conflict(lab: dict[str, Any],
                                                                 ndemo: Any,
                                                                 pod_admin: Any) -> None:
    net = ndemo.network.create_network(name=f"na-409-{uuid.uuid4().hex[:6]}")
    subnet = ndemo.network.create_subnet(network_id=net.id, cidr="10.76.0.0/24", ip_version=4)
    try:
        server = ndemo.compute.create_server(
            name=f"na-409-{uuid.uuid4().hex[:6]}", image_id=lab["image_id"],
            flavor_id=lab["flavor_id"], networks=[{"uuid": net.id}], availability_zone="az1")
        ndemo.compute.wait_for_server(server, wait=WAIT)
        one = pod_admin("RegionOne").network
        dhcp = f"tricircle-dhcp:RegionOne:{subnet.id}"
        [copy] = [s for s in one.subnets() if subnet.id in (s.tags or [])]
        [held] = [p for p in one.ports(name=dhcp)]  # the pod's DHCP address, central's
        assert copy.is_dhcp_enabled and copy.allocation_pools == [
            {"start": held.fixed_ips[0]["ip_address"], "end": held.fixed_ips[0]["ip_address"]}]
        ndemo.compute.delete_server(server)
        ndemo.compute.wait_for_delete(server, wait=WAIT)
        resp = ndemo.network.delete(f"/subnets/{subnet.id}")
        assert resp.status_code == 204, resp.text
        resp = ndemo.network.delete(f"/networks/{net.id}")
        assert resp.status_code == 204, resp.text
        _wait(lambda: not list(one.ports(name=dhcp)) and not [
            s for s in one.subnets() if subnet.id in (s.tags or [])], "pod copies removed")
    finally:
        ndemo.network.delete_network(net, ignore_missing=True)


def _pin_network(gateway: Any, region: str, url: str | None) -> dict[str, str]:
    """Point the gateway's `region` network endpoint at `url` (None: the catalog's);
    the endpoints it had."""
    from tricircle.api import keys

    async def pin() -> dict[str, str]:
        pods = gateway.app[keys.PODS]
        had = dict((await pods.get(region)).endpoints)
        pods.set_endpoints(region, {**had, "network": url} if url else had)
        return had

    return gateway.run(pin())


def test_a_pod_down_during_realisation_retries_and_converges(lab: dict[str, Any], gateway: Any,
                                                             ndemo: Any, admin: Any,
                                                             pod_admin: Any) -> None:
    top = ndemo.network.create_network(name=f"na-down-{uuid.uuid4().hex[:6]}")
    two = pod_admin("RegionTwo").network
    headers = {"X-Auth-Token": admin.auth_token}
    jobs_url = (f"{gateway.url}/v1.0/jobs?type=networking.sync"
                f"&resource_key=network:{top.id}")
    try:
        copy = _copy(gateway, "RegionTwo",
                     central_admin(lab).network.get(f"/networks/{top.id}").json()["network"])
        had = _pin_network(gateway, "RegionTwo", "http://127.0.0.1:9")  # nothing listens
        try:
            ndemo.network.update_network(top.id, name=top.name + "-renamed")

            def failed_once() -> bool:
                found = requests.get(jobs_url, headers=headers, timeout=30).json()["jobs"]
                return bool(found) and found[0]["attempts"] >= 1 \
                    and "unavailable" in (found[0]["last_error"] or "")

            _wait(failed_once, "the sync job failing while RegionTwo is away", timeout=60)
        finally:
            _pin_network(gateway, "RegionTwo", had["network"])
        _wait(lambda: two.get_network(copy).name == top.name + "-renamed",
              "the copy renamed once RegionTwo is back", timeout=90)
        [job] = requests.get(jobs_url, headers=headers, timeout=30).json()["jobs"]
        assert job["status"] == "succeeded" and job["attempts"] >= 2
    finally:
        ndemo.network.delete_network(top, ignore_missing=True)
    _wait(lambda: not [n for n in two.networks() if top.id in (n.tags or [])],
          "copy removed from RegionTwo with its top network")
