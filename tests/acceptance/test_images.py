"""Images through the gateway against the real lab (issue 5).

An image uploaded at the top lives in its home pod; a server placed in the other
pod gets a replica with the same id first (once); a server snapshot taken in
RegionOne boots in RegionTwo; a delete at the top removes every copy; another
project sees none of demo's private images; a broken-off upload is refused.
Every claim is checked in the pods themselves (admin connections straight to
them) and in the gateway's routing table.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from openstack import exceptions as os_exc

pytestmark = pytest.mark.lab
REGIONS = ("RegionOne", "RegionTwo")
WAIT = 180
DATA = os.urandom(3 * 1024 * 1024 + 17)  # a few chunks, not a whole number of them


def _name(tag: str) -> str:
    return f"img-{tag}-{uuid.uuid4().hex[:6]}"


class Glance:
    """Raw Glance v2 calls through the gateway with a user's token."""

    def __init__(self, gateway: Any, conn: Any) -> None:
        self.base = gateway.url + "/image/v2"
        self.conn = conn

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {"X-Auth-Token": self.conn.auth_token, **kw.pop("headers", {})}
        return requests.request(method, self.base + path, headers=headers, timeout=120, **kw)

    def create(self, name: str, **fields: Any) -> dict[str, Any]:
        resp = self.call("POST", "/images", json={"name": name, "disk_format": "raw",
                                                  "container_format": "bare", **fields})
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    def upload(self, image_id: str, data: bytes) -> None:
        resp = self.call("PUT", f"/images/{image_id}/file", data=data,
                         headers={"Content-Type": "application/octet-stream"})
        assert resp.status_code == 204, resp.text

    def show(self, image_id: str) -> requests.Response:
        return self.call("GET", f"/images/{image_id}")

    def list_ids(self, **params: Any) -> list[str]:
        """Every image id of the merged list, following `next` hrefs."""
        ids: list[str] = []
        resp = self.call("GET", "/images", params=params)
        while True:
            assert resp.status_code == 200, resp.text
            body = resp.json()
            ids += [i["id"] for i in body["images"]]
            if "next" not in body:
                return ids
            resp = self.call("GET", body["next"].removeprefix("/v2"))


@pytest.fixture
def glance(gateway: Any, demo: Any) -> Glance:
    return Glance(gateway, demo)


@pytest.fixture
def cleanup(demo: Any, pod_admin: Any) -> Iterator[dict[str, list[str]]]:
    """Servers and images a test made: deleted afterwards whatever happened,
    straight in the pods when the gateway cannot."""
    made: dict[str, list[str]] = {"servers": [], "images": []}
    yield made
    for server_id in made["servers"]:
        for region in REGIONS:
            try:
                pod_admin(region).compute.delete_server(server_id, ignore_missing=True)
            except os_exc.SDKException:
                pass
    for image_id in made["images"]:
        for region in REGIONS:
            try:
                pod_admin(region).image.delete_image(image_id, ignore_missing=True)
            except os_exc.SDKException:
                pass


def _boot(demo: Any, lab: dict[str, Any], made: dict[str, list[str]], image_id: str,
          az: str) -> Any:
    server = demo.compute.create_server(name=_name("srv"), image_id=image_id,
                                        flavor_id=lab["flavor_id"], networks="none",
                                        availability_zone=az)
    made["servers"].append(server.id)
    return demo.compute.wait_for_server(server, wait=WAIT)


def _in_pod(pod_admin: Any, region: str, image_id: str) -> Any:
    return pod_admin(region).image.find_image(image_id, ignore_missing=True)


