"""Flavors defined at the top exist, with the same id, in every pod in service."""

import pytest
from sqlalchemy import delete

from tricircle.db.models import Job
from tricircle.distributed import flavors
from tricircle.pods import registry

FLAVORS = "/compute/v2.1/flavors"
TINY = {"flavor": {"name": "top-tiny", "ram": 64, "vcpus": 1, "disk": 1}}


def copies(gateway, flavor_id):
    return {region: fake.more.flavors.get(flavor_id) for region, fake in gateway.pods.items()}


async def test_a_flavor_created_at_the_top_exists_in_every_pod_with_the_same_id(gateway):
    resp = await gateway.call("POST", FLAVORS, json=TINY)

    assert resp.status == 200
    flavor = (await resp.json())["flavor"]
    found = copies(gateway, flavor["id"])
    assert all(f is not None and f["name"] == "top-tiny" for f in found.values())
    assert flavor["links"][0]["href"].startswith(str(gateway.client.make_url("/compute/v2.1")))
    assert await gateway.jobs() == []


async def test_a_given_flavor_id_is_kept_everywhere(gateway):
    body = {"flavor": {**TINY["flavor"], "id": "my-id"}}
    assert (await gateway.call("POST", FLAVORS, json=body)).status == 200
    assert all(copies(gateway, "my-id").values())


async def test_a_refused_create_is_answered_by_the_reference_pod_and_goes_nowhere(gateway):
    resp = await gateway.call("POST", FLAVORS, json=TINY, token="p1")

    assert resp.status == 403
    assert "forbidden" in await resp.json()
    assert all(not fake.more.flavors for fake in gateway.pods.values())
    assert gateway.pods["RegionTwo"].more.writes == []


async def test_a_pod_down_during_create_gets_the_flavor_from_a_sync_job(gateway):
    gateway.pods["RegionTwo"].down = "503"
    flavor = (await (await gateway.call("POST", FLAVORS, json=TINY)).json())["flavor"]
    await gateway.call("POST", f"{FLAVORS}/{flavor['id']}/os-extra_specs",
                       json={"extra_specs": {"hw:cpu_policy": "shared"}})
    assert copies(gateway, flavor["id"])["RegionTwo"] is None
    [job] = await gateway.jobs()
    assert (job.type, job.resource_key, job.payload) == ("flavor_sync", flavor["id"],
                                                         {"source": "RegionOne"})

    gateway.pods["RegionTwo"].down = None
    await gateway.run_jobs()

    assert copies(gateway, flavor["id"])["RegionTwo"]["name"] == "top-tiny"
    assert gateway.pods["RegionTwo"].more.specs[flavor["id"]] == {"hw:cpu_policy": "shared"}
    assert [j.status for j in await gateway.jobs()] == ["succeeded"]


async def test_a_sync_job_retries_while_the_pod_stays_down(gateway):
    gateway.pods["RegionTwo"].down = "503"
    await gateway.call("POST", FLAVORS, json=TINY)
    await gateway.run_jobs()
    [job] = await gateway.jobs()
    assert job.status in ("new", "failed") and job.attempts >= 1 and job.last_error


async def test_extra_specs_description_and_access_reach_every_pod(gateway):
    body = {"flavor": {**TINY["flavor"], "os-flavor-access:is_public": False}}
    fid = (await (await gateway.call("POST", FLAVORS, json=body)).json())["flavor"]["id"]

    await gateway.call("POST", f"{FLAVORS}/{fid}/os-extra_specs",
                       json={"extra_specs": {"a": "1", "b": "2"}})
    await gateway.call("DELETE", f"{FLAVORS}/{fid}/os-extra_specs/b")
    await gateway.call("POST", f"{FLAVORS}/{fid}/action",
                       json={"addTenantAccess": {"tenant": "p1"}})
    await gateway.call("PUT", f"{FLAVORS}/{fid}", json={"flavor": {"description": "d"}})

    for fake in gateway.pods.values():
        assert fake.more.specs[fid] == {"a": "1"}
        assert fake.more.access[fid] == {"p1"}
        assert fake.more.flavors[fid]["description"] == "d"


async def test_a_flavor_deleted_at_the_top_is_gone_everywhere(gateway):
    fid = (await (await gateway.call("POST", FLAVORS, json=TINY)).json())["flavor"]["id"]

    resp = await gateway.call("DELETE", f"{FLAVORS}/{fid}")

    assert resp.status == 202
    assert copies(gateway, fid) == {"RegionOne": None, "RegionTwo": None}


async def test_reads_come_from_one_pod_and_survive_it_being_down(gateway):
    fid = (await (await gateway.call("POST", FLAVORS, json=TINY)).json())["flavor"]["id"]
    gateway.pods["RegionOne"].down = "503"

    resp = await gateway.call("GET", f"{FLAVORS}/detail", token="p1")

    assert resp.status == 200
    [flavor] = (await resp.json())["flavors"]
    assert flavor["id"] == fid
    assert flavor["links"][0]["href"].startswith(str(gateway.client.make_url("/compute")))


async def test_unknown_flavor_is_the_pods_404(gateway):
    resp = await gateway.call("GET", f"{FLAVORS}/nope", token="p1")
    assert resp.status == 404 and "itemNotFound" in await resp.json()


async def test_a_pod_added_later_receives_every_flavor(gateway):
    gateway.pods["RegionTwo"].down = "503"
    fid = (await (await gateway.call("POST", FLAVORS, json=TINY)).json())["flavor"]["id"]
    gateway.pods["RegionTwo"].down = None
    async with gateway.db.session() as s:
        await s.execute(delete(Job))
        await flavors.enqueue_pod_sync(s, "RegionTwo")

    await gateway.run_jobs()

    assert gateway.pods["RegionTwo"].more.flavors[fid]["name"] == "top-tiny"


@pytest.mark.parametrize("changed", [{"ram": 128}, {"os-flavor-access:is_public": False}])
async def test_sync_recreates_a_copy_that_differs_in_an_immutable_field(gateway, changed):
    fid = (await (await gateway.call("POST", FLAVORS, json=TINY)).json())["flavor"]["id"]
    gateway.pods["RegionTwo"].more.flavors[fid].update(changed)
    async with gateway.db.session() as s:
        await flavors.enqueue_sync(s, fid, "RegionOne")

    await gateway.run_jobs()

    assert gateway.pods["RegionTwo"].more.flavors[fid]["ram"] == 64
    assert gateway.pods["RegionTwo"].more.flavors[fid]["os-flavor-access:is_public"] is True


async def test_ensure_flavor_copies_a_missing_flavor_into_the_boot_pod(gateway):
    gateway.pods["RegionTwo"].down = "503"
    fid = (await (await gateway.call("POST", FLAVORS, json=TINY)).json())["flavor"]["id"]
    await gateway.call("POST", f"{FLAVORS}/{fid}/os-extra_specs",
                       json={"extra_specs": {"k": "v"}})
    gateway.pods["RegionTwo"].down = None
    async with gateway.db.session() as s:
        pod = await registry.get_pod(s, "RegionTwo")

    found = await flavors.ensure_flavor(pod, fid, pods=gateway.clients, db=gateway.db,
                                        token="service")

    assert found and gateway.pods["RegionTwo"].more.flavors[fid]["name"] == "top-tiny"
    assert gateway.pods["RegionTwo"].more.specs[fid] == {"k": "v"}
    assert not await flavors.ensure_flavor(pod, "unknown", pods=gateway.clients,
                                           db=gateway.db, token="service")
