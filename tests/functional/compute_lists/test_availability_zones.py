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
    assert list(zones["az1"]["hosts"]) == ["r1-compute1"]
    assert list(zones["az2"]["hosts"]) == ["r2-compute1"]
    assert set(zones["internal"]["hosts"]) == {"r1-compute1", "r2-compute1"}


async def test_detail_qualifies_host_names_used_by_several_pods(gateway):
    zones = {z["zoneName"]: z for z in (await (await gateway.call(
        "GET", f"{AZ}/detail")).json())["availabilityZoneInfo"]}
    assert list(zones["az1"]["hosts"]) == ["RegionOne/compute1"]
    assert list(zones["az2"]["hosts"]) == ["RegionTwo/compute1"]


async def test_detail_is_refused_as_the_pods_refuse_it(gateway):
    resp = await gateway.call("GET", f"{AZ}/detail", token="p1")
    assert resp.status == 403 and "forbidden" in await resp.json()


async def test_a_zone_whose_pod_is_down_is_unavailable_in_detail(gateway):
    gateway.pods["RegionTwo"].down = "503"
    zones = {z["zoneName"]: z for z in (await (await gateway.call(
        "GET", f"{AZ}/detail")).json())["availabilityZoneInfo"]}
    assert zones["az2"]["zoneState"] == {"available": False}
    assert zones["az1"]["zoneState"] == {"available": True}
