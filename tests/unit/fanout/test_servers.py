import asyncio

import pytest

from tricircle import faults
from tricircle.fanout import cursor
from tricircle.fanout.servers import ListPod, MarkerNotFound

from .conftest import TOP


@pytest.fixture
def six(cloud):
    # interleaved creation times across pods: r1-a (10s) ... r2-c (60s)
    for second, (region, name) in enumerate([("RegionOne", "r1-a"), ("RegionTwo", "r2-a"),
                                             ("RegionOne", "r1-b"), ("RegionTwo", "r2-b"),
                                             ("RegionTwo", "r2-c"), ("RegionOne", "r1-c")]):
        cloud.add(region, name, second=10 * (second + 1))
    return cloud


async def test_list_merges_both_pods_newest_first(six):
    assert await six.names() == ["r1-c", "r2-c", "r2-b", "r1-b", "r2-a", "r1-a"]


async def test_paging_by_one_visits_every_server_exactly_once(six):
    assert await six.walk([("limit", "1")]) == ["r1-c", "r2-c", "r2-b", "r1-b", "r2-a", "r1-a"]


@pytest.mark.parametrize("limit", ["2", "4", "5", "6", "7"])
async def test_paging_with_any_page_size_has_no_gaps_or_duplicates(six, limit):
    assert await six.walk([("limit", limit)]) == ["r1-c", "r2-c", "r2-b", "r1-b", "r2-a",
                                                  "r1-a"]


async def test_servers_created_while_paging_cause_no_duplicates_or_gaps(six):
    made = iter(range(100, 200))

    def create_newer():
        n = next(made)
        six.add("RegionOne" if n % 2 else "RegionTwo", f"new-{n}", second=1000 + n)

    walked = await six.walk([("limit", "1")], between=create_newer)

    assert [n for n in walked if not n.startswith("new-")] == [
        "r1-c", "r2-c", "r2-b", "r1-b", "r2-a", "r1-a"]
    assert len(walked) == len(set(walked))


async def test_sort_keys_and_directions_are_merged_across_pods(six):
    assert await six.names([("sort_key", "display_name"), ("sort_dir", "asc")]) == [
        "r1-a", "r1-b", "r1-c", "r2-a", "r2-b", "r2-c"]
    assert await six.walk([("sort_key", "display_name"), ("sort_dir", "desc"),
                           ("limit", "1")]) == ["r2-c", "r2-b", "r2-a", "r1-c", "r1-b", "r1-a"]


async def test_a_hand_written_marker_continues_after_that_server(six):
    r2b = next(s["id"] for s in six.pods["RegionTwo"].servers if s["name"] == "r2-b")

    assert await six.names([("marker", r2b), ("limit", "3")]) == ["r1-b", "r2-a", "r1-a"]
    assert await six.walk([("marker", r2b), ("limit", "1")]) == ["r1-b", "r2-a", "r1-a"]


async def test_a_cursor_for_another_marker_is_ignored(six):
    r2b = next(s["id"] for s in six.pods["RegionTwo"].servers if s["name"] == "r2-b")
    stale = cursor.Position("other", {"RegionOne": "x"}).encode()

    assert await six.names([("marker", r2b), (cursor.CURSOR_PARAM, stale)]) == [
        "r1-b", "r2-a", "r1-a"]


async def test_unknown_marker_is_nova_400(six):
    with pytest.raises(MarkerNotFound) as err:
        await six.names([("marker", "nope")])
    assert err.value.status == 400 and err.value.text == "marker [nope] not found"


async def test_another_projects_marker_is_not_found(six):
    other = six.add("RegionOne", "theirs", second=5, project="p2")
    with pytest.raises(MarkerNotFound):
        await six.names([("marker", other["id"])])


async def test_projects_see_only_their_servers(six):
    six.add("RegionTwo", "theirs", second=500, project="p2")
    assert "theirs" not in await six.names()
    assert await six.names(project="p2") == ["theirs"]


async def test_only_pods_where_the_project_has_servers_are_asked(six):
    six.add("RegionTwo", "theirs", second=500, project="p2")
    await six.names(project="p2")
    assert six.pods["RegionOne"].calls == []


async def test_admin_all_tenants_lists_every_project(six):
    six.add("RegionTwo", "theirs", second=500, project="p2")
    names = await six.names([("all_tenants", "1")], project="admin-project", admin=True)
    assert names[0] == "theirs" and len(names) == 7


