"""Servers through the gateway against the real lab, with openstacksdk.

Every server is checked where it really is (an admin connection straight to
the pod) and in the gateway's routing table.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from openstack import exceptions as os_exc

pytestmark = pytest.mark.lab
REGIONS = ("RegionOne", "RegionTwo")
WAIT = 180


def _name(tag: str) -> str:
    return f"cc-{tag}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def servers(demo: Any, pod_admin: Any) -> Iterator[list[Any]]:
    """Servers created by a test; deleted afterwards whatever happened (straight in
    the pods when the gateway cannot, so a failed run leaves nothing behind)."""
    made: list[Any] = []
    yield made
    for server in made:
        try:
            demo.compute.delete_server(server, ignore_missing=True)
        except os_exc.SDKException:
            _delete_in_pods(pod_admin, server.id)
    for server in made:
        try:
            demo.compute.wait_for_delete(server, wait=WAIT)
        except os_exc.SDKException:
            _delete_in_pods(pod_admin, server.id)


def _delete_in_pods(pod_admin: Any, server_id: str) -> None:
    for region in REGIONS:
        try:
            pod_admin(region).compute.delete_server(server_id, ignore_missing=True)
        except os_exc.SDKException:
            pass


def _boot(conn: Any, lab: dict[str, Any], made: list[Any], tag: str, **kw: Any) -> Any:
    server = conn.compute.create_server(name=_name(tag), image_id=lab["image_id"],
                                        flavor_id=kw.pop("flavor_id", lab["flavor_id"]),
                                        networks="none", **kw)
    made.append(server)
    return conn.compute.wait_for_server(server, wait=WAIT)


def _region_of(pod_admin: Any, server_id: str) -> str:
    found = [r for r in REGIONS
             if pod_admin(r).compute.find_server(server_id, ignore_missing=True) is not None]
    assert len(found) == 1, f"server {server_id} found in {found}"
    return found[0]


def _wait_status(conn: Any, server: Any, status: str) -> Any:
    """Wait until the server has `status` and no task in progress (a reboot keeps
    ACTIVE with task_state rebooting)."""
    deadline = time.monotonic() + WAIT
    while True:
        current = conn.compute.get_server(server.id)
        if current.status == status and not current.task_state:
            return current
        if current.status == "ERROR" or time.monotonic() > deadline:
            raise AssertionError(f"server {server.id} is {current.status}/"
                                 f"{current.task_state}, not {status}")
        time.sleep(0.5)


def _pod_servers_named(pod_admin: Any, name: str) -> list[Any]:
    return [s for r in REGIONS
            for s in pod_admin(r).compute.servers(all_projects=True, name=name)]


@pytest.mark.parametrize(("az", "region"), [("az1", "RegionOne"), ("az2", "RegionTwo")])
def test_server_in_an_az_lands_in_that_az_s_pod(demo, lab, gateway, pod_admin, servers,
                                                az, region):
    server = _boot(demo, lab, servers, az, availability_zone=az)
    assert server.status == "ACTIVE"
    assert server.availability_zone == az
    assert _region_of(pod_admin, server.id) == region
    [route] = gateway.routes(top_id=server.id)
    assert (route.bottom_id, route.region_name, route.project_id) == (
        server.id, region, lab["projects"]["demo"])
    assert all(link["href"].startswith(gateway.compute_url.rsplit("/v2.1", 1)[0])
               for link in server.links)
    bottom = pod_admin(region).compute.get_server(server.id)
    assert bottom.availability_zone == lab["regions"][region]["availability_zone"]


def _expected_by_capacity(pod_admin: Any, gateway: Any, flavor: Any) -> str:
    """The pod the scheduler should pick, computed from the pods' Placement now."""
    from tricircle.scheduler.capacity import candidates_query, flavor_resources, parse_candidates
    from tricircle.scheduler.select import select_pod
    from tricircle.scheduler.spec import Observations, RequestSpec

    @dataclass_pod
    class Pod:
        id: str
        region_name: str
        az_name: str
        state: str = "enabled"
        health: str = "healthy"
        capabilities: dict = None  # type: ignore[assignment]

    resources = flavor_resources(flavor.to_dict())
    observed = {}
    for region in REGIONS:
        resp = pod_admin(region).placement.get(
            "/allocation_candidates?resources=" + candidates_query(resources),
            microversion="1.36")
        observed[region] = parse_candidates(resp.json())
    pods = [Pod(r, r, "az1" if r == "RegionOne" else "az2") for r in REGIONS]
    spec = RequestSpec(project_id="p", resources=resources,
                       strategy=gateway.conf.scheduler.strategy)
    return select_pod(spec, pods, Observations(capacity=observed)).region_name


def dataclass_pod(cls: type) -> type:
    from dataclasses import dataclass
    return dataclass(frozen=True)(cls)


