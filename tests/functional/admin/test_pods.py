"""/v1.0/pods through the app on a real database."""

from __future__ import annotations

import pytest

from tests.functional.admin.conftest import Admin

POD = {"region_name": "RegionOne", "az_name": "az1", "pod_az_name": "nova", "dc_name": "dc1"}


async def test_registered_pod_is_listed_shown_and_updated(admin: Admin) -> None:
    created = (await admin.ok("POST", "/v1.0/pods", 201, json={"pod": POD}))["pod"]
    assert {k: created[k] for k in POD} == POD
    assert (created["state"], created["health"]) == ("enabled", "unknown")
    listed = (await admin.ok("GET", "/v1.0/pods"))["pods"]
    assert [p["id"] for p in listed] == [created["id"]]
    assert (await admin.ok("GET", "/v1.0/pods/RegionOne"))["pod"]["id"] == created["id"]
    drained = await admin.ok("PUT", f"/v1.0/pods/{created['id']}",
                             json={"pod": {"state": "draining"}})
    assert drained["pod"]["state"] == "draining"
    assert (await admin.ok("GET", "/v1.0/pods?state=enabled"))["pods"] == []


async def test_a_region_cannot_be_registered_twice(admin: Admin) -> None:
    await admin.ok("POST", "/v1.0/pods", 201, json={"pod": POD})
    error = await admin.error("POST", "/v1.0/pods", 409, json={"pod": POD})
    assert error["code"] == "tricircle.pod_exists"


@pytest.mark.parametrize("body", [
    b"{not json", b'"pod"', b'{"pods": {"region_name": "R"}}', b'{"pod": []}',
    b'{"pod": {"az_name": "az1"}}', b'{"pod": {"region_name": 7}}',
    b'{"pod": {"region_name": "R", "colour": "blue"}}',
    b'{"pod": {"region_name": "R", "state": "sleeping"}}',
    b'{"pod": {"region_name": ""}}', b'{"pod": {"region_name": true}}'])
async def test_invalid_pod_bodies_are_bad_requests(admin: Admin, body: bytes) -> None:
    await admin.error("POST", "/v1.0/pods", 400, data=body,
                      headers={"Content-Type": "application/json"})
    assert (await admin.ok("GET", "/v1.0/pods"))["pods"] == []


async def test_region_name_cannot_change_and_state_is_checked(admin: Admin) -> None:
    await admin.ok("POST", "/v1.0/pods", 201, json={"pod": POD})
    await admin.error("PUT", "/v1.0/pods/RegionOne", 400,
                      json={"pod": {"region_name": "RegionNine"}})
    await admin.error("PUT", "/v1.0/pods/RegionOne", 400, json={"pod": {"state": "off"}})
    await admin.error("PUT", "/v1.0/pods/RegionOne", 400, json={"pod": {}})


async def test_unknown_pod_is_404_and_deleted_pod_is_gone(admin: Admin) -> None:
    await admin.error("GET", "/v1.0/pods/RegionNine", 404)
    await admin.error("PUT", "/v1.0/pods/RegionNine", 404, json={"pod": {"state": "disabled"}})
    await admin.ok("POST", "/v1.0/pods", 201, json={"pod": POD})
    await admin.ok("DELETE", "/v1.0/pods/RegionOne", 204)
    await admin.error("DELETE", "/v1.0/pods/RegionOne", 404)


async def test_a_pod_with_routings_cannot_be_deleted(admin: Admin) -> None:
    pod = (await admin.ok("POST", "/v1.0/pods", 201, json={"pod": POD}))["pod"]
    await admin.ok("POST", "/v1.0/routings", 201, json={"routing": {
        "top_id": "srv", "bottom_id": "srv", "pod_id": pod["id"], "project_id": "p1",
        "resource_type": "server"}})
    error = await admin.error("DELETE", "/v1.0/pods/RegionOne", 409)
    assert "1 routing" in error["detail"]


async def test_pods_api_is_admin_only(admin: Admin) -> None:
    error = await admin.error("POST", "/v1.0/pods", 403, token="alice", json={"pod": POD})
    assert "tricircle:pods:create" in error["detail"]
    await admin.error("GET", "/v1.0/pods", 403, token="alice")


async def test_a_bad_token_is_401(admin: Admin) -> None:
    resp = await admin.call("GET", "/v1.0/pods", token="forged")
    assert resp.status == 401
    assert "WWW-Authenticate" in resp.headers


async def test_an_unknown_method_is_405_in_api_wg_format(admin: Admin) -> None:
    error = await admin.error("PATCH", "/v1.0/pods/RegionOne", 405)
    assert error["code"] == "tricircle.method_not_allowed"


async def test_the_version_document_needs_no_token(admin: Admin) -> None:
    resp = await admin.client.get("/v1.0")
    body = await resp.json()
    assert resp.status == 200 and body["version"]["id"] == "v1.0"
    assert [r["name"] for r in body["resources"]] == ["pods", "bindings", "routings", "jobs"]