async def test_links_point_at_the_gateway_and_summary_has_id_name_links(six):
    result = await six.lister.list_page(six.request([("limit", "2")], detail=False))
    server = result.body["servers"][0]

    assert set(server) == {"id", "name", "links"}
    assert server["links"][0]["href"] == f"{TOP}/servers/{server['id']}"
    assert server["links"][1]["href"] == f"http://gw:19999/compute/servers/{server['id']}"
    assert result.body["servers_links"][0]["href"].startswith(f"{TOP}/servers?limit=2&marker=")


async def test_pod_availability_zones_are_shown_as_top_zones(six):
    result = await six.lister.list_page(six.request())
    zones = {s["name"]: s["OS-EXT-AZ:availability_zone"] for s in result.body["servers"]}
    assert zones["r1-a"] == "az1" and zones["r2-a"] == "az2"


async def test_a_top_zone_filter_asks_only_its_pods_with_their_own_zone_name(six):
    assert await six.names([("availability_zone", "az2")]) == ["r2-c", "r2-b", "r2-a"]
    assert six.pods["RegionOne"].calls == []
    assert six.pods["RegionTwo"].calls[-1][2]["availability_zone"] == ["az-two-inside"]


async def test_servers_show_their_top_id_and_hide_the_marker_metadata(cloud):
    server = cloud.add("RegionOne", "migrated", second=1)
    server["metadata"] = {"tricircle_top_id": "provisional", "a": "b"}
    cloud.source.routes["top-1"] = cloud.source.routes.pop(server["id"])

    shown = (await cloud.lister.list_page(cloud.request())).body["servers"][0]

    assert shown["metadata"] == {"a": "b"}
    assert shown["id"] == "top-1"
    assert shown["links"][0]["href"] == f"{TOP}/servers/top-1"


async def test_a_pod_refusing_the_query_answers_in_its_own_words(six):
    result = await six.lister.list_page(six.request([("sort_key", "bogus")]))
    assert result.passthrough is not None and result.passthrough.status == 400


async def test_a_non_integer_limit_is_refused_by_a_pod(six):
    result = await six.lister.list_page(six.request([("limit", "abc")]))
    assert result.passthrough is not None and result.passthrough.status == 400
    assert b"limit" in result.passthrough.body


# ---- pods down or late --------------------------------------------------------------
async def test_a_hung_pod_costs_only_the_deadline(six):
    six.pods["RegionTwo"].down = "hang"
    started = asyncio.get_running_loop().time()

    result = await six.lister.list_page(six.request(deadline=0.3))

    assert asyncio.get_running_loop().time() - started < 1.5
    assert [s["name"] for s in result.body["servers"]] == ["r1-c", "r1-b", "r1-a"]
    assert result.missing == ["RegionTwo"]


async def test_at_2_69_a_down_pods_servers_are_unknown_minimal_records(six):
    six.pods["RegionTwo"].down = "503"

    result = await six.lister.list_page(six.request(version="2.69"))

    unknown = [s for s in result.body["servers"] if s.get("status") == "UNKNOWN"]
    assert len(result.body["servers"]) == 6 and len(unknown) == 3
    assert set(unknown[0]) == {"id", "status", "links", "tenant_id", "created"}
    assert unknown[0]["links"][0]["href"] == f"{TOP}/servers/{unknown[0]['id']}"


async def test_minimal_records_of_the_summary_view_have_id_status_links(six):
    six.pods["RegionTwo"].down = "503"
    result = await six.lister.list_page(six.request(version="2.69", detail=False))
    unknown = [s for s in result.body["servers"] if s.get("status") == "UNKNOWN"]
    assert set(unknown[0]) == {"id", "status", "links"}


async def test_paged_or_filtered_lists_skip_a_down_pod_even_at_2_69(six):
    six.pods["RegionTwo"].down = "503"
    assert await six.names([("limit", "10")], version="2.69") == ["r1-c", "r1-b", "r1-a"]


async def test_below_2_69_a_down_pod_is_skipped(six):
    six.pods["RegionTwo"].down = "503"
    assert await six.names(version="2.68") == ["r1-c", "r1-b", "r1-a"]


async def test_below_2_69_a_down_pod_fails_the_list_when_policy_says_so(six):
    six.pods["RegionTwo"].down = "503"
    with pytest.raises(faults.PodUnavailable):
        await six.names(policy="fail")


async def test_paging_resumes_a_pod_that_comes_back(six):
    first = await six.lister.list_page(six.request([("limit", "2")]))
    assert [s["name"] for s in first.body["servers"]] == ["r1-c", "r2-c"]
    six.pods["RegionTwo"].down = "503"
    rest = await six.walk([("limit", "2"), ("marker", first.body["servers"][-1]["id"]),
                           (cursor.CURSOR_PARAM, _token(first))])
    assert rest == ["r1-b", "r1-a"]