def test_without_az_placement_follows_free_capacity(demo, lab, gateway, pod_admin, servers):
    # make the pods differ: one server in RegionOne first
    _boot(demo, lab, servers, "fill", availability_zone="az1")
    flavor = pod_admin("RegionOne").compute.get_flavor(lab["flavor_id"])
    expected = _expected_by_capacity(pod_admin, gateway, flavor)
    server = _boot(demo, lab, servers, "anyaz")
    assert _region_of(pod_admin, server.id) == expected


def test_lifecycle_actions_through_the_gateway(demo, lab, servers):
    server = _boot(demo, lab, servers, "life", availability_zone="az1")
    shown = demo.compute.get_server(server.id)
    assert shown.name == server.name and shown.status == "ACTIVE"
    assert "tricircle_top_id" not in (shown.metadata or {})
    demo.compute.stop_server(server)
    _wait_status(demo, server, "SHUTOFF")
    demo.compute.start_server(server)
    _wait_status(demo, server, "ACTIVE")
    demo.compute.reboot_server(server, "SOFT")
    _wait_status(demo, server, "ACTIVE")
    demo.compute.pause_server(server)
    _wait_status(demo, server, "PAUSED")
    demo.compute.unpause_server(server)
    _wait_status(demo, server, "ACTIVE")
    demo.compute.lock_server(server)
    locked = demo.compute.get("/servers/" + server.id,
                              headers={"OpenStack-API-Version": "compute 2.9"}).json()
    assert locked["server"]["locked"] is True
    demo.compute.unlock_server(server)
    demo.compute.set_server_metadata(server, k="v")
    assert demo.compute.get_server_metadata(server).metadata == {"k": "v"}


def test_action_error_passes_through_in_nova_s_dialect(demo, lab, servers):
    server = _boot(demo, lab, servers, "err", availability_zone="az2")
    resp = demo.compute.post(f"/servers/{server.id}/action", json={"os-start": None})
    assert resp.status_code == 409
    body = resp.json()
    assert body["conflictingRequest"]["message"].startswith("Cannot 'start' instance")
    assert resp.headers["X-OpenStack-Request-ID"].startswith("req-")


def test_compute_request_id_finds_the_instance_action(demo, lab, servers):
    """As tempest does: the create's X-Compute-Request-ID names its instance action."""
    resp = demo.compute.post("/servers", json={"server": {
        "name": _name("reqid"), "imageRef": lab["image_id"], "flavorRef": lab["flavor_id"],
        "networks": "none"}}, headers={"OpenStack-API-Version": "compute 2.37"})
    assert resp.status_code == 202, resp.text
    server = demo.compute.get_server(resp.json()["server"]["id"])
    servers.append(server)
    _wait_status(demo, server, "ACTIVE")  # the action is recorded once scheduled
    request_id = resp.headers["X-Compute-Request-ID"]
    action = demo.compute.get(f"/servers/{server.id}/os-instance-actions/{request_id}")
    assert action.status_code == 200, action.text
    assert action.json()["instanceAction"]["action"] == "create"


@pytest.fixture(scope="module")
def second_flavor(lab: dict[str, Any], pod_admin: Any) -> Iterator[str]:
    """A second flavor with the same id in both pods (resize needs another flavor)."""
    flavor_id = "cc-resize"
    made = []
    for region in REGIONS:
        conn = pod_admin(region)
        if conn.compute.find_flavor(flavor_id, ignore_missing=True) is None:
            conn.compute.create_flavor(id=flavor_id, name="cc.resize", ram=128, vcpus=1, disk=1)
            made.append(conn)
    yield flavor_id
    for conn in made:
        conn.compute.delete_flavor(flavor_id, ignore_missing=True)


