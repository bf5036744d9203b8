"""Keypairs created at the top are present in every pod; ensure_keypair fills gaps."""

import pytest

from tricircle.context import RequestContext
from tricircle.distributed.keypairs import InvalidKeyName, ensure_keypair
from tricircle.pods import registry

KEYPAIRS = "/compute/v2.1/os-keypairs"
PUBLIC = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMine me@host"


def copies(gateway, name, user="user-p1"):
    return {region: fake.more.keypairs.get((user, name))
            for region, fake in gateway.pods.items()}


async def test_a_generated_keypair_has_the_same_public_key_in_every_pod(gateway):
    resp = await gateway.call("POST", KEYPAIRS, token="p1", json={"keypair": {"name": "k1"}})

    assert resp.status == 200
    made = (await resp.json())["keypair"]
    assert made["private_key"].startswith("-----BEGIN")
    found = copies(gateway, "k1")
    assert {kp["public_key"] for kp in found.values()} == {made["public_key"]}


async def test_an_imported_keypair_is_in_every_pod(gateway):
    body = {"keypair": {"name": "mine", "public_key": PUBLIC}}
    assert (await gateway.call("POST", KEYPAIRS, token="p1", json=body)).status == 200
    assert {kp["public_key"] for kp in copies(gateway, "mine").values()} == {PUBLIC}


async def test_a_duplicate_name_is_the_pods_409(gateway):
    body = {"keypair": {"name": "mine", "public_key": PUBLIC}}
    await gateway.call("POST", KEYPAIRS, token="p1", json=body)
    resp = await gateway.call("POST", KEYPAIRS, token="p1", json=body)
    assert resp.status == 409 and await gateway.jobs() == []


async def test_a_keypair_deleted_at_the_top_is_gone_everywhere(gateway):
    await gateway.call("POST", KEYPAIRS, token="p1", json={"keypair": {"name": "k1"}})
    resp = await gateway.call("DELETE", f"{KEYPAIRS}/k1", token="p1")
    assert resp.status == 202
    assert copies(gateway, "k1") == {"RegionOne": None, "RegionTwo": None}


async def test_keypairs_are_listed_and_shown_from_one_pod(gateway):
    await gateway.call("POST", KEYPAIRS, token="p1", json={"keypair": {"name": "k1"}})
    listed = await (await gateway.call("GET", KEYPAIRS, token="p1")).json()
    assert [k["keypair"]["name"] for k in listed["keypairs"]] == ["k1"]
    assert (await gateway.call("GET", f"{KEYPAIRS}/k1", token="alt")).status == 404


async def test_a_pod_down_during_create_gets_the_public_key_from_a_sync_job(gateway):
    gateway.pods["RegionTwo"].down = "hang"
    made = (await (await gateway.call("POST", KEYPAIRS, token="p1",
                                      json={"keypair": {"name": "k1"}})).json())["keypair"]
    [job] = await gateway.jobs()
    assert (job.type, job.resource_key) == ("keypair_sync", "user-p1/k1")

    gateway.pods["RegionTwo"].down = None
    await gateway.run_jobs()

    assert copies(gateway, "k1")["RegionTwo"]["public_key"] == made["public_key"]


async def test_ensure_keypair_imports_a_missing_key_into_the_boot_pod(gateway):
    gateway.pods["RegionOne"].more.keypairs[("user-p1", "old")] = {
        "name": "old", "public_key": PUBLIC, "type": "ssh", "user_id": "user-p1"}
    async with gateway.db.session() as s:
        pod = await registry.get_pod(s, "RegionTwo")
    ctx = RequestContext(user_id="user-p1", project_id="p1", auth_token="p1")

    await ensure_keypair(ctx, pod, "old", pods=gateway.clients, db=gateway.db)
    await ensure_keypair(ctx, pod, "old", pods=gateway.clients, db=gateway.db)  # idempotent

    assert copies(gateway, "old")["RegionTwo"]["public_key"] == PUBLIC


async def test_ensure_keypair_refuses_a_key_no_pod_has(gateway):
    async with gateway.db.session() as s:
        pod = await registry.get_pod(s, "RegionTwo")
    ctx = RequestContext(user_id="user-p1", project_id="p1", auth_token="p1")
    with pytest.raises(InvalidKeyName) as err:
        await ensure_keypair(ctx, pod, "ghost", pods=gateway.clients, db=gateway.db)
    assert err.value.status == 400 and err.value.text == "Invalid key_name provided."
