"""The image surface over two fake Glance pods: the registry, the merged list,
data, deletes, visibility, and the replication job's faults."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.functional.compute.conftest import StubServiceAuth, StubTokens
from tests.functional.image.fake_glance import FakeGlance
from tricircle import conf as tconf
from tricircle.api.app import build_app
from tricircle.clients.pod import PodClients
from tricircle.db.engine import Database
from tricircle.db.models import Base
from tricircle.images import registry as images
from tricircle.images import replicate
from tricircle.jobs.handlers import JobContext, JobDeps
from tricircle.pods import registry

REGIONS = ("RegionOne", "RegionTwo")


class Env:
    def __init__(self, client: Any, db: Database, glances: dict[str, FakeGlance],
                 pod_ids: dict[str, str], conf: Any, clients: PodClients) -> None:
        self.client, self.db, self.glances = client, db, glances
        self.pod_ids, self.conf, self.clients = pod_ids, conf, clients

    def call(self, method: str, path: str, token: str = "p1", **kw: Any) -> Any:
        headers = {"X-Auth-Token": token, **kw.pop("headers", {})}
        return self.client.request(method, "/image/v2" + path, headers=headers, **kw)

    async def rows(self, image_id: str) -> list[tuple[str, str | None]]:
        async with self.db.session() as s:
            return [(r.region_name, r.bottom_id) for r in await images.copies(s, image_id)]

    async def register(self, region: str, image_id: str, owner: str = "p1") -> None:
        async with self.db.session() as s:
            await images.register_pod_image(s, pod_id=self.pod_ids[region],
                                            image_id=image_id, project_id=owner)

    async def walk(self, limit: int, token: str = "p1") -> list[str]:
        names: list[str] = []
        resp = await self.call("GET", f"/images?limit={limit}", token)
        while True:
            assert resp.status == 200, await resp.text()
            body = await resp.json()
            names += [i["name"] for i in body["images"]]
            if "next" not in body:
                return names
            resp = await self.call("GET", body["next"].removeprefix("/v2"), token)

    def job(self, job_type: str, key: str, payload: dict[str, Any]) -> JobContext:
        deps = JobDeps(db=self.db, pods=self.clients, service_auth=StubServiceAuth(),  # type: ignore[arg-type]
                       conf=self.conf)
        return JobContext("job", job_type, key, "", payload, deps)


@pytest.fixture
async def env(aiohttp_client, aiohttp_server, tmp_path):
    glances = {r: FakeGlance() for r in REGIONS}
    servers = {r: await aiohttp_server(g.app()) for r, g in glances.items()}
    conf = tconf.new_config([], config_files=[])
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    clients = PodClients(None)  # type: ignore[arg-type]
    pod_ids = {}
    for region, server in servers.items():
        base = str(server.make_url("")).rstrip("/")
        clients.set_endpoints(region, {"image": base, "compute": base + "/v2.1"})
        async with db.session() as s:
            pod_ids[region] = (await registry.create_pod(s, region_name=region)).id
    app = build_app(conf, db=db, service_auth=StubServiceAuth(),  # type: ignore[arg-type]
                    pods=clients, tokens=StubTokens())  # type: ignore[arg-type]
    client = await aiohttp_client(app)
    yield Env(client, db, glances, pod_ids, conf, clients)
    await db.close()


async def test_a_new_image_lives_in_the_first_pod_with_a_home_row(env):
    resp = await env.call("POST", "/images", json={"name": "a", "disk_format": "raw"})
    assert resp.status == 201
    image_id = (await resp.json())["id"]
    assert image_id in env.glances["RegionOne"].images
    assert await env.rows(image_id) == [("RegionOne", image_id)]


async def test_an_id_taken_at_the_top_is_refused_in_glances_words(env):
    image_id = env.glances["RegionTwo"].add("x", data=b"1")
    await env.register("RegionTwo", image_id)
    resp = await env.call("POST", "/images", json={"id": image_id, "name": "dup"})
    assert resp.status == 409
    assert "<h1>409 Conflict</h1>" in await resp.text()
    assert image_id not in env.glances["RegionOne"].images


async def test_a_refused_create_leaves_no_row(env):
    image_id = env.glances["RegionOne"].add("taken-in-pod")
    resp = await env.call("POST", "/images", json={"id": image_id, "name": "dup"})
    assert resp.status == 409
    assert await env.rows(image_id) == []


async def test_the_list_shows_every_image_once_whatever_the_page_size(env):
    one, two = env.glances["RegionOne"], env.glances["RegionTwo"]
    home = one.add("a-home-in-one", data=b"a")
    await env.register("RegionOne", home)
    two.add("a-home-in-one", image_id=home, hidden=False, data=b"a")  # a replica
    await env.register("RegionTwo", home)
    two.add("b-only-in-two", data=b"b")
    seeded = one.add("c-seeded-in-both", data=b"c")
    two.add("c-seeded-in-both", image_id=seeded, data=b"c")  # unknown to the registry
    one.add("d-in-one", data=b"d")
    expected = await env.walk(25)
    assert sorted(expected) == ["a-home-in-one", "b-only-in-two", "c-seeded-in-both",
                                "d-in-one"]
    for limit in (1, 2, 3):
        assert await env.walk(limit) == expected, limit
    # registered on sight (both copies came in the first round: region order)
    assert [r for r, _ in await env.rows(seeded)] == ["RegionOne", "RegionTwo"]


async def test_the_list_merges_on_the_requested_sort_key(env):
    for region, name in (("RegionOne", "m"), ("RegionTwo", "a"), ("RegionOne", "z"),
                         ("RegionTwo", "k")):
        env.glances[region].add(name, data=b"x")
    resp = await env.call("GET", "/images?sort_key=name&sort_dir=asc")
    assert [i["name"] for i in (await resp.json())["images"]] == ["a", "k", "m", "z"]


async def test_a_pod_that_is_down_is_left_out_of_the_list_and_named(env):
    env.glances["RegionOne"].add("up", data=b"x")
    env.clients.set_endpoints("RegionTwo", {"image": "http://127.0.0.1:9"})
    resp = await env.call("GET", "/images")
    assert resp.status == 200
    assert [i["name"] for i in (await resp.json())["images"]] == ["up"]
    assert resp.headers["X-Tricircle-Missing-Pods"] == "RegionTwo"


async def test_a_bad_marker_is_glances_400(env):
    resp = await env.call("GET", "/images?marker=nope")
    assert resp.status == 400


async def test_another_projects_private_image_is_not_found(env):
    image_id = env.glances["RegionTwo"].add("mine", owner="p1", visibility="private",
                                            data=b"x")
    assert (await env.call("GET", f"/images/{image_id}", "p1")).status == 200
    resp = await env.call("GET", f"/images/{image_id}", "p2")
    assert resp.status == 404 and "text/html" in resp.headers["Content-Type"]
    assert (await env.call("DELETE", f"/images/{image_id}", "p2")).status == 404
    assert [i["name"] for i in (await (await env.call("GET", "/images", "p2")).json())[
        "images"]] == []
    assert image_id in env.glances["RegionTwo"].images


async def test_an_image_only_a_pod_knows_is_found_and_registered(env):
    image_id = env.glances["RegionTwo"].add("made-in-pod", data=b"x")
    resp = await env.call("GET", f"/images/{image_id}")
    assert resp.status == 200
    assert await env.rows(image_id) == [("RegionTwo", image_id)]


async def test_image_data_streams_both_ways_past_the_body_limit(env):
    data = b"x" * (3 * 1024 * 1024)   # far above [api] max_request_body_size
    image_id = (await (await env.call("POST", "/images", json={"name": "big"})).json())["id"]
    resp = await env.call("PUT", f"/images/{image_id}/file", data=data,
                          headers={"Content-Type": "application/octet-stream"})
    assert resp.status == 204
    assert env.glances["RegionOne"].data[image_id] == data
    resp = await env.call("GET", f"/images/{image_id}/file")
    assert resp.status == 200 and await resp.read() == data


async def test_delete_at_the_top_removes_every_copy(env):
    image_id = env.glances["RegionOne"].add("x", data=b"x")
    env.glances["RegionTwo"].add("x", image_id=image_id, hidden=True, data=b"x")
    await env.register("RegionOne", image_id)
    await env.register("RegionTwo", image_id)
    assert (await env.call("DELETE", f"/images/{image_id}")).status == 204
    assert await env.rows(image_id) == []
    for _ in range(100):  # the replica goes with the app's own job worker
        if image_id not in env.glances["RegionTwo"].images:
            break
        await asyncio.sleep(0.1)
    assert image_id not in env.glances["RegionTwo"].images


async def test_a_write_the_home_accepted_reaches_the_replicas(env):
    image_id = env.glances["RegionOne"].add("old", data=b"x")
    env.glances["RegionTwo"].add("old", image_id=image_id, hidden=True, data=b"x")
    await env.register("RegionOne", image_id)
    await env.register("RegionTwo", image_id)
    resp = await env.call("PATCH", f"/images/{image_id}", data=b'[{"op": "replace", '
                          b'"path": "/name", "value": "new"}]', headers={
                              "Content-Type": "application/openstack-images-v2.1-json-patch"})
    assert resp.status == 200
    for _ in range(100):
        if env.glances["RegionTwo"].images[image_id]["name"] == "new":
            break
        await asyncio.sleep(0.1)
    replica = env.glances["RegionTwo"].images[image_id]
    assert replica["name"] == "new" and replica["os_hidden"] is True


async def test_the_api_calls_need_a_token_and_versions_do_not(env):
    assert (await env.client.get("/image/v2/images")).status == 401
    assert (await env.client.get("/image/")).status == 501  # the fake has no version doc


async def test_novas_image_proxy_lists_every_pods_images_once_with_gateway_links(env):
    one, two = env.glances["RegionOne"], env.glances["RegionTwo"]
    seeded = one.add("seeded", data=b"x")
    two.add("seeded", image_id=seeded, data=b"x")
    two.add("snapshot-in-two", data=b"y")
    names = []
    resp = await env.client.get("/compute/v2.1/images/detail?limit=1",
                                headers={"X-Auth-Token": "p1"})
    while True:
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        names += [i["name"] for i in body["images"]]
        assert all(str(env.client.make_url("/compute/v2.1/images/")) in i["links"][0]["href"]
                   for i in body["images"])
        if "images_links" not in body:
            break
        href = urlsplit(body["images_links"][0]["href"])
        resp = await env.client.get(f"{href.path}?{href.query}",
                                    headers={"X-Auth-Token": "p1"})
    assert sorted(names) == ["seeded", "snapshot-in-two"]
    brief = await (await env.client.get("/compute/v2.1/images",
                                        headers={"X-Auth-Token": "p1"})).json()
    assert sorted(i["name"] for i in brief["images"]) == ["seeded", "snapshot-in-two"]
    assert set(brief["images"][0]) == {"id", "name", "links"}
    resp = await env.client.get("/compute/v2.1/images", headers={
        "X-Auth-Token": "p1", "X-OpenStack-Nova-API-Version": "2.1"})
    assert resp.headers["X-OpenStack-Nova-API-Version"] == "2.1"


async def test_novas_image_proxy_shows_an_image_from_its_home_pods_nova(env):
    image_id = env.glances["RegionTwo"].add("snapshot-in-two", data=b"y")
    resp = await env.client.get(f"/compute/v2.1/images/{image_id}",
                                headers={"X-Auth-Token": "p1"})
    assert resp.status == 200
    assert (await resp.json())["image"]["id"] == image_id
    resp = await env.client.delete(f"/compute/v2.1/images/{image_id}",
                                   headers={"X-Auth-Token": "p1"})
    assert resp.status == 204 and image_id not in env.glances["RegionTwo"].images
    assert await env.rows(image_id) == []


# ---- the replication job ----------------------------------------------------------------
DATA = bytes(range(256)) * 4096 * 3  # 3 MiB


async def _home_image(env: Env) -> str:
    image_id = env.glances["RegionOne"].add("src", data=DATA)
    await env.register("RegionOne", image_id)
    return image_id


async def test_replication_copies_the_data_with_the_same_id_and_hash(env):
    image_id = await _home_image(env)
    await replicate.replicate(env.job(replicate.REPLICATE, image_id, {
        "image_id": image_id, "pod_id": env.pod_ids["RegionTwo"]}))
    replica = env.glances["RegionTwo"].images[image_id]
    assert env.glances["RegionTwo"].data[image_id] == DATA
    assert replica["os_hash_value"] == hashlib.sha512(DATA).hexdigest()
    assert replica["os_hidden"] is True and replica["owner"] == "p1"
    assert await env.rows(image_id) == [("RegionOne", image_id), ("RegionTwo", image_id)]


async def test_a_copy_broken_midway_leaves_no_half_image_and_the_retry_completes(env):
    image_id = await _home_image(env)
    target = env.glances["RegionTwo"]
    target.fail_upload_after = 1024 * 1024
    job = env.job(replicate.REPLICATE, image_id,
                  {"image_id": image_id, "pod_id": env.pod_ids["RegionTwo"]})
    with pytest.raises(Exception, match="upload"):
        await replicate.replicate(job)
    assert image_id not in target.images            # the half copy was deleted
    assert await env.rows(image_id) == [("RegionOne", image_id), ("RegionTwo", None)]
    await replicate.replicate(job)                   # the job's retry
    assert target.data[image_id] == DATA
    assert await env.rows(image_id) == [("RegionOne", image_id), ("RegionTwo", image_id)]


async def test_a_copy_whose_hash_differs_is_deleted_and_not_recorded(env):
    image_id = await _home_image(env)
    env.glances["RegionOne"].images[image_id]["os_hash_value"] = "0" * 128  # corrupt source
    job = env.job(replicate.REPLICATE, image_id,
                  {"image_id": image_id, "pod_id": env.pod_ids["RegionTwo"]})
    with pytest.raises(RuntimeError, match="does not match"):
        await replicate.replicate(job)
    assert image_id not in env.glances["RegionTwo"].images
    assert await env.rows(image_id) == [("RegionOne", image_id), ("RegionTwo", None)]


async def test_a_leftover_half_copy_in_the_target_is_replaced(env):
    image_id = await _home_image(env)
    env.glances["RegionTwo"].add("src", image_id=image_id)  # queued, no data
    await replicate.replicate(env.job(replicate.REPLICATE, image_id, {
        "image_id": image_id, "pod_id": env.pod_ids["RegionTwo"]}))
    assert env.glances["RegionTwo"].data[image_id] == DATA


# ---- glance-download, where the target pod's Glance offers it ----------------------------
async def _offer_download(env: Env) -> FakeGlance:
    target = env.glances["RegionTwo"]
    target.import_methods = ["glance-direct", "web-download", "copy-image", "glance-download"]
    target.catalog = {"RegionOne": (await env.clients.get("RegionOne")).url("image", "")}
    return target


async def _replicate_to_region_two(env: Env, image_id: str) -> None:
    await replicate.replicate(env.job(replicate.REPLICATE, image_id, {
        "image_id": image_id, "pod_id": env.pod_ids["RegionTwo"]}))


async def test_a_pod_offering_glance_download_imports_the_replica_from_the_home(env):
    target = await _offer_download(env)
    image_id = await _home_image(env)
    await _replicate_to_region_two(env, image_id)
    assert target.imports == [{"name": "glance-download", "glance_image_id": image_id,
                               "glance_region": "RegionOne",
                               "glance_service_interface": "public"}]
    assert ("PUT", f"/v2/images/{image_id}/file") not in target.calls  # not streamed
    assert target.data[image_id] == DATA and target.images[image_id]["os_hidden"] is True
    assert await env.rows(image_id) == [("RegionOne", image_id), ("RegionTwo", image_id)]


async def test_a_failed_glance_download_falls_back_to_the_streamed_copy(env):
    target = await _offer_download(env)
    target.catalog = {}  # the home's region is not in the target's catalog
    image_id = await _home_image(env)
    await _replicate_to_region_two(env, image_id)
    assert len(target.imports) == 1
    assert ("DELETE", f"/v2/images/{image_id}") in target.calls  # the failed import's image
    assert ("PUT", f"/v2/images/{image_id}/file") in target.calls
    assert target.data[image_id] == DATA
    assert await env.rows(image_id) == [("RegionOne", image_id), ("RegionTwo", image_id)]


async def test_an_import_with_other_data_is_deleted_and_the_copy_streamed(env):
    target = await _offer_download(env)
    target.corrupt_import = True
    image_id = await _home_image(env)
    await _replicate_to_region_two(env, image_id)
    assert target.data[image_id] == DATA
    assert target.images[image_id]["os_hash_value"] == hashlib.sha512(DATA).hexdigest()


async def test_an_import_that_outlasts_the_timeout_is_abandoned_for_the_stream(env):
    target = await _offer_download(env)
    env.conf.set_override("import_timeout", 1.0, group="images")
    target.stall_import = True
    image_id = await _home_image(env)
    started = time.monotonic()
    await _replicate_to_region_two(env, image_id)
    assert time.monotonic() - started >= 1.0
    assert len(target.imports) == 1
    assert ("PUT", f"/v2/images/{image_id}/file") in target.calls
    assert target.data[image_id] == DATA