def _resize_outcome(conn: Any, server_id: str) -> str:
    """VERIFY_RESIZE, or "failed" when the pod's resize action ended in error (read
    through the gateway's os-instance-actions sub-resource)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        current = conn.compute.get_server(server_id)
        if current.status in ("VERIFY_RESIZE", "ERROR"):
            return str(current.status)
        actions = conn.compute.get(f"/servers/{server_id}/os-instance-actions").json()
        resize = [a for a in actions["instanceActions"] if a["action"] == "resize"]
        if resize and resize[0].get("message") == "Error" and not current.task_state:
            return "failed"
        time.sleep(1)
    raise AssertionError(f"resize of {server_id} did not finish")


def test_resize_and_confirm(demo, lab, servers, second_flavor):
    server = _boot(demo, lab, servers, "resize", availability_zone="az1")
    demo.compute.resize_server(server, second_flavor)
    outcome = _resize_outcome(demo, server.id)
    if outcome == "failed":
        pytest.skip("the pod could not resize (one compute host per pod and "
                    "allow_resize_to_same_host unset in the lab)")
    assert outcome == "VERIFY_RESIZE"
    demo.compute.confirm_server_resize(server)
    resized = _wait_status(demo, server, "ACTIVE")
    assert resized.flavor.get("original_name") == "cc.resize" or \
        resized.flavor.get("id") == second_flavor


def test_delete_removes_the_server_and_its_routing_row(demo, lab, gateway, pod_admin, servers):
    server = _boot(demo, lab, servers, "del", availability_zone="az2")
    demo.compute.delete_server(server)
    demo.compute.wait_for_delete(server, wait=WAIT)
    assert pod_admin("RegionTwo").compute.find_server(server.id, ignore_missing=True) is None
    deadline = time.monotonic() + 30
    while gateway.routes(top_id=server.id) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert gateway.routes(top_id=server.id) == []
    with pytest.raises(os_exc.NotFoundException):
        demo.compute.get_server(server.id)


def test_another_tenant_gets_404_and_admin_sees_the_server(demo, alt, admin, lab, servers):
    server = _boot(demo, lab, servers, "priv", availability_zone="az1")
    for call in (lambda: alt.compute.get_server(server.id),
                 lambda: alt.compute.delete_server(server.id, ignore_missing=False),
                 lambda: alt.compute.stop_server(server.id)):
        with pytest.raises(os_exc.NotFoundException):
            call()
    resp = alt.compute.get(f"/servers/{server.id}")
    assert resp.json() == {"itemNotFound": {
        "code": 404, "message": f"Instance {server.id} could not be found."}}
    assert admin.compute.get_server(server.id).id == server.id
    assert demo.compute.get_server(server.id).status == "ACTIVE"


def test_draining_pod_sends_new_servers_elsewhere(demo, lab, gateway, pod_admin, servers):
    gateway.tricircle("pod", "update", "RegionOne", "--state", "draining")
    try:
        for _ in range(2):
            server = _boot(demo, lab, servers, "drain")
            assert _region_of(pod_admin, server.id) == "RegionTwo"
        resp = demo.compute.post("/servers", json={"server": {
            "name": _name("drain-az1"), "imageRef": lab["image_id"],
            "flavorRef": lab["flavor_id"], "networks": "none", "availability_zone": "az1"}})
        assert resp.status_code == 400
        assert resp.json()["badRequest"]["message"].startswith("No valid host was found.")
    finally:
        gateway.tricircle("pod", "update", "RegionOne", "--state", "enabled")


def _post_raw(conn: Any, body: bytes) -> Any:
    return conn.compute.post("/servers", data=body,
                             headers={"Content-Type": "application/json"})


def _server_body(lab: dict[str, Any], name: str, **over: Any) -> bytes:
    server = {"name": name, "imageRef": lab["image_id"], "flavorRef": lab["flavor_id"],
              "networks": "none", **over}
    return json.dumps({"server": server}).encode()


BAD_INPUT = {
    "malformed-json": (lambda lab, n: b'{"server": {"name": "' + n.encode(), 400),
    "wrong-types": (lambda lab, n: _server_body(lab, n, min_count="x"), 400),
    "unknown-flavor": (lambda lab, n: _server_body(lab, n, flavorRef="no-such-flavor"), 400),
    "unknown-image": (lambda lab, n: _server_body(lab, n, imageRef=str(uuid.uuid4())), 400),
    "unknown-az": (lambda lab, n: _server_body(lab, n, availability_zone="az-nowhere"), 400),
    "two-megabytes": (lambda lab, n: _server_body(lab, n, user_data="A" * 2_000_000), 413),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_a_nova_4xx_and_leaves_nothing_behind(demo, lab, gateway, pod_admin,
                                                           case):
    make, status = BAD_INPUT[case]
    name = _name(case)
    before = {r.id for r in gateway.routes(project_id=lab["projects"]["demo"])}
    resp = _post_raw(demo, make(lab, name))
    assert resp.status_code == status, resp.text
    fault = resp.json()
    [(kind, detail)] = fault.items()
    assert kind == ("badRequest" if status == 400 else "overLimit")
    assert detail["code"] == status and detail["message"]
    time.sleep(1)
    after = {r.id for r in gateway.routes(project_id=lab["projects"]["demo"])}
    assert after <= before, "a routing row was left behind"
    assert _pod_servers_named(pod_admin, name) == []


def test_another_tenant_s_server_id_in_an_action_is_404(alt, demo, lab, servers):
    server = _boot(demo, lab, servers, "owner", availability_zone="az2")
    resp = alt.compute.post(f"/servers/{server.id}/action", json={"os-stop": None})
    assert resp.status_code == 404
    assert "itemNotFound" in resp.json()
    assert demo.compute.get_server(server.id).status == "ACTIVE"


def test_project_level_calls_and_unknown_urls_reach_a_pod(demo):
    resp = demo.compute.get("/limits")
    assert resp.status_code == 200 and "absolute" in resp.json()["limits"]
    resp = demo.compute.get("/os-no-such-api")
    assert resp.status_code == 404
    resp = demo.compute.put("/servers", json={})
    assert resp.status_code == 404  # Nova's unrouted-method page, not a 405 of ours


def test_version_documents_and_microversions(demo, gateway):
    import requests

    for path in ("/compute/", "/compute/v2.1/", "/compute/v2.1"):
        resp = requests.get(gateway.url + path, timeout=10)
        assert resp.status_code == 200, path
    doc = requests.get(gateway.url + "/compute/v2.1/", timeout=10).json()["version"]
    assert doc["min_version"] == "2.1" and doc["version"] == "2.104"
    assert doc["links"][0]["href"] == gateway.compute_url + "/"
    resp = demo.compute.get("/servers/detail?limit=1",
                            headers={"OpenStack-API-Version": "compute 2.79"})
    assert resp.headers["OpenStack-API-Version"] == "compute 2.79"
    resp = demo.compute.get("/limits", headers={"OpenStack-API-Version": "compute 9.99"})
    assert resp.status_code == 406 and "computeFault" in resp.json()
    for path in ("/servers/detail?limit=1", "/limits", "/os-keypairs"):  # list, pass-through
        resp = demo.compute.get(path, headers={"OpenStack-API-Version": "compute latest"})
        assert resp.headers["OpenStack-API-Version"] == f"compute {doc['version']}", path


SUB_RESOURCES = ["", "/metadata", "/ips", "/os-interface", "/os-instance-actions",
                 "/diagnostics", "/os-server-password", "/os-volume_attachments", "/tags",
                 "/topology", "/migrations", "/no-such-sub-resource"]


def test_sub_resources_answer_exactly_as_the_pod_does(admin, demo, lab, gateway, pod_admin,
                                                      servers):
    server = _boot(demo, lab, servers, "subs", availability_zone="az2")
    pod = pod_admin("RegionTwo")
    pod_root = lab["regions"]["RegionTwo"]["compute"].rsplit("/v2.1", 1)[0]
    gw_root = gateway.compute_url.rsplit("/v2.1", 1)[0]
    headers = {"OpenStack-API-Version": "compute 2.79"}
    for sub in SUB_RESOURCES:
        path = f"/servers/{server.id}{sub}"
        via = admin.compute.get(path, headers=headers)
        direct = pod.compute.get(path, headers=headers)
        assert via.status_code == direct.status_code, sub
        assert via.headers.get("OpenStack-API-Version") == \
            direct.headers.get("OpenStack-API-Version"), sub
        if "json" in direct.headers.get("Content-Type", "") and sub != "/os-instance-actions":
            # the lab's pod AZ names equal the top ones: only hrefs change
            expected = direct.text.replace(pod_root, gw_root)
            assert json.loads(via.text) == _without_marker(json.loads(expected)), sub


def _without_marker(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _without_marker(v) for k, v in doc.items() if k != "tricircle_top_id"}
    if isinstance(doc, list):
        return [_without_marker(v) for v in doc]
    return doc


def test_legacy_project_id_urls_reach_the_server(demo, lab, gateway, servers):
    server = _boot(demo, lab, servers, "legacy", availability_zone="az1")
    project = lab["projects"]["demo"]
    resp = demo.compute.get(f"/{project}/servers/{server.id}")
    assert resp.status_code == 200
    links = [link["href"] for link in resp.json()["server"]["links"]]
    assert links[0] == f"{gateway.compute_url}/{project}/servers/{server.id}"
    assert links[1] == f"{gateway.compute_url.rsplit('/v2.1', 1)[0]}/{project}/servers/{server.id}"
    resp = demo.compute.post(f"/{project}/servers/{server.id}/action", json={"os-stop": None})
    assert resp.status_code == 202
    _wait_status(demo, server, "SHUTOFF")


def test_servers_joining_a_server_group_land_in_the_group_s_pod(demo, lab, pod_admin,
                                                                 servers):
    group = demo.compute.create_server_group(name=_name("grp"), policies=["affinity"])
    try:
        home = next(r for r in REGIONS
                    if pod_admin(r).compute.find_server_group(group.id, ignore_missing=True,
                                                              all_projects=True))
        for i in range(2):
            server = _boot(demo, lab, servers, f"grp{i}", scheduler_hints={"group": group.id})
            assert _wait_status(demo, server, "ACTIVE").status == "ACTIVE"
            assert _region_of(pod_admin, server.id) == home
    finally:
        for server in servers:
            demo.compute.delete_server(server, ignore_missing=True)
            demo.compute.wait_for_delete(server, wait=WAIT)
        demo.compute.delete_server_group(group, ignore_missing=True)
