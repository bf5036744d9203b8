"""Server create, show, actions, delete and bad input through the gateway."""

from __future__ import annotations

import json

from tests.functional.compute.conftest import P1, P2
from tricircle.resources import SERVER

MARKER = SERVER.marker.key  # type: ignore[union-attr]


async def _created(gw, **kw) -> str:
    resp = await gw.create(**kw)
    assert resp.status == 202, await resp.text()
    return (await resp.json())["server"]["id"]


async def test_create_in_az2_lands_in_region_two_with_the_pod_s_az_and_a_marker(gateway):
    resp = await gateway.create(az="az2")
    assert resp.status == 202
    body = await resp.json()
    sid = body["server"]["id"]
    two = gateway.pods["RegionTwo"]
    assert sid in two.servers and not gateway.pods["RegionOne"].creates
    sent = two.creates[0]["server"]
    assert sent["availability_zone"] == "zone-two"
    assert MARKER in sent["metadata"]
    [route] = await gateway.routes()
    assert (route.top_id, route.bottom_id, route.region_name, route.project_id) == (
        sid, sid, "RegionTwo", P1)
    gw = str(gateway.client.make_url("/compute"))
    assert resp.headers["location"] == f"{gw}/v2.1/servers/{sid}"
    assert [link["href"] for link in body["server"]["links"]] == [
        f"{gw}/v2.1/servers/{sid}", f"{gw}/servers/{sid}"]
    # the gateway's request id; the compute one is the id the pod recorded the call under
    assert resp.headers["X-OpenStack-Request-ID"].startswith("req-")
    assert not resp.headers["X-OpenStack-Request-ID"].startswith("req-pod")
    assert resp.headers["X-Compute-Request-ID"].startswith("req-pod-")
    assert two.headers_seen[-1]["X-OpenStack-Request-ID"] == resp.headers[
        "X-OpenStack-Request-ID"]


async def test_create_in_az1_translates_to_nova_default_az(gateway):
    await _created(gateway, az="az1")
    assert gateway.pods["RegionOne"].creates[0]["server"]["availability_zone"] == "nova"


async def test_create_without_az_goes_where_placement_has_most_room(gateway):
    gateway.pods["RegionOne"].free_ram = 1000
    gateway.pods["RegionTwo"].free_ram = 5000
    sid = await _created(gateway)
    assert sid in gateway.pods["RegionTwo"].servers
    assert "availability_zone" not in gateway.pods["RegionTwo"].creates[0]["server"]
    placement_calls = [c for p in gateway.pods.values() for c in p.calls
                       if "allocation_candidates" in c]
    assert len(placement_calls) == 2
    assert "resources=DISK_GB:1,MEMORY_MB:64,VCPU:1" in placement_calls[0].replace("%3A", ":") \
        .replace("%2C", ",")


async def test_draining_pod_takes_no_new_servers(gateway):
    gateway.pods["RegionOne"].free_ram = 9000
    await gateway.set_pod("RegionOne", state="draining")
    sid = await _created(gateway)
    assert sid in gateway.pods["RegionTwo"].servers


async def test_no_pod_with_room_is_nova_s_no_valid_host(gateway):
    for pod in gateway.pods.values():
        pod.free_ram = 1
    resp = await gateway.create()
    assert resp.status == 400
    body = await resp.json()
    assert body["badRequest"]["message"].startswith("No valid host was found.")
    assert resp.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    assert await gateway.routes() == []


async def test_unknown_az_is_400_and_leaves_nothing(gateway):
    resp = await gateway.create(az="nowhere")
    assert resp.status == 400
    assert (await resp.json()) == {"badRequest": {
        "code": 400, "message": "The requested availability zone is not available"}}
    assert await gateway.routes() == []
    assert all(not p.creates for p in gateway.pods.values())


async def test_pod_refusal_passes_through_and_releases_the_reservation(gateway):
    resp = await gateway.create(flavorRef="nope")
    assert resp.status == 400
    assert (await resp.json())["badRequest"]["message"] == "Flavor nope could not be found."
    assert resp.headers["OpenStack-API-Version"] == "compute 2.1"
    assert await gateway.routes() == []


async def test_malformed_json_and_missing_server_are_400_without_placement(gateway):
    resp = await gateway.create(raw=b'{"server": ')
    assert resp.status == 400
    assert await resp.json() == {"badRequest": {"code": 400,
                                                "message": "Malformed request body"}}
    resp = await gateway.create(raw=b'{"srv": {}}')
    assert resp.status == 400
    assert "'server' is a required property" in (await resp.json())["badRequest"]["message"]
    resp = await gateway.create(raw=b'{"server": "x"}')
    assert resp.status == 400
    assert all(p.calls == [] for p in gateway.pods.values())
    assert await gateway.routes() == []


