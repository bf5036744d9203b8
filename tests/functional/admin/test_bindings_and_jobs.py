"""/v1.0/bindings and /v1.0/jobs through the app on a real database."""

from __future__ import annotations

from tests.functional.admin.conftest import Admin
from tricircle.jobs import api as jobs


async def _pods(admin: Admin) -> None:
    for region, az in (("RegionOne", "az1"), ("RegionTwo", "az2"), ("RegionThree", "az1")):
        await admin.ok("POST", "/v1.0/pods", 201,
                       json={"pod": {"region_name": region, "az_name": az}})


async def test_a_project_is_bound_to_one_pod_per_az(admin: Admin) -> None:
    await _pods(admin)
    made = (await admin.ok("POST", "/v1.0/bindings", 201,
                           json={"binding": {"project_id": "p1", "pod_id": "RegionOne"}}))
    binding = made["binding"]
    assert (binding["az_name"], binding["region_name"]) == ("az1", "RegionOne")
    await admin.error("POST", "/v1.0/bindings", 409,
                      json={"binding": {"project_id": "p1", "pod_id": "RegionThree"}})
    moved = await admin.ok("PUT", f"/v1.0/bindings/{binding['id']}",
                           json={"binding": {"pod_id": "RegionThree"}})
    assert moved["binding"]["region_name"] == "RegionThree"
    await admin.error("PUT", f"/v1.0/bindings/{binding['id']}", 400,
                      json={"binding": {"pod_id": "RegionTwo"}})
    listed = await admin.ok("GET", "/v1.0/bindings?project_id=p1")
    assert [b["id"] for b in listed["bindings"]] == [binding["id"]]
    await admin.ok("DELETE", f"/v1.0/bindings/{binding['id']}", 204)
    await admin.error("GET", f"/v1.0/bindings/{binding['id']}", 404)


async def test_binding_to_an_unknown_pod_is_a_bad_request(admin: Admin) -> None:
    await admin.error("POST", "/v1.0/bindings", 400,
                      json={"binding": {"project_id": "p1", "pod_id": "RegionNine"}})
    await admin.error("POST", "/v1.0/bindings", 403, token="alice",
                      json={"binding": {"project_id": "p1", "pod_id": "RegionOne"}})


async def test_jobs_are_listed_shown_redone_and_deleted(admin: Admin) -> None:
    made = await admin.ok("POST", "/v1.0/jobs", 202, json={"job": {
        "type": "flavor.pod_sync", "resource_key": "RegionTwo",
        "payload": {"region": "RegionTwo"}}})
    job_id = made["job"]["id"]
    assert made["job"]["status"] == "new" and made["job"]["request_id"].startswith("req-")
    async with admin.db.session() as s:  # the job failed for good meanwhile
        await jobs.redo_job(s, job_id)
        from sqlalchemy import update

        from tricircle.db.models import Job
        await s.execute(update(Job).where(Job.id == job_id)
                        .values(status="failed", live_key=None, attempts=8,
                                last_error="RegionTwo unreachable"))
    failed = await admin.ok("GET", "/v1.0/jobs?status=failed")
    assert [j["id"] for j in failed["jobs"]] == [job_id]
    assert failed["jobs"][0]["last_error"] == "RegionTwo unreachable"
    redone = await admin.ok("PUT", f"/v1.0/jobs/{job_id}")
    assert (redone["job"]["status"], redone["job"]["attempts"]) == ("new", 0)
    assert (await admin.ok("GET", f"/v1.0/jobs/{job_id}"))["job"]["status"] == "new"
    await admin.ok("DELETE", f"/v1.0/jobs/{job_id}", 204)
    await admin.error("GET", f"/v1.0/jobs/{job_id}", 404)


async def test_jobs_api_validates_filters_and_is_admin_only(admin: Admin) -> None:
    await admin.error("GET", "/v1.0/jobs?status=exploded", 400)
    await admin.error("GET", "/v1.0/jobs?marker=no-such-job", 404)
    await admin.error("GET", "/v1.0/jobs", 403, token="alice")
    await admin.error("POST", "/v1.0/jobs", 400, json={"job": {"type": "x"}})
    await admin.error("PUT", "/v1.0/jobs/no-such-job", 404)
