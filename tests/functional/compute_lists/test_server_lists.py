"""GET /compute/v2.1/servers[/detail] through the whole app: routing table,
pod registry, fan-out, merge, paging, faults."""

from urllib.parse import urlsplit

import pytest

from tricircle.pods import registry
from tricircle.routing import table


@pytest.fixture
async def four(gateway):
    await gateway.add("RegionOne", "one-old", second=1)
    await gateway.add("RegionTwo", "two-old", second=2)
    await gateway.add("RegionOne", "one-new", second=3)
    await gateway.add("RegionTwo", "two-new", second=4)
    return gateway


async def test_server_list_merges_both_pods_in_nova_default_order(four):
    resp = await four.get("/compute/v2.1/servers")

    assert resp.status == 200
    body = await resp.json()
    assert [s["name"] for s in body["servers"]] == ["two-new", "one-new", "two-old", "one-old"]
    assert "servers_links" not in body
    assert resp.headers["X-Compute-Request-ID"] == resp.headers["X-OpenStack-Request-ID"]


async def test_limit_one_paging_through_next_hrefs_visits_every_server_once(four):
    path, names = "/compute/v2.1/servers/detail?limit=1", []
    while path:
        body = await (await four.get(path)).json()
        names += [s["name"] for s in body["servers"]]
        links = body.get("servers_links", [])
        path = urlsplit(links[0]["href"]).path + "?" + urlsplit(links[0]["href"]).query \
            if links else None
        assert len(names) < 10

    assert names == ["two-new", "one-new", "two-old", "one-old"]


async def test_next_href_points_at_the_gateway_with_the_original_query(four):
    body = await (await four.get("/compute/v2.1/servers?limit=2&name=o")).json()
    href = body["servers_links"][0]["href"]
    host = four.client.make_url("").host
    assert urlsplit(href).netloc.startswith(host)
    assert urlsplit(href).path == "/compute/v2.1/servers"
    assert "limit=2" in href and "name=o" in href
    assert f"marker={body['servers'][-1]['id']}" in href


async def test_unknown_marker_is_a_nova_400(four):
    resp = await four.get("/compute/v2.1/servers?marker=nope")

    assert resp.status == 400
    assert await resp.json() == {"badRequest": {"code": 400,
                                                "message": "marker [nope] not found"}}


async def test_another_project_sees_none_of_the_servers(four):
    body = await (await four.get("/compute/v2.1/servers", token="alt")).json()
    assert body == {"servers": []}


async def test_sort_key_is_merged(four):
    body = await (await four.get("/compute/v2.1/servers?sort_key=display_name"
                                 "&sort_dir=asc")).json()
    assert [s["name"] for s in body["servers"]] == ["one-new", "one-old", "two-new", "two-old"]


async def test_a_pod_error_passes_through_in_novas_words(four):
    resp = await four.get("/compute/v2.1/servers?sort_key=bogus")
    assert resp.status == 400
    assert (await resp.json())["badRequest"]["message"] == "bad sort"


async def test_down_pod_at_2_69_shows_its_servers_as_unknown(four):
    four.pods["RegionTwo"].down = "hang"

    resp = await four.get("/compute/v2.1/servers/detail", version="2.69")

    body = await resp.json()
    assert resp.status == 200
    assert resp.headers["X-Tricircle-Missing-Pods"] == "RegionTwo"
    statuses = {s.get("name", s["id"]): s["status"] for s in body["servers"]}
    assert list(statuses.values()).count("UNKNOWN") == 2
    assert statuses["one-new"] == "ACTIVE"
    unknown = next(s for s in body["servers"] if s["status"] == "UNKNOWN")
    assert unknown["tenant_id"] == "p1" and unknown["created"]


async def test_down_pod_below_2_69_is_skipped(four):
    four.pods["RegionTwo"].down = "503"
    body = await (await four.get("/compute/v2.1/servers")).json()
    assert [s["name"] for s in body["servers"]] == ["one-new", "one-old"]


async def test_admin_all_tenants_lists_every_project(four):
    await four.add("RegionTwo", "alt-server", second=9, project="alt")
    body = await (await four.get("/compute/v2.1/servers?all_tenants=1", token="admin")).json()
    assert [s["name"] for s in body["servers"]][0] == "alt-server"
    assert len(body["servers"]) == 5


async def test_a_server_whose_top_id_differs_is_listed_and_paged_by_its_top_id(gateway):
    await gateway.add("RegionOne", "plain", second=1)
    moved = gateway.pods["RegionTwo"].add("moved", second=2, project="p1")
    moved["metadata"] = {"tricircle_top_id": "provisional-id"}
    async with gateway.db.session() as s:
        route = await table.reserve(s, top_id="top-of-moved", pod_id=gateway.pod_ids["RegionTwo"],
                                    project_id="p1", resource_type="server")
        await table.bind(s, route.id, moved["id"])

    body = await (await gateway.get("/compute/v2.1/servers/detail?limit=1")).json()
    [shown] = body["servers"]
    assert shown["id"] == "top-of-moved" and shown["metadata"] == {}
    assert shown["links"][0]["href"].endswith("/servers/top-of-moved")
    after = await (await gateway.get("/compute/v2.1/servers?marker=top-of-moved")).json()
    assert [s["name"] for s in after["servers"]] == ["plain"]


async def test_a_project_without_servers_gets_a_pods_verdict_on_its_query(gateway):
    resp = await gateway.get("/compute/v2.1/servers?sort_key=bogus", token="newcomer")
    assert resp.status == 400

    resp = await gateway.get("/compute/v2.1/servers", token="newcomer")
    assert resp.status == 200 and await resp.json() == {"servers": []}
    assert resp.headers["OpenStack-API-Version"] == "compute 2.1"


async def test_a_disabled_pods_servers_are_unknown_to_admin_all_tenants_at_2_69(four):
    async with four.db.session() as s:
        await registry.update_pod(s, "RegionTwo", state="disabled")

    body = await (await four.get("/compute/v2.1/servers?all_tenants=1", token="admin",
                                 version="2.69")).json()

    assert [s.get("name") or s["status"] for s in body["servers"]] == [
        "one-new", "one-old", "UNKNOWN", "UNKNOWN"]
    assert four.pods["RegionTwo"].calls == []