async def test_wrong_types_are_refused_by_the_pod_and_leave_nothing(gateway):
    resp = await gateway.create(name="", availability_zone=5)
    assert resp.status == 400
    assert "Invalid input for field/attribute name" in (await resp.json())["badRequest"][
        "message"]
    assert await gateway.routes() == []


async def test_two_megabyte_body_is_413_in_nova_format(gateway):
    resp = await gateway.create(raw=b'{"server": {"name": "' + b"x" * 2_000_000 + b'"}}')
    assert resp.status == 413
    assert "overLimit" in await resp.json()
    assert await gateway.routes() == []


async def test_show_rewrites_links_translates_az_and_hides_the_marker(gateway):
    sid = await _created(gateway, az="az2", metadata={"k": "v"})
    resp = await gateway.call("GET", f"/compute/v2.1/servers/{sid}",
                              headers={"OpenStack-API-Version": "compute 2.79"})
    assert resp.status == 200
    server = (await resp.json())["server"]
    assert server["metadata"] == {"k": "v"}
    assert server["OS-EXT-AZ:availability_zone"] == "az2"
    gw = str(gateway.client.make_url("/compute"))
    assert server["links"][1]["href"] == f"{gw}/servers/{sid}"
    assert server["flavor"]["links"][0]["href"] == f"{gw}/flavors/42"
    seen = gateway.pods["RegionTwo"].headers_seen[-1]
    assert seen["OpenStack-API-Version"] == "compute 2.79"
    assert seen["X-Auth-Token"] == P1
    meta = await gateway.call("GET", f"/compute/v2.1/servers/{sid}/metadata")
    assert await meta.json() == {"metadata": {"k": "v"}}


async def test_another_project_gets_nova_s_404_and_admin_sees_it(gateway):
    sid = await _created(gateway)
    resp = await gateway.call("GET", f"/compute/v2.1/servers/{sid}", token=P2)
    assert resp.status == 404
    assert await resp.json() == {"itemNotFound": {
        "code": 404, "message": f"Instance {sid} could not be found."}}
    assert resp.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    resp = await gateway.call("POST", f"/compute/v2.1/servers/{sid}/action", token=P2,
                              json={"os-stop": None})
    assert resp.status == 404
    resp = await gateway.call("GET", f"/compute/v2.1/servers/{sid}", token="admin")
    assert resp.status == 200


async def test_actions_pass_through_including_pod_errors(gateway):
    sid = await _created(gateway)
    resp = await gateway.call("POST", f"/compute/v2.1/servers/{sid}/action",
                              json={"os-stop": None})
    assert resp.status == 202
    resp = await gateway.call("POST", f"/compute/v2.1/servers/{sid}/action",
                              json={"os-start": None})
    assert resp.status == 409
    assert "conflictingRequest" in await resp.json()


async def test_delete_keeps_the_row_until_the_pod_confirms_then_releases_it(gateway):
    sid = await _created(gateway)
    resp = await gateway.call("DELETE", f"/compute/v2.1/servers/{sid}")
    assert resp.status == 204
    assert len(await gateway.routes()) == 1
    await gateway.run_jobs()
    assert await gateway.routes() == []
    resp = await gateway.call("GET", f"/compute/v2.1/servers/{sid}")
    assert resp.status == 404


async def test_legacy_project_url_is_routed(gateway):
    sid = await _created(gateway, path=f"/compute/v2.1/{P1}/servers")
    resp = await gateway.call("GET", f"/compute/v2.1/{P1}/servers/{sid}")
    assert resp.status == 200
    assert gateway.pods["RegionOne"].calls[-1] == f"GET /v2.1/{P1}/servers/{sid}"


async def test_pod_unreachable_during_create_leaves_a_reservation_the_repair_resolves(gateway):
    gateway.pods["RegionOne"].hang_create = True
    resp = await gateway.create(az="az1")
    assert resp.status == 503
    assert "serviceUnavailable" in await resp.json()
    [route] = await gateway.routes()
    assert route.bottom_id is None
    gateway.conf.set_override("request_timeout", 1.0, group="pods")
    await gateway.run_jobs()
    # the lease (timeout + margin) is not over: nothing repaired yet
    assert len(await gateway.routes()) == 1
    from sqlalchemy import update

    from tricircle.db.clock import utc_after
    from tricircle.db.models import Routing
    async with gateway.db.session() as s:
        await s.execute(update(Routing).values(created_at=utc_after(-3600)))
    await gateway.run_jobs()
    # nothing carries the marker in the pod: released
    assert await gateway.routes() == []


