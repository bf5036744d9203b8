"""/v1.0/routings: project-scoped reads, admin repair writes, paging."""

from __future__ import annotations

from typing import Any

from yarl import URL

from tests.functional.admin.conftest import Admin


async def _setup(admin: Admin) -> str:
    pod = await admin.ok("POST", "/v1.0/pods", 201,
                         json={"pod": {"region_name": "RegionOne", "az_name": "az1"}})
    for i, project in enumerate(["p1", "p1", "p1", "p2"]):
        await admin.ok("POST", "/v1.0/routings", 201, json={"routing": {
            "top_id": f"t{i}", "bottom_id": f"b{i}", "pod_id": "RegionOne",
            "project_id": project, "resource_type": "server"}})
    return str(pod["pod"]["id"])


async def _ids(admin: Admin, path: str, token: str = "admin") -> list[str]:
    return [r["top_id"] for r in (await admin.ok("GET", path, token=token))["routings"]]


async def test_admin_sees_every_project_and_filters(admin: Admin) -> None:
    pod_id = await _setup(admin)
    assert await _ids(admin, "/v1.0/routings") == ["t0", "t1", "t2", "t3"]
    assert await _ids(admin, "/v1.0/routings?project_id=p2") == ["t3"]
    assert await _ids(admin, f"/v1.0/routings?pod_id={pod_id}&top_id=t1") == ["t1"]
    [row] = (await admin.ok("GET", "/v1.0/routings?bottom_id=b2"))["routings"]
    assert (row["region_name"], row["resource_type"]) == ("RegionOne", "server")


async def test_a_project_sees_only_its_own_rows(admin: Admin) -> None:
    await _setup(admin)
    assert await _ids(admin, "/v1.0/routings", token="alice") == ["t0", "t1", "t2"]
    assert await _ids(admin, "/v1.0/routings", token="bob") == ["t3"]
    assert await _ids(admin, "/v1.0/routings?project_id=p1", token="bob") == []
    others = (await admin.ok("GET", "/v1.0/routings?top_id=t3"))["routings"][0]["id"]
    await admin.error("GET", f"/v1.0/routings/{others}", 404, token="alice")
    assert (await admin.ok("GET", f"/v1.0/routings/{others}", token="bob"))["routing"][
        "top_id"] == "t3"


async def test_list_pages_with_marker_and_next_links(admin: Admin) -> None:
    await _setup(admin)
    seen: list[str] = []
    path: Any = "/v1.0/routings?limit=3"
    while path:
        page = await admin.ok("GET", path)
        seen += [r["top_id"] for r in page["routings"]]
        links = page["routings_links"]
        path = URL(links[0]["href"]).path_qs if links else None
    assert seen == ["t0", "t1", "t2", "t3"]
    await admin.error("GET", "/v1.0/routings?marker=abc", 400)
    await admin.error("GET", "/v1.0/routings?limit=0", 400)
    await admin.error("GET", "/v1.0/routings?colour=blue", 400)


async def test_repair_writes_are_admin_only(admin: Admin) -> None:
    await _setup(admin)
    row = (await admin.ok("GET", "/v1.0/routings?top_id=t0"))["routings"][0]
    await admin.error("PUT", f"/v1.0/routings/{row['id']}", 403, token="alice",
                      json={"routing": {"bottom_id": "x"}})
    await admin.error("DELETE", f"/v1.0/routings/{row['id']}", 403, token="alice")
    updated = await admin.ok("PUT", f"/v1.0/routings/{row['id']}",
                             json={"routing": {"bottom_id": "b-new"}})
    assert updated["routing"]["bottom_id"] == "b-new"
    await admin.ok("DELETE", f"/v1.0/routings/{row['id']}", 204)
    await admin.error("GET", f"/v1.0/routings/{row['id']}", 404)


async def test_duplicate_and_invalid_routings_are_refused(admin: Admin) -> None:
    await _setup(admin)
    dup = {"top_id": "t0", "pod_id": "RegionOne", "project_id": "p1", "resource_type": "server"}
    error = await admin.error("POST", "/v1.0/routings", 409, json={"routing": dup})
    assert error["code"] == "tricircle.routing_conflict"
    await admin.error("POST", "/v1.0/routings", 400,
                      json={"routing": {**dup, "top_id": "t9", "pod_id": "RegionNine"}})
    await admin.error("POST", "/v1.0/routings", 400, json={"routing": {"top_id": "x"}})
    await admin.error("GET", "/v1.0/routings/not-a-number", 404)
