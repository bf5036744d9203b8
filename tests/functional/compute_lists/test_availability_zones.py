"""Availability zones are the top AZs of the pod registry, never the pods' own."""

AZ = "/compute/v2.1/os-availability-zone"


async def test_zones_are_the_top_azs(gateway):
    resp = await gateway.call("GET", AZ, token="p1")
    assert resp.status == 200
    assert (await resp.json()) == {"availabilityZoneInfo": [
        {"zoneName": "az1", "zoneState": {"available": True}, "hosts": None},
        {"zoneName": "az2", "zoneState": {"available": True}, "hosts": None}]}
    assert resp.headers["OpenStack-API-Version"] == "compute 2.1"


async def test_detail_lists_each_pods_hosts_under_its_top_zone(gateway):
    gateway.pods["RegionOne"].more.hosts = ["r1-compute1"]
    gateway.pods["RegionTwo"].more.hosts = ["r2-compute1"]

    zones = {z["zoneName"]: z for z in (await (await gateway.call(
        "GET", f"{AZ}/detail")).json())["availabilityZoneInfo"]}

    assert list(zones) == ["internal", "az1", "az2"]
    assert list(zones["az1"]["hosts"]) == ["r1-compute1@RegionOne"]
    assert list(zones["az2"]["hosts"]) == ["r2-compute1@RegionTwo"]
    assert set(zones["internal"]["hosts"]) == {"r1-compute1@RegionOne",
                                               "r2-compute1@RegionTwo"}


async def test_host_names_carry_their_region_so_equal_names_never_merge(gateway):
    zones = {z["zoneName"]: z for z in (await (await gateway.call(
        "GET", f"{AZ}/detail")).json())["availabilityZoneInfo"]}
    assert list(zones["az1"]["hosts"]) == ["compute1@RegionOne"]
    assert list(zones["az2"]["hosts"]) == ["compute1@RegionTwo"]
    assert len(zones["internal"]["hosts"]) == 2


async def test_detail_is_refused_as_the_pods_refuse_it(gateway):
    resp = await gateway.call("GET", f"{AZ}/detail", token="p1")
    assert resp.status == 403 and "forbidden" in await resp.json()


async def test_a_zone_whose_pod_is_down_is_unavailable_in_detail(gateway):
    gateway.pods["RegionTwo"].down = "503"
    zones = {z["zoneName"]: z for z in (await (await gateway.call(
        "GET", f"{AZ}/detail")).json())["availabilityZoneInfo"]}
    assert zones["az2"]["zoneState"] == {"available": False}
    assert zones["az1"]["zoneState"] == {"available": True}