async def test_repair_binds_a_stale_reservation_found_by_marker(gateway):
    from sqlalchemy import update

    from tricircle.db.clock import utc_after
    from tricircle.db.models import Routing
    from tricircle.routing import repair, table

    one = gateway.pods["RegionOne"]
    one.servers["srv-1"] = {"id": "srv-1", "status": "ACTIVE",
                            "metadata": {MARKER: "prov-1"}}
    async with gateway.db.session() as s:
        found = await table.reserve(s, top_id="prov-1", pod_id=gateway.pod_ids["RegionOne"],
                                    project_id=P1, resource_type="server")
        gone = await table.reserve(s, top_id="prov-2", pod_id=gateway.pod_ids["RegionOne"],
                                   project_id=P1, resource_type="server")
        await s.execute(update(Routing).values(created_at=utc_after(-3600)))
        for route in (found, gone):
            await repair.enqueue_repair(s, route, pod_timeout=60)
    await gateway.run_jobs()
    routes = {r.id: r for r in await gateway.routes()}
    assert gone.id not in routes
    assert (routes[found.id].top_id, routes[found.id].bottom_id) == ("srv-1", "srv-1")
    assert any("all_tenants=1" in c for c in one.calls)


async def test_catch_all_forwards_project_calls_and_unrouted_methods_to_a_pod(gateway):
    resp = await gateway.call("GET", "/compute/v2.1/limits")
    assert resp.status == 200
    assert (await resp.json())["limits"]["region"] == "RegionOne"
    resp = await gateway.call("PUT", "/compute/v2.1/servers", data=b"{}")
    assert resp.status == 404
    assert resp.headers["Content-Type"].startswith("text/html")
    await gateway.set_pod("RegionOne", state="disabled")
    resp = await gateway.call("GET", "/compute/v2.1/limits")
    assert resp.status == 200


async def test_version_documents_advertise_the_range_every_enabled_pod_serves(gateway):
    await gateway.set_pod("RegionTwo", capabilities={
        "compute": {"min_version": "2.1", "max_version": "2.90"}})
    for path in ("/compute", "/compute/"):
        resp = await gateway.client.get(path)
        assert resp.status == 200
        v20, v21 = (await resp.json())["versions"]
        assert (v20["id"], v20["status"], v21["id"]) == ("v2.0", "DEPRECATED", "v2.1")
        assert (v21["version"], v21["min_version"]) == ("2.90", "2.1")
        assert v21["links"][0]["href"] == str(gateway.client.make_url("/compute/v2.1/"))
        for version in (v20, v21):  # every self link is followable (tempest does this)
            href = version["links"][0]["href"]
            followed = await gateway.client.get(href[href.index("/compute"):])
            assert (await followed.json())["version"]["links"][0] == version["links"][0]
    for path in ("/compute/v2.1", "/compute/v2.1/"):
        resp = await gateway.client.get(path, headers={
            "OpenStack-API-Version": "compute latest"})
        assert resp.status == 200
        doc = (await resp.json())["version"]
        assert doc["version"] == "2.90" and doc["id"] == "v2.1"
        assert resp.headers["OpenStack-API-Version"] == "compute 2.90"
        assert resp.headers["X-Compute-Request-ID"]


async def test_latest_asks_every_pod_for_the_gateways_maximum(gateway):
    await gateway.set_pod("RegionTwo", capabilities={
        "compute": {"min_version": "2.1", "max_version": "2.90"}})
    for header, value in (("OpenStack-API-Version", "compute latest"),
                          ("X-OpenStack-Nova-API-Version", "latest")):
        resp = await gateway.client.get("/compute/v2.1/limits", headers={
            "X-Auth-Token": "p1", header: value})
        assert resp.status == 200
        assert gateway.pods["RegionOne"].headers_seen[-1][header] in ("compute 2.90", "2.90")


async def test_unauthenticated_server_call_is_keystone_401(gateway):
    resp = await gateway.call("GET", "/compute/v2.1/servers/x", token="bad")
    assert resp.status == 401
    assert json.loads(await resp.text())["error"]["code"] == 401


