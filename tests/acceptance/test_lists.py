"""Server lists through the gateway against the real lab (openstacksdk).

Servers of both pods, merged in Nova's order; `limit=1` paging through the
gateway's next hrefs; sort keys; tenant isolation; a pod late or down.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from openstack import exceptions as os_exc

pytestmark = pytest.mark.lab
WAIT = 180
AZS = ("az1", "az1", "az2", "az2")


@pytest.fixture(scope="module")
def listed(demo: Any, lab: dict[str, Any]) -> Iterator[list[Any]]:
    """Four demo servers, two per pod, created one after the other."""
    tag = uuid.uuid4().hex[:6]
    made = []
    try:
        for i, az in enumerate(AZS):
            made.append(demo.compute.create_server(
                name=f"ls-{tag}-{i}", image_id=lab["image_id"], flavor_id=lab["flavor_id"],
                networks="none", availability_zone=az))
            time.sleep(1.1)  # distinct `created` seconds: a known expected order
        yield [demo.compute.wait_for_server(s, wait=WAIT) for s in made]
    finally:
        for server in made:
            try:
                demo.compute.delete_server(server, ignore_missing=True)
            except os_exc.SDKException:
                pass


def _ids(servers: Any) -> list[str]:
    return [s.id for s in servers]


def test_server_list_shows_both_pods_merged_newest_first(demo, listed, pod_admin):
    ours = {s.id for s in listed}
    raw = demo.compute.get("/servers")
    assert "X-Tricircle-Missing-Pods" not in raw.headers, raw.headers
    assert ours <= {s["id"] for s in raw.json()["servers"]}, raw.text
    everything = list(demo.compute.servers(details=True))

    shown = [s for s in everything if s.id in ours]
    assert [s.name for s in shown] == [s.name for s in reversed(listed)]
    created = [s.created_at for s in everything]
    assert created == sorted(created, reverse=True)
    zones = {s.name: s.availability_zone for s in shown}
    assert sorted(zones.values()) == ["az1", "az1", "az2", "az2"]


def test_limit_one_paging_visits_every_server_exactly_once(demo, listed):
    before = set(_ids(demo.compute.servers()))
    paged = _ids(demo.compute.servers(limit=1))
    after = set(_ids(demo.compute.servers()))

    assert len(paged) == len(set(paged)), "a server was listed twice"
    assert before & after <= set(paged), "paging skipped a server"
    assert {s.id for s in listed} <= set(paged)


def test_paging_by_two_follows_the_gateway_next_links(demo, listed, gateway):
    resp = demo.compute.get("/servers?limit=2")
    body = resp.json()
    assert len(body["servers"]) == 2
    href = body["servers_links"][0]["href"]
    assert href.startswith(gateway.compute_url + "/servers?")
    assert f"marker={body['servers'][1]['id']}" in href


def test_sort_keys_are_honoured_across_pods(demo, listed):
    names = [s.name for s in demo.compute.servers(sort_key="display_name", sort_dir="asc")]
    assert names == sorted(names, key=str.casefold)
    ours = [n for n in names if n.startswith(listed[0].name[:-1])]
    assert ours == sorted(s.name for s in listed)


def test_a_hand_written_marker_continues_after_that_server(demo, listed):
    # other sessions may share the demo project: compare only this module's servers
    ours = {s.id for s in listed}
    rest = demo.compute.get(f"/servers?marker={listed[2].id}").json()["servers"]
    assert [s["id"] for s in rest if s["id"] in ours] == [listed[1].id, listed[0].id]


def test_unknown_marker_is_novas_400(demo, listed):
    resp = demo.compute.get(f"/servers?marker={uuid.uuid4()}")
    assert resp.status_code == 400
    assert "not found" in resp.json()["badRequest"]["message"]


def test_another_tenant_sees_none_of_the_servers(alt, listed):
    assert not {s.id for s in listed} & set(_ids(alt.compute.servers()))


class _Blackhole:
    """A TCP port that accepts connections and never answers (a hung pod)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def region_two_hung(gateway, lab) -> Iterator[None]:
    """RegionTwo's compute endpoint, as the gateway sees it, hangs; restored after.

    Only the gateway's view changes (no lab process is touched), for a few
    seconds: less than the health prober needs to call the pod unhealthy.
    """
    from tricircle.api import keys

    pods = gateway.app[keys.PODS]
    real = dict(lab["regions"]["RegionTwo"])
    endpoints = {k: v for k, v in real.items() if k in ("compute", "placement", "network",
                                                          "image", "volumev3")}
    hole = _Blackhole()
    gateway.loop.call_soon_threadsafe(
        pods.set_endpoints, "RegionTwo",
        {**endpoints, "compute": f"http://127.0.0.1:{hole.port}/v2.1"})
    time.sleep(0.2)
    try:
        yield
    finally:
        gateway.loop.call_soon_threadsafe(pods.set_endpoints, "RegionTwo", endpoints)
        time.sleep(0.2)
        hole.close()


