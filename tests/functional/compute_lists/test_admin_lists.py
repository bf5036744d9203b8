"""Admin listings aggregated over the pods, names qualified, ids pod-encoded."""

V = "/compute/v2.1"


async def get(gateway, path, token="admin"):
    resp = await gateway.call("GET", V + path, token=token)
    return resp, await resp.json()


async def test_hypervisors_of_every_pod_with_qualified_names_and_encoded_ids(gateway):
    resp, body = await get(gateway, "/os-hypervisors/detail")

    assert resp.status == 200
    assert [(h["id"], h["hypervisor_hostname"]) for h in body["hypervisors"]] == [
        (1001, "compute1@RegionOne"), (1002, "compute1@RegionTwo")]
    assert body["hypervisors"][1]["service"] == {"id": 10002, "host": "compute1@RegionTwo"}


async def test_a_hypervisor_is_shown_from_its_pod_by_top_id(gateway):
    resp, body = await get(gateway, "/os-hypervisors/1002")
    assert resp.status == 200
    assert body["hypervisor"]["hypervisor_hostname"] == "compute1@RegionTwo"
    assert gateway.pods["RegionOne"].more.writes == []
    resp, _ = await get(gateway, "/os-hypervisors/5002")
    assert resp.status == 404


async def test_a_qualified_hostname_pattern_asks_only_its_pod(gateway):
    _, body = await get(gateway, "/os-hypervisors?hypervisor_hostname_pattern=compute1@RegionTwo")
    assert [h["hypervisor_hostname"] for h in body["hypervisors"]] == ["compute1@RegionTwo"]
    assert gateway.pods["RegionOne"].more.writes == []
    assert gateway.pods["RegionTwo"].more.writes == [
        "GET /v2.1/os-hypervisors?hypervisor_hostname_pattern=compute1"]


async def test_statistics_are_summed(gateway):
    _, body = await get(gateway, "/os-hypervisors/statistics")
    assert body == {"hypervisor_statistics": {"count": 2, "vcpus": 16, "running_vms": 4}}


async def test_services_show_top_zones(gateway):
    _, body = await get(gateway, "/os-services")
    assert [(s["id"], s["host"], s["zone"]) for s in body["services"]] == [
        (10001, "compute1@RegionOne", "az1"), (10002, "compute1@RegionTwo", "az2")]


async def test_aggregates_of_every_pod(gateway):
    _, body = await get(gateway, "/os-aggregates")
    assert [(a["id"], a["name"], a["availability_zone"], a["hosts"])
            for a in body["aggregates"]] == [
        (1001, "agg", "az1", ["compute1@RegionOne"]),
        (1002, "agg", "az2", ["compute1@RegionTwo"])]


async def test_tenant_usage_is_summed_per_tenant(gateway):
    _, body = await get(gateway, "/os-simple-tenant-usage?detailed=1")
    [usage] = body["tenant_usages"]
    assert usage["total_hours"] == 3.0
    assert [s["availability_zone"] for s in usage["server_usages"]] == ["az1", "az2"]


async def test_members_are_refused_in_the_pods_words(gateway):
    resp, body = await get(gateway, "/os-hypervisors", token="p1")
    assert resp.status == 403 and "forbidden" in body


async def test_a_down_pod_is_left_out_and_named(gateway):
    gateway.pods["RegionTwo"].down = "503"
    resp, body = await get(gateway, "/os-services")
    assert [s["host"] for s in body["services"]] == ["compute1@RegionOne"]
    assert resp.headers["X-Tricircle-Missing-Pods"] == "RegionTwo"


async def test_a_service_changed_by_top_id_reaches_its_pod_only(gateway):
    resp = await gateway.call("PUT", V + "/os-services/10002", json={"status": "disabled"})

    assert resp.status == 200
    assert (await resp.json())["service"] == {"id": 10002, "host": "compute1@RegionTwo",
                                              "status": "disabled"}
    assert gateway.pods["RegionTwo"].more.writes == ["PUT /v2.1/os-services/10"]
    assert gateway.pods["RegionOne"].more.writes == []


async def test_legacy_service_disable_by_qualified_host(gateway):
    gateway.pods["RegionTwo"].more.hosts = ["r2-compute1"]
    resp = await gateway.call("PUT", V + "/os-services/disable",
                              json={"host": "r2-compute1@RegionTwo", "binary": "nova-compute"})
    assert resp.status == 200
    assert (await resp.json())["service"]["host"] == "r2-compute1@RegionTwo"
    assert gateway.pods["RegionOne"].more.writes == []