async def test_multiple_create_routes_every_server_carrying_the_marker(gateway):
    resp = await gateway.create(az="az1", min_count=3, max_count=3)
    assert resp.status == 202
    one = gateway.pods["RegionOne"]
    assert len(one.servers) == 3
    routes = await gateway.routes()
    assert sorted(r.top_id for r in routes) == sorted(one.servers)
    assert all(r.bottom_id == r.top_id and r.region_name == "RegionOne" for r in routes)


async def test_create_answering_a_reservation_id_is_routed_by_marker(gateway):
    resp = await gateway.create(az="az2", return_reservation_id=True)
    assert resp.status == 202
    assert await resp.json() == {"reservation_id": "r-1"}
    [route] = await gateway.routes()
    assert route.top_id in gateway.pods["RegionTwo"].servers


async def test_a_binding_places_new_servers_and_project_calls_in_the_bound_pod(gateway):
    from tricircle.pods import bindings

    gateway.pods["RegionOne"].free_ram = 9000   # capacity alone would pick RegionOne
    async with gateway.db.session() as s:
        await bindings.create_binding(s, project_id=P1, pod_id="RegionTwo")
    sid = await _created(gateway)
    assert sid in gateway.pods["RegionTwo"].servers
    resp = await gateway.call("GET", "/compute/v2.1/limits")
    assert (await resp.json())["limits"]["region"] == "RegionTwo"
    other = await gateway.call("GET", "/compute/v2.1/limits", token=P2)
    assert (await other.json())["limits"]["region"] == "RegionOne"


async def test_show_of_a_server_in_a_down_pod_is_nova_s_minimal_record_from_2_69(gateway):
    sid = await _created(gateway, az="az2")
    gateway.clients.set_endpoints("RegionTwo", {"compute": "http://127.0.0.1:9/v2.1"})
    resp = await gateway.call("GET", f"/compute/v2.1/servers/{sid}",
                              headers={"OpenStack-API-Version": "compute 2.69"})
    assert resp.status == 200
    server = (await resp.json())["server"]
    assert (server["id"], server["status"], server["tenant_id"]) == (sid, "UNKNOWN", P1)
    assert server["OS-EXT-AZ:availability_zone"] == "az2"
    assert resp.headers["OpenStack-API-Version"] == "compute 2.69"
    old = await gateway.call("GET", f"/compute/v2.1/servers/{sid}")
    assert old.status == 503
    assert "serviceUnavailable" in await old.json()
    assert old.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    action = await gateway.call("POST", f"/compute/v2.1/servers/{sid}/action",
                                json={"os-stop": None},
                                headers={"OpenStack-API-Version": "compute 2.69"})
    assert action.status == 503


async def test_quota_changes_reach_every_pod_and_a_refusal_wins(gateway):
    path = f"/compute/v2.1/os-quota-sets/{P2}"
    resp = await gateway.call("PUT", path, token="admin", json={"quota_set": {"cores": 0}})
    assert resp.status == 200
    assert (await resp.json())["quota_set"]["region"] == "RegionOne"
    assert all(p.quotas[P2] == {"cores": 0} for p in gateway.pods.values())
    gateway.pods["RegionTwo"].refuse_quota = True
    resp = await gateway.call("PUT", path, token="admin", json={"quota_set": {"cores": -5}})
    assert resp.status == 400
    assert "badRequest" in await resp.json()
    gateway.clients.set_endpoints("RegionTwo", {"compute": "http://127.0.0.1:9/v2.1"})
    resp = await gateway.call("PUT", path, token="admin", json={"quota_set": {"cores": 3}})
    assert resp.status == 200  # an unreachable pod is skipped, with a warning


async def test_a_server_whose_bottom_id_differs_keeps_its_top_id(gateway):
    """After a migration the pod's id changes; users keep seeing the top id."""
    from tricircle.routing import table

    one = gateway.pods["RegionOne"]
    bottom = "b0770000-0000-4000-8000-000000000001"
    top = "70900000-0000-4000-8000-000000000001"
    one.servers[bottom] = {"id": bottom, "name": "moved", "status": "ACTIVE", "metadata": {},
                           "links": one._links("servers", bottom)}
    async with gateway.db.session() as s:
        route = await table.reserve(s, top_id=top, pod_id=gateway.pod_ids["RegionOne"],
                                    project_id=P1, resource_type="server")
        await table.bind(s, route.id, bottom)
    resp = await gateway.call("GET", f"/compute/v2.1/servers/{top}")
    assert resp.status == 200
    server = (await resp.json())["server"]
    assert server["id"] == top
    assert all(top in link["href"] and bottom not in link["href"] for link in server["links"])
    assert one.calls[-1] == f"GET /v2.1/servers/{bottom}"