def test_a_hung_pod_costs_only_the_deadline(demo, listed, gateway, region_two_hung):
    deadline = gateway.conf.fanout.pod_deadline
    started = time.monotonic()
    resp = demo.compute.get("/servers/detail")
    took = time.monotonic() - started

    assert resp.status_code == 200
    assert took < deadline + 2.0
    names = {s["name"] for s in resp.json()["servers"]}
    assert {listed[0].name, listed[1].name} <= names
    assert not {listed[2].name, listed[3].name} & names
    assert resp.headers["X-Tricircle-Missing-Pods"] == "RegionTwo"


def test_at_2_69_the_hung_pods_servers_show_as_unknown(demo, listed, region_two_hung):
    resp = demo.compute.get("/servers/detail", microversion="2.69")

    assert resp.status_code == 200
    by_id = {s["id"]: s for s in resp.json()["servers"]}
    for server in listed[2:]:
        assert by_id[server.id]["status"] == "UNKNOWN"
        assert set(by_id[server.id]) == {"id", "status", "links", "tenant_id", "created"}
    for server in listed[:2]:
        assert by_id[server.id]["status"] == "ACTIVE"


def test_the_list_is_whole_again_when_the_pod_answers(demo, listed):
    assert {s.id for s in listed} <= set(_ids(demo.compute.servers()))


# ---- admin listings across pods -----------------------------------------------------
def test_hypervisors_of_both_pods_carry_their_region(admin, pod_admin):
    shown = admin.compute.get("/os-hypervisors/detail").json()["hypervisors"]
    by_region: dict[str, list[str]] = {}
    for hypervisor in shown:
        name, _, region = hypervisor["hypervisor_hostname"].rpartition("@")
        by_region.setdefault(region, []).append(name)

    for region in ("RegionOne", "RegionTwo"):
        direct = pod_admin(region).compute.get("/os-hypervisors").json()["hypervisors"]
        assert sorted(by_region[region]) == sorted(h["hypervisor_hostname"] for h in direct)
    one = admin.compute.get(f"/os-hypervisors/{shown[-1]['id']}").json()["hypervisor"]
    assert one["hypervisor_hostname"] == shown[-1]["hypervisor_hostname"]


def test_compute_services_of_both_pods_are_in_their_top_zones(admin):
    services = admin.compute.get("/os-services?binary=nova-compute").json()["services"]
    zones = {s["host"].rpartition("@")[2]: s["zone"] for s in services}
    assert zones == {"RegionOne": "az1", "RegionTwo": "az2"}


def test_availability_zone_detail_lists_each_pods_hosts_under_its_zone(admin):
    zones = {z["zoneName"]: z for z in
             admin.compute.get("/os-availability-zone/detail").json()["availabilityZoneInfo"]}
    assert {h.rpartition("@")[2] for h in zones["az1"]["hosts"]} == {"RegionOne"}
    assert {h.rpartition("@")[2] for h in zones["az2"]["hosts"]} == {"RegionTwo"}


def test_hosts_of_both_pods_are_listed_shown_and_usable_in_an_aggregate(admin, pod_admin):
    """`openstack host list` then `aggregate add host` with a listed name (OSC's own test)."""
    hosts = admin.compute.get("/os-hosts").json()["hosts"]
    computes = {h["host_name"].rpartition("@")[2]: h for h in hosts if h["service"] == "compute"}
    assert {r: h["zone"] for r, h in computes.items()} == {"RegionOne": "az1", "RegionTwo": "az2"}
    direct = pod_admin("RegionTwo").compute.get("/os-hosts?zone=az2").json()["hosts"]
    assert [h["host_name"] + "@RegionTwo" for h in direct] == [
        h["host_name"] for h in admin.compute.get("/os-hosts?zone=az2").json()["hosts"]]

    name = computes["RegionOne"]["host_name"]
    shown = admin.compute.get(f"/os-hosts/{name}").json()["host"]
    assert {r["resource"]["host"] for r in shown} == {name}
    assert admin.compute.get("/os-hosts/nowhere@RegionOne").status_code == 404

    aggregate = admin.compute.create_aggregate(name=f"hosts-{uuid.uuid4().hex[:6]}")
    try:
        added = admin.compute.add_host_to_aggregate(aggregate, name)
        assert added.hosts == [name]
        assert admin.compute.remove_host_from_aggregate(aggregate, name).hosts == []
    finally:
        admin.compute.delete_aggregate(aggregate, ignore_missing=True)