async def test_an_aggregate_is_created_in_the_pod_of_its_top_zone(gateway):
    resp = await gateway.call("POST", V + "/os-aggregates",
                              json={"aggregate": {"name": "fast", "availability_zone": "az2"}})

    assert resp.status == 200
    assert (await resp.json())["aggregate"]["id"] == 7002
    assert (await resp.json())["aggregate"]["availability_zone"] == "az2"
    [write] = gateway.pods["RegionTwo"].more.writes
    assert "'availability_zone': 'az-two-inside'" in write


async def test_no_pod_answering_is_a_503_not_an_empty_list(gateway):
    for fake in gateway.pods.values():
        fake.down = "503"
    resp, body = await get(gateway, "/os-hypervisors")
    assert resp.status == 503 and "serviceUnavailable" in body


async def test_an_aggregate_host_is_added_by_its_qualified_name_in_the_aggregates_pod(gateway):
    resp = await gateway.call("POST", V + "/os-aggregates/1002/action",
                              json={"add_host": {"host": "compute1@RegionTwo"}})

    assert resp.status == 200
    assert (await resp.json())["aggregate"]["hosts"] == ["compute1@RegionTwo"]
    assert gateway.pods["RegionTwo"].more.writes == [
        "POST /v2.1/os-aggregates/1/action {'add_host': {'host': 'compute1'}}"]
    assert gateway.pods["RegionOne"].more.writes == []


async def test_hosts_of_every_pod_with_qualified_names_and_top_zones(gateway):
    gateway.pods["RegionTwo"].more.hosts = ["r2-compute1"]
    resp, body = await get(gateway, "/os-hosts")

    assert resp.status == 200
    assert [(h["host_name"], h["zone"]) for h in body["hosts"]] == [
        ("compute1@RegionOne", "internal"), ("compute1@RegionOne", "az1"),
        ("r2-compute1@RegionTwo", "internal"), ("r2-compute1@RegionTwo", "az2")]


async def test_hosts_filtered_by_a_top_zone_whose_pod_calls_it_otherwise(gateway):
    _, body = await get(gateway, "/os-hosts?zone=az2")
    assert body["hosts"] == [{"host_name": "compute1@RegionTwo", "service": "compute",
                              "zone": "az2"}]
    _, body = await get(gateway, "/os-hosts?zone=")
    assert len(body["hosts"]) == 4


async def test_a_host_listed_is_shown_from_its_pod_only(gateway):
    gateway.pods["RegionTwo"].more.hosts = ["r2-compute1"]
    resp, body = await get(gateway, "/os-hosts/r2-compute1@RegionTwo")

    assert resp.status == 200
    assert {r["resource"]["host"] for r in body["host"]} == {"r2-compute1@RegionTwo"}
    assert [w for w in gateway.pods["RegionOne"].more.writes if "os-hosts" in w] == []


async def test_a_bare_host_name_is_looked_for_in_every_pod(gateway):
    gateway.pods["RegionTwo"].more.hosts = ["r2-compute1"]
    resp, body = await get(gateway, "/os-hosts/r2-compute1/startup")
    assert resp.status == 200
    assert body == {"host": "r2-compute1@RegionTwo", "power_action": "startup"}


async def test_an_unknown_host_is_nova_404(gateway):
    resp, body = await get(gateway, "/os-hosts/nowhere")
    assert resp.status == 404 and "itemNotFound" in body
    resp, body = await get(gateway, "/os-hosts/compute1@RegionNine")
    assert resp.status == 404 and "itemNotFound" in body


async def test_a_host_update_reaches_its_pod_and_a_bad_status_is_its_400(gateway):
    resp = await gateway.call("PUT", V + "/os-hosts/compute1@RegionTwo",
                              json={"status": "disable"})
    assert resp.status == 200
    assert await resp.json() == {"host": "compute1@RegionTwo", "status": "disabled"}
    assert "PUT /v2.1/os-hosts/compute1" in gateway.pods["RegionTwo"].more.writes
    assert "PUT /v2.1/os-hosts/compute1" not in gateway.pods["RegionOne"].more.writes
    resp = await gateway.call("PUT", V + "/os-hosts/compute1@RegionTwo", json={"status": "x"})
    assert resp.status == 400 and "badRequest" in await resp.json()


async def test_hosts_after_243_are_the_pods_404(gateway):
    resp = await gateway.call("GET", V + "/os-hosts", version="2.43")
    assert resp.status == 404 and "itemNotFound" in await resp.json()


async def test_members_may_not_list_hosts(gateway):
    resp, body = await get(gateway, "/os-hosts", token="p1")
    assert resp.status == 403 and "forbidden" in body