def _wait(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def _pod_glance(pod_admin: Any, region: str, path: str) -> Any:
    """GET straight from a pod's Glance v2 (admin)."""
    conn = pod_admin(region)
    base = conn.endpoint_for("image").rstrip("/")
    resp = requests.get(f"{base}/v2{path}", timeout=60,
                        headers={"X-Auth-Token": conn.auth_token,
                                 "OpenStack-API-Version": "image 2.12"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _image_rows(gateway: Any, image_id: str) -> list[Any]:
    return gateway.routes(resource_type="image", top_id=image_id)


def _jobs(gateway: Any, job_type: str, resource_prefix: str) -> list[Any]:
    from tricircle.api import keys
    from tricircle.jobs import api as jobs

    async def read() -> list[Any]:
        async with gateway.app[keys.DB].session() as s:
            return await jobs.list_jobs(s, job_type=job_type, limit=1000)

    return [j for j in gateway.run(read()) if j.resource_key.startswith(resource_prefix)]


def _delete_servers(demo: Any, made: dict[str, list[str]]) -> None:
    for server_id in made["servers"]:
        demo.compute.delete_server(server_id, ignore_missing=True)
    for server_id in made["servers"]:
        server = demo.compute.find_server(server_id, ignore_missing=True)
        if server is not None:
            demo.compute.wait_for_delete(server, wait=WAIT)


def test_image_uploaded_at_top_boots_in_both_pods_with_one_replica_and_delete_removes_both(
        gateway: Any, demo: Any, lab: dict[str, Any], pod_admin: Any, glance: Glance,
        cleanup: dict[str, list[str]]) -> None:
    image = glance.create(_name("up"))
    cleanup["images"].append(image["id"])
    glance.upload(image["id"], DATA)
    shown = glance.show(image["id"]).json()
    assert shown["status"] == "active" and shown["size"] == len(DATA)
    assert shown["os_hash_value"] == hashlib.sha512(DATA).hexdigest()
    home = _image_rows(gateway, image["id"])
    assert [(r.region_name, r.bottom_id) for r in home] == [("RegionOne", image["id"])]
    assert _in_pod(pod_admin, "RegionTwo", image["id"]) is None

    one = _boot(demo, lab, cleanup, image["id"], "az1")
    two = _boot(demo, lab, cleanup, image["id"], "az2")
    again = _boot(demo, lab, cleanup, image["id"], "az2")
    assert {s.status for s in (one, two, again)} == {"ACTIVE"}
    assert one.availability_zone == "az1" and two.availability_zone == "az2"

    replica = pod_admin("RegionTwo").image.get_image(image["id"])
    assert replica.id == image["id"]
    assert replica.hash_value == shown["os_hash_value"] and replica.size == len(DATA)
    rows = _image_rows(gateway, image["id"])
    assert sorted((r.region_name, r.bottom_id) for r in rows) == [
        ("RegionOne", image["id"]), ("RegionTwo", image["id"])]
    copies = _jobs(gateway, "image_replicate", image["id"])
    assert len(copies) == 1 and copies[0].status == "succeeded"
    # the lab's Glance offers glance-download: RegionTwo's Glance fetched the data
    # from RegionOne's itself (one import task in RegionTwo), verified by hash
    assert copies[0].progress == {"method": "glance-download", "status": "active",
                                  "bytes": len(DATA), "total": len(DATA)}
    tasks = _pod_glance(pod_admin, "RegionTwo", f"/images/{image['id']}/tasks")["tasks"]
    assert [(t["status"], t["input"]["import_req"]["method"]["name"],
             t["input"]["import_req"]["method"]["glance_region"]) for t in tasks] == [
        ("success", "glance-download", "RegionOne")]
    # the merged list shows the image once although two pods hold it
    assert glance.list_ids(limit=2).count(image["id"]) == 1

    _delete_servers(demo, cleanup)
    resp = glance.call("DELETE", f"/images/{image['id']}")
    assert resp.status_code == 204, resp.text
    _wait(lambda: all(_in_pod(pod_admin, r, image["id"]) is None for r in REGIONS),
          "the image to be gone from both pods")
    assert _image_rows(gateway, image["id"]) == []
    assert glance.show(image["id"]).status_code == 404


def test_server_snapshot_taken_in_region_one_boots_in_region_two(
        gateway: Any, demo: Any, lab: dict[str, Any], pod_admin: Any, glance: Glance,
        cleanup: dict[str, list[str]]) -> None:
    server = _boot(demo, lab, cleanup, lab["image_id"], "az1")
    resp = requests.post(f"{gateway.compute_url}/servers/{server.id}/action",
                         json={"createImage": {"name": _name("snap")}}, timeout=60,
                         headers={"X-Auth-Token": demo.auth_token,
                                  "OpenStack-API-Version": "compute 2.45"})
    assert resp.status_code == 202, resp.text
    snapshot_id = resp.json()["image_id"]
    cleanup["images"].append(snapshot_id)
    _wait(lambda: glance.show(snapshot_id).json().get("status") == "active",
          "the snapshot to be active")
    assert [r.region_name for r in _image_rows(gateway, snapshot_id)] == ["RegionOne"]
    # Nova's image proxy through the gateway knows it too (tempest's compute image tests)
    nova = requests.get(f"{gateway.compute_url}/images/{snapshot_id}", timeout=60,
                        headers={"X-Auth-Token": demo.auth_token})
    assert nova.status_code == 200 and nova.json()["image"]["status"] == "ACTIVE"
    listed = requests.get(f"{gateway.compute_url}/images/detail", timeout=60,
                          headers={"X-Auth-Token": demo.auth_token}).json()["images"]
    assert [i["id"] for i in listed].count(snapshot_id) == 1

    booted = _boot(demo, lab, cleanup, snapshot_id, "az2")
    assert booted.status == "ACTIVE" and booted.availability_zone == "az2"
    assert pod_admin("RegionTwo").image.get_image(snapshot_id).id == snapshot_id
    _delete_servers(demo, cleanup)
    assert glance.call("DELETE", f"/images/{snapshot_id}").status_code == 204
    _wait(lambda: all(_in_pod(pod_admin, r, snapshot_id) is None for r in REGIONS),
          "the snapshot to be gone from both pods")


def test_another_project_sees_none_of_demos_private_images(
        gateway: Any, demo: Any, alt: Any, lab: dict[str, Any], pod_admin: Any,
        glance: Glance, cleanup: dict[str, list[str]]) -> None:
    image = glance.create(_name("private"), visibility="private")
    cleanup["images"].append(image["id"])
    glance.upload(image["id"], DATA[:4096])
    as_alt = Glance(gateway, alt)
    assert as_alt.show(image["id"]).status_code == 404
    assert image["id"] not in as_alt.list_ids()
    assert lab["image_id"] in as_alt.list_ids()  # public images are everyone's
    assert as_alt.call("DELETE", f"/images/{image['id']}").status_code == 404
    patched = as_alt.call("PATCH", f"/images/{image['id']}", data=json.dumps(
        [{"op": "replace", "path": "/name", "value": "x"}]), headers={
        "Content-Type": "application/openstack-images-v2.1-json-patch"})
    assert patched.status_code == 404
    # booting alt's server from it copies nothing anywhere
    with pytest.raises(os_exc.SDKException):
        server = alt.compute.create_server(name=_name("alt"), image_id=image["id"],
                                           flavor_id=lab["flavor_id"], networks="none",
                                           availability_zone="az2")
        cleanup["servers"].append(server.id)
        alt.compute.wait_for_server(server, wait=WAIT)
    assert _in_pod(pod_admin, "RegionTwo", image["id"]) is None
    assert glance.show(image["id"]).json()["name"] == image["name"]


def _raw_upload(glance: Glance, image_id: str, head: str, body: bytes,
                half_close: bool) -> bytes:
    """Send an upload by hand (what no client library would send); the answer."""
    url = urlsplit(glance.base)
    with socket.create_connection((url.hostname, url.port), timeout=60) as sock:
        sock.sendall((f"PUT {url.path}/images/{image_id}/file HTTP/1.1\r\n"
                      f"Host: {url.netloc}\r\nX-Auth-Token: {glance.conn.auth_token}\r\n"
                      "Content-Type: application/octet-stream\r\n" + head + "\r\n"
                      ).encode() + body)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:  # reset by the server after its answer
            pass
    return answer


def test_corrupt_upload_is_refused_and_stores_nothing(
        gateway: Any, glance: Glance, cleanup: dict[str, list[str]]) -> None:
    image = glance.create(_name("bad"))
    cleanup["images"].append(image["id"])
    # a chunked upload whose second chunk header is garbage: the HTTP layer
    # answers 400 (aiohttp's plain text, before any handler) and the pod's
    # half-received upload is abandoned
    answer = _raw_upload(glance, image["id"], "Transfer-Encoding: chunked\r\n",
                         b"10000\r\n" + DATA[:65536] + b"\r\nnot-a-chunk-size\r\n",
                         half_close=False)
    assert answer.startswith((b"HTTP/1.1 400 ", b"HTTP/1.0 400 ")), answer[:500]
    _wait(lambda: glance.show(image["id"]).json()["status"] == "queued",
          "the image to be back to queued", timeout=30)
    assert glance.show(image["id"]).json()["size"] is None


def test_upload_to_an_active_image_is_refused_in_glance_words(
        gateway: Any, glance: Glance, cleanup: dict[str, list[str]]) -> None:
    image = glance.create(_name("twice"))
    cleanup["images"].append(image["id"])
    glance.upload(image["id"], DATA[:1024])
    resp = glance.call("PUT", f"/images/{image['id']}/file", data=DATA[:2048],
                       headers={"Content-Type": "application/octet-stream"})
    assert resp.status_code == 409 and "<h1>409 Conflict</h1>" in resp.text
    assert glance.show(image["id"]).json()["size"] == 1024


def test_upload_that_breaks_off_stores_nothing(
        gateway: Any, glance: Glance, cleanup: dict[str, list[str]]) -> None:
    image = glance.create(_name("cut"))
    cleanup["images"].append(image["id"])
    _raw_upload(glance, image["id"], f"Content-Length: {len(DATA)}\r\n", DATA[:100_000],
                half_close=True)
    _wait(lambda: glance.show(image["id"]).json()["status"] == "queued",
          "the image to be back to queued", timeout=30)
    assert glance.show(image["id"]).json()["size"] is None
    glance.upload(image["id"], DATA)  # a complete upload afterwards works
    assert glance.show(image["id"]).json()["size"] == len(DATA)