def _token(result):
    from urllib.parse import parse_qsl, urlsplit
    return dict(parse_qsl(urlsplit(result.body["servers_links"][0]["href"]).query))[
        cursor.CURSOR_PARAM]


async def test_paging_works_across_servers_whose_top_and_bottom_ids_differ(six):
    for server in six.pods["RegionTwo"].servers:
        del six.source.routes[server["id"]]
        six.source.routes["top-" + server["name"]] = ("RegionTwo", server["id"], "p1")

    assert await six.walk([("limit", "1")]) == ["r1-c", "r2-c", "r2-b", "r1-b", "r2-a", "r1-a"]
    assert await six.names([("marker", "top-r2-b")]) == ["r1-b", "r2-a", "r1-a"]


async def test_a_cursor_followed_with_another_sort_falls_back_to_the_plain_marker(six):
    first = await six.lister.list_page(six.request([("limit", "3")]))
    assert [s["name"] for s in first.body["servers"]] == ["r1-c", "r2-c", "r2-b"]

    names = await six.names([("limit", "10"), ("marker", first.body["servers"][-1]["id"]),
                             ("sort_key", "display_name"), ("sort_dir", "desc"),
                             (cursor.CURSOR_PARAM, _token(first))])

    # the first page's positions (r1-c, r2-b) would have skipped r1-c
    assert names == ["r2-a", "r1-c", "r1-b", "r1-a"]


async def test_a_slow_pod_asked_twice_still_costs_at_most_the_deadline(five):
    for i in range(10):                 # the newest servers: the page needs a second round
        five.add("Region0", f"new-{i}", second=100 + i)
    for region in ("Region1", "Region2", "Region3", "Region4"):
        for i in range(2):
            five.add(region, f"{region}-{i}", second=i)
    five.pods["Region0"].latency = 0.6
    started = asyncio.get_running_loop().time()

    result = await five.lister.list_page(five.request([("limit", "10")], deadline=1.0))

    assert asyncio.get_running_loop().time() - started < 1.15  # not 2 x 0.6 s
    assert "Region0" in result.missing
    names = [s["name"] for s in result.body["servers"]]
    assert names[0] == "new-9"          # its first-round servers stay, in order


async def test_a_pod_past_the_deadline_does_not_take_the_second_round_from_the_others(five):
    for i in range(10):                 # Region1 holds the whole page: it is asked twice
        five.add("Region1", f"new-{i}", second=100 + i)
    for region in ("Region0", "Region2", "Region3", "Region4"):
        for i in range(2):
            five.add(region, f"{region}-{i}", second=i)
    five.pods["Region0"].latency = 2.0  # waited for until the deadline in the first round
    started = asyncio.get_running_loop().time()

    result = await five.lister.list_page(five.request([("limit", "10")], deadline=0.5))

    assert asyncio.get_running_loop().time() - started < 1.0
    assert result.missing == ["Region0"]
    assert [s["name"] for s in result.body["servers"]] == [f"new-{i}" for i in range(9, -1, -1)]


# ---- a first page asks the pods of the last list while the table is read ------------

async def test_a_first_server_in_another_pod_is_listed_at_once(cloud):
    cloud.add("RegionOne", "r1", second=10)
    assert await cloud.names() == ["r1"]          # remembered: RegionOne only

    cloud.add("RegionTwo", "r2", second=20)

    assert await cloud.names() == ["r2", "r1"]
    assert await cloud.walk([("limit", "1")]) == ["r2", "r1"]


async def test_a_pod_the_table_no_longer_names_is_left_out(cloud):
    cloud.add("RegionOne", "r1", second=10)
    gone = cloud.add("RegionTwo", "r2", second=20)
    assert await cloud.names() == ["r2", "r1"]    # remembered: both pods

    del cloud.source.routes[gone["id"]]           # e.g. repaired away by an operator

    assert await cloud.names() == ["r1"]


async def test_a_pod_taken_out_of_service_since_the_last_list_is_reported_once(cloud):
    cloud.add("RegionOne", "r1", second=10)
    cloud.add("RegionTwo", "r2", second=20)
    assert await cloud.names() == ["r2", "r1"]

    cloud.source.pods_[1] = ListPod("RegionTwo", "az2", "az-two-inside", usable=False)
    result = await cloud.lister.list_page(cloud.request())

    assert result.body is not None
    assert [s["name"] for s in result.body["servers"]] == ["r1"]
    assert result.missing == ["RegionTwo"]
