"""Volumes through the gateway against the real lab (Cinder + Nova in two pods).

Every volume is checked where it really is (an admin connection straight to the
pod). Each test cleans up what it made, straight in the pods when the gateway
cannot.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from openstack import exceptions as os_exc

pytestmark = pytest.mark.lab
REGIONS = {"az1": "RegionOne", "az2": "RegionTwo"}
WAIT = 180


def _name(tag: str) -> str:
    return f"vt-{tag}-{uuid.uuid4().hex[:6]}"


class Made:
    """What a test created, deleted afterwards in reverse order."""

    def __init__(self, conn: Any, pod_admin: Any) -> None:
        self.conn, self.pod_admin = conn, pod_admin
        self.items: list[tuple[str, Any]] = []

    def add(self, kind: str, item: Any) -> Any:
        self.items.append((kind, item))
        return item

    def cleanup(self) -> None:
        for kind, item in reversed(self.items):
            try:
                self._delete(kind, item)
            except os_exc.SDKException:
                self._delete_in_pods(kind, item.id)

    def _delete(self, kind: str, item: Any) -> None:
        if kind == "server":
            self.conn.compute.delete_server(item, ignore_missing=True)
            self.conn.compute.wait_for_delete(item, wait=WAIT)
        elif kind == "image":
            self.conn.image.delete_image(item, ignore_missing=True)
        else:
            proxy = self.conn.block_storage
            getattr(proxy, f"delete_{kind}")(item, ignore_missing=True)
            proxy.wait_for_delete(item, wait=WAIT)

    def _delete_in_pods(self, kind: str, ident: str) -> None:
        for region in REGIONS.values():
            pod = self.pod_admin(region)
            try:
                if kind == "server":
                    pod.compute.delete_server(ident, ignore_missing=True, force=True)
                elif kind == "image":
                    pod.image.delete_image(ident, ignore_missing=True)
                else:
                    getattr(pod.block_storage, f"delete_{kind}")(ident, ignore_missing=True)
            except os_exc.SDKException:
                pass


@pytest.fixture
def made(demo: Any, pod_admin: Any) -> Iterator[Made]:
    things = Made(demo, pod_admin)
    yield things
    things.cleanup()


def _volume(conn: Any, made: Made, az: str, **kw: Any) -> Any:
    volume = made.add("volume", conn.block_storage.create_volume(
        name=_name(az), size=kw.pop("size", 1), availability_zone=az, **kw))
    return conn.block_storage.wait_for_status(volume, "available", failures=["error"],
                                              wait=WAIT)


def _until(probe: Any, wait: float = WAIT) -> Any:
    """The first truthy value of `probe()`, polled until `wait` seconds passed."""
    deadline = time.monotonic() + wait
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            assert value, "condition not reached in time"
            return value
        time.sleep(1)


def _settled(volume: Any, **want: Any) -> Any:
    """`volume` once available with the wanted attributes, else None."""
    ok = volume.status == "available" and all(getattr(volume, k) == v for k, v in want.items())
    return volume if ok else None


def _in_pod(pod_admin: Any, region: str, volume_id: str) -> Any:
    return pod_admin(region).block_storage.get_volume(volume_id)


def _server(conn: Any, made: Made, lab: dict[str, Any], **kw: Any) -> Any:
    server = made.add("server", conn.compute.create_server(
        name=_name("srv"), flavor_id=lab["flavor_id"], networks="none", **kw))
    return conn.compute.wait_for_server(server, wait=WAIT)


def test_a_volume_created_at_the_top_lands_in_each_az_and_lists_merged(demo, made, pod_admin,
                                                                        gateway, lab):
    one, two = _volume(demo, made, "az1"), _volume(demo, made, "az2")
    assert (one.availability_zone, two.availability_zone) == ("az1", "az2")
    assert _in_pod(pod_admin, "RegionOne", one.id).name == one.name
    assert _in_pod(pod_admin, "RegionTwo", two.id).name == two.name
    # the gateway's marker is in the pod, never shown at the top
    assert "tricircle_top_id" in _in_pod(pod_admin, "RegionTwo", two.id).metadata
    assert demo.block_storage.get_volume(two.id).metadata == {}
    listed = [v.id for v in demo.block_storage.volumes()]
    # newest first across pods, in Cinder's order: created_at, then id, both descending
    # (created_at has whole seconds: two volumes made within one second tie on it)
    newest_first = sorted([one, two], key=lambda v: (v.created_at, v.id), reverse=True)
    assert [i for i in listed if i in (one.id, two.id)] == [v.id for v in newest_first]
    paged = [v.id for v in demo.block_storage.volumes(limit=1)]
    assert len(paged) == len(set(paged)) and {one.id, two.id} <= set(paged)
    rows = {r.top_id: r.region_name for r in gateway.routes(resource_type="volume")}
    assert (rows[one.id], rows[two.id]) == ("RegionOne", "RegionTwo")
    # Nova's volume proxy (below 2.36) reaches each volume in its own pod
    token = {"X-Auth-Token": demo.session.get_token()}
    shown = requests.get(f"{gateway.compute_url}/os-volumes/{two.id}", headers=token,
                         timeout=30)
    assert shown.status_code == 200 and shown.json()["volume"]["availabilityZone"] == "az2"
    proxied = requests.get(f"{gateway.compute_url}/os-volumes", headers=token, timeout=30)
    assert {one.id, two.id} <= {v["id"] for v in proxied.json()["volumes"]}
    # the usage in /limits is the sum of both pods' (read around it: other tests may race)
    assert _until(lambda: _limits_add_up(gateway, lab, token), wait=20)


def _used(url: str, token: dict[str, str]) -> int:
    absolute = requests.get(url, headers=token, timeout=30).json()["limits"]["absolute"]
    return int(absolute["totalVolumesUsed"])


def _limits_add_up(gateway: Any, lab: dict[str, Any], token: dict[str, str]) -> bool:
    pods = sum(_used(lab["regions"][r]["volumev3"] + "/limits", token) for r in REGIONS.values())
    return _used(f"{gateway.url}/volume/v3/limits", token) == pods


def test_update_metadata_extend_and_delete_reach_the_volumes_pod(demo, made, pod_admin):
    volume = _volume(demo, made, "az2")
    demo.block_storage.update_volume(volume, description="tricircle")
    demo.block_storage.set_volume_metadata(volume, tier="gold")
    demo.block_storage.extend_volume(volume, 2)
    volume = _until(lambda: _settled(demo.block_storage.get_volume(volume.id), size=2))
    in_pod = _in_pod(pod_admin, "RegionTwo", volume.id)
    assert (in_pod.size, in_pod.description, in_pod.metadata["tier"]) == (2, "tricircle", "gold")
    assert demo.block_storage.get_volume(volume).metadata == {"tier": "gold"}
    demo.block_storage.delete_volume(volume)
    demo.block_storage.wait_for_delete(volume, wait=WAIT)
    with pytest.raises(os_exc.NotFoundException):
        _in_pod(pod_admin, "RegionTwo", volume.id)


def test_snapshot_backup_and_restore_stay_in_the_volumes_pod(demo, made, pod_admin, gateway):
    volume = _volume(demo, made, "az2")
    snapshot = made.add("snapshot", demo.block_storage.create_snapshot(
        volume_id=volume.id, name=_name("snap")))
    snapshot = demo.block_storage.wait_for_status(snapshot, "available", wait=WAIT)
    assert pod_admin("RegionTwo").block_storage.get_snapshot(snapshot.id).name == snapshot.name
    clone = _volume(demo, made, "az2", snapshot_id=snapshot.id)
    assert _in_pod(pod_admin, "RegionTwo", clone.id).snapshot_id == snapshot.id
    backup = made.add("backup", demo.block_storage.create_backup(volume_id=volume.id,
                                                                 name=_name("bk")))
    backup = demo.block_storage.wait_for_status(backup, "available", failures=["error"],
                                                wait=WAIT)
    assert pod_admin("RegionTwo").block_storage.get_backup(backup.id).name == backup.name
    assert backup.id in [b.id for b in demo.block_storage.backups()]
    restored = demo.block_storage.restore_backup(backup, name=_name("restored"))
    new = made.add("volume", demo.block_storage.get_volume(restored["volume_id"]))
    new = demo.block_storage.wait_for_status(new, "available", failures=["error"], wait=WAIT)
    assert new.availability_zone == "az2"
    assert _in_pod(pod_admin, "RegionTwo", new.id).id == new.id
    assert {r.top_id for r in gateway.routes(resource_type="volume")} >= {new.id}
    # a backup in the other pod too: paging by one visits every backup once
    other = made.add("backup", demo.block_storage.create_backup(
        volume_id=_volume(demo, made, "az1").id, name=_name("bk1")))
    other = demo.block_storage.wait_for_status(other, "available", failures=["error"],
                                               wait=WAIT)
    token = {"X-Auth-Token": demo.session.get_token()}
    project = demo.current_project_id
    for view in ("backups", "backups/detail"):
        everything = _paged(f"{gateway.url}/volume/v3/{project}/{view}", token, "backups")
        paged = _paged(f"{gateway.url}/volume/v3/{project}/{view}?limit=1", token, "backups")
        assert len(paged) == len(set(paged)) and paged == everything
        assert {backup.id, other.id} <= set(paged)
        # a marker a client writes itself (a plain top id, no gateway cursor)
        after = _paged(f"{gateway.url}/volume/v3/{project}/{view}?marker={paged[0]}",
                       token, "backups")
        assert after == paged[1:]


def _paged(url: str, token: dict[str, str], key: str) -> list[str]:
    """Every id of a Cinder list, following its `<key>_links` next hrefs."""
    ids: list[str] = []
    while url:
        resp = requests.get(url, headers=token, timeout=30)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        ids += [item["id"] for item in body[key]]
        url = next((link["href"] for link in body.get(f"{key}_links", [])
                    if link.get("rel") == "next"), "")
        assert len(ids) < 1000, "the next hrefs loop"
    return ids


def test_attach_in_one_pod_and_409_across_pods(demo, made, pod_admin, lab):
    server = _server(demo, made, lab, image_id=lab["image_id"], availability_zone="az1")
    near, far = _volume(demo, made, "az1"), _volume(demo, made, "az2")
    with pytest.raises(os_exc.ConflictException) as refused:
        demo.compute.create_volume_attachment(server, volume_id=far.id)
    assert "same pod" in str(refused.value) and "az2" in str(refused.value)
    demo.compute.create_volume_attachment(server, volume_id=near.id)
    attached = demo.block_storage.wait_for_status(near, "in-use", wait=WAIT)
    assert attached.attachments[0]["server_id"] == server.id
    assert _in_pod(pod_admin, "RegionOne", near.id).status == "in-use"
    demo.compute.delete_volume_attachment(near.id, server)
    demo.block_storage.wait_for_status(near, "available", wait=WAIT)


def test_a_server_made_without_az_joins_the_projects_volume_so_it_can_attach(
        demo, made, pod_admin, lab, gateway):
    """`volume create`, `server create`, `server add volume`, no AZ named: the server
    goes to the volume's pod even where free capacity alone would send it elsewhere."""
    from tests.acceptance.test_servers import _expected_by_capacity

    flavor = pod_admin("RegionOne").compute.get_flavor(lab["flavor_id"])
    by_capacity = _expected_by_capacity(pod_admin, gateway, flavor)
    other_az = next(az for az, region in REGIONS.items() if region != by_capacity)
    volume = _volume(demo, made, other_az)
    server = _server(demo, made, lab, image_id=lab["image_id"])
    assert server.availability_zone == other_az
    demo.compute.create_volume_attachment(server, volume_id=volume.id)
    attached = demo.block_storage.wait_for_status(volume, "in-use", wait=WAIT)
    assert attached.attachments[0]["server_id"] == server.id
    demo.compute.delete_volume_attachment(volume.id, server)
    demo.block_storage.wait_for_status(volume, "available", wait=WAIT)


def test_boot_from_volume_places_the_server_in_the_volumes_pod(demo, made, lab, pod_admin,
                                                               gateway):
    volume = _volume(demo, made, "az2", image_id=lab["image_id"])
    assert demo.block_storage.get_volume(volume).is_bootable
    server = _server(demo, made, lab, block_device_mapping=[{
        "boot_index": 0, "uuid": volume.id, "source_type": "volume",
        "destination_type": "volume", "delete_on_termination": False}])
    assert server.availability_zone == "az2"
    assert pod_admin("RegionTwo").compute.get_server(server.id).id == server.id
    _attachments_route_to_their_pod(demo, made, gateway, volume, server)


def _cinder(gateway: Any, demo: Any, method: str, path: str, version: str = "3.27",
            **kw: Any) -> requests.Response:
    return requests.request(method, f"{gateway.url}/volume/v3/{demo.current_project_id}{path}",
                            headers={"X-Auth-Token": demo.session.get_token(),
                                     "OpenStack-API-Version": f"volume {version}"},
                            timeout=60, **kw)


def _attachments_route_to_their_pod(demo: Any, made: Made, gateway: Any, volume: Any,
                                    server: Any) -> None:
    """v3 attachments (3.27) in RegionTwo, not the default pod: the one RegionTwo's
    Nova made at boot is found and routed; one made through the gateway too."""
    nova_made = demo.block_storage.get_volume(volume).attachments[0]["attachment_id"]
    shown = _cinder(gateway, demo, "GET", f"/attachments/{nova_made}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["attachment"]["volume_id"] == volume.id
    rows = gateway.routes(resource_type="volume_attachment", top_id=nova_made)
    assert [r.region_name for r in rows] == ["RegionTwo"]
    listed = _cinder(gateway, demo, "GET", f"/attachments?volume_id={volume.id}")
    assert [a["id"] for a in listed.json()["attachments"]] == [nova_made]
    assert nova_made in [a["id"] for a in _cinder(gateway, demo, "GET",
                                                 "/attachments/detail").json()["attachments"]]
    spare = _volume(demo, made, "az2")
    made_here = _cinder(gateway, demo, "POST", "/attachments", json={"attachment": {
        "volume_uuid": spare.id, "instance_uuid": server.id}})
    assert made_here.status_code == 200, made_here.text
    attachment = made_here.json()["attachment"]["id"]
    rows = gateway.routes(resource_type="volume_attachment", top_id=attachment)
    assert [(r.region_name, r.bottom_id) for r in rows] == [("RegionTwo", attachment)]
    assert demo.block_storage.get_volume(spare).status == "reserved"
    assert _cinder(gateway, demo, "DELETE", f"/attachments/{attachment}").status_code == 200
    demo.block_storage.wait_for_status(spare, "available", wait=WAIT)
    missing = _cinder(gateway, demo, "GET", f"/attachments/{uuid.uuid4()}")
    assert missing.status_code == 404 and "itemNotFound" in missing.text


def test_upload_to_image_then_a_volume_from_it_in_a_pod_without_the_image(demo, alt, made,
                                                                           pod_admin):
    volume = _volume(demo, made, "az2")
    name = _name("img")
    answer = demo.block_storage.upload_volume_to_image(volume, name, disk_format="qcow2",
                                                       container_format="bare")
    image = made.add("image", demo.image.get_image(answer["image_id"]))
    image = demo.image.wait_for_status(image, "active", failures=["killed"], wait=WAIT)
    demo.block_storage.wait_for_status(volume, "available", wait=WAIT)
    assert pod_admin("RegionTwo").image.get_image(image.id).name == name
    with pytest.raises(os_exc.NotFoundException):
        pod_admin("RegionOne").image.get_image(image.id)
    copy = _volume(demo, made, "az1", image_id=image.id)
    assert _in_pod(pod_admin, "RegionOne", copy.id).volume_image_metadata["image_id"] == image.id
    # another tenant sees neither the private image nor the volumes
    assert image.id not in [i.id for i in alt.image.images()]
    assert not {volume.id, copy.id} & {v.id for v in alt.block_storage.volumes()}
    with pytest.raises(os_exc.NotFoundException):
        alt.block_storage.get_volume(volume.id)


def test_volume_type_with_extra_specs_exists_in_every_pod(admin, demo, made, pod_admin):
    name = _name("type")
    vtype = admin.block_storage.create_type(name=name, extra_specs={"tc:tier": "gold"})
    try:
        for region in REGIONS.values():
            in_pod = pod_admin(region).block_storage.find_type(name)
            assert in_pod is not None and in_pod.extra_specs == {"tc:tier": "gold"}
        admin.block_storage.update_type_extra_specs(vtype, **{"tc:speed": "fast"})
        for region in REGIONS.values():
            specs = pod_admin(region).block_storage.find_type(name).extra_specs
            assert specs == {"tc:tier": "gold", "tc:speed": "fast"}
        # the top id works in the pod whose own id differs
        volume = _volume(demo, made, "az2", volume_type=vtype.id)
        assert volume.volume_type == name
        made.cleanup()
        made.items.clear()
    finally:
        admin.block_storage.delete_type(vtype)
    for region in REGIONS.values():
        assert pod_admin(region).block_storage.find_type(name) is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_pod_down_is_left_out_of_the_list_without_failing_it(demo, made, gateway, lab):
    from tricircle.api import keys

    one, two = _volume(demo, made, "az1"), _volume(demo, made, "az2")
    pods = gateway.app[keys.PODS]
    real = {k: v for k, v in lab["regions"]["RegionTwo"].items()
            if k in ("compute", "placement", "network", "image", "volumev3")}
    down = {**real, "volumev3": f"http://127.0.0.1:{_closed_port()}/v3"}
    gateway.loop.call_soon_threadsafe(pods.set_endpoints, "RegionTwo", down)
    time.sleep(0.2)
    try:
        token = demo.session.get_token()
        resp = requests.get(f"{gateway.url}/volume/v3/volumes", headers={"X-Auth-Token": token},
                            timeout=30)
        assert resp.status_code == 200
        ids = [v["id"] for v in resp.json()["volumes"]]
        assert one.id in ids and two.id not in ids
        assert resp.headers["X-Tricircle-Missing-Pods"] == "RegionTwo"
    finally:
        gateway.loop.call_soon_threadsafe(pods.set_endpoints, "RegionTwo", real)
        time.sleep(0.2)
    assert two.id in [v.id for v in demo.block_storage.volumes()]


def test_a_transfer_hands_the_volume_to_another_project(demo, alt, made, pod_admin, gateway,
                                                        lab):
    volume = _volume(demo, made, "az2")
    transfer = demo.block_storage.create_transfer(volume_id=volume.id, name=_name("xfer"))
    assert transfer.id in [t.id for t in demo.block_storage.transfers()]
    alt.block_storage.accept_transfer(transfer.id, transfer.auth_key)
    made.items.remove(("volume", volume))
    try:
        assert alt.block_storage.get_volume(volume.id).id == volume.id
        with pytest.raises(os_exc.NotFoundException):
            demo.block_storage.get_volume(volume.id)
        (row,) = [r for r in gateway.routes(resource_type="volume") if r.top_id == volume.id]
        assert row.project_id == lab["projects"]["alt_demo"]
    finally:
        alt.block_storage.delete_volume(volume.id, ignore_missing=True)
        alt.block_storage.wait_for_delete(volume, wait=WAIT)


def _owner_shows_and_deletes(gateway: Any, demo: Any, admin: Any, path: str, key: str,
                             version: str, deleted: int) -> None:
    """The row of what the admin made on demo's volume is demo's: demo shows it
    (and lists it), the admin still sees it, demo deletes it."""
    shown = _cinder(gateway, demo, "GET", path, version)
    assert shown.status_code == 200, shown.text
    (row,) = gateway.routes(resource_type=f"volume_{key}", top_id=path.rsplit("/", 1)[-1])
    assert row.project_id == demo.current_project_id
    assert _cinder(gateway, admin, "GET", path, version).status_code == 200
    listed = _cinder(gateway, demo, "GET", f"{path.rsplit('/', 1)[0]}/detail", version)
    assert shown.json()[key]["id"] in [i["id"] for i in listed.json()[f"{key}s"]]
    gone = _cinder(gateway, demo, "DELETE", path, version)
    assert gone.status_code == deleted, gone.text


def _drop_in_pod(pod_admin: Any, region: str, path: str, version: str) -> None:
    """Cleanup of what a failed test left (already gone: Cinder's 404, ignored)."""
    try:
        pod_admin(region).block_storage.delete(path, microversion=version)
    except os_exc.SDKException:
        pass


# what an admin makes on demo's volume: (key, collection, microversion, POST and DELETE
# status, the body's member for a volume id)
MADE_BY_ADMIN = {
    "attachment": ("/attachments", "3.27", 200, 200,
                   lambda vid: {"volume_uuid": vid, "instance_uuid": str(uuid.uuid4())}),
    "transfer": ("/volume-transfers", "3.55", 202, 202,
                 lambda vid: {"volume_id": vid, "name": _name("xfer")}),
}


@pytest.mark.parametrize("key", sorted(MADE_BY_ADMIN))
def test_an_admins_attachment_or_transfer_on_demos_volume_is_demos(
        key, demo, admin, alt, made, gateway, pod_admin):
    collection, version, created, deleted, member = MADE_BY_ADMIN[key]
    volume = _volume(demo, made, "az2")
    body = {key: member(volume.id)}
    refused = _cinder(gateway, alt, "POST", collection, version, json=body)
    assert refused.status_code == 404 and "itemNotFound" in refused.text  # not alt's
    made_by_admin = _cinder(gateway, admin, "POST", collection, version, json=body)
    assert made_by_admin.status_code == created, made_by_admin.text
    path = f"{collection}/{made_by_admin.json()[key]['id']}"
    try:
        _owner_shows_and_deletes(gateway, demo, admin, path, key, version, deleted)
    finally:
        _drop_in_pod(pod_admin, "RegionTwo", path, version)
    demo.block_storage.wait_for_status(volume, "available", wait=WAIT)


def _wait_status(gateway: Any, demo: Any, path: str, key: str, want: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        item = _cinder(gateway, demo, "GET", path, "3.14").json()[key]
        assert item["status"] != "error", item
        return item if item["status"] == want else None

    return dict(_until(probe))


def _group_type_ids(pod_admin: Any, region: str) -> dict[str, str]:
    conn = pod_admin(region)
    resp = conn.block_storage.get("/group_types?is_public=None",
                                  microversion="3.11").json()["group_types"]
    return {t["name"]: t["id"] for t in resp}


def test_groups_follow_their_az_and_group_types_exist_in_every_pod(admin, demo, gateway,
                                                                  pod_admin):
    """A group type defined at the top exists in both pods; a group asked for in az2
    lives in RegionTwo, with the volumes made in it, its snapshot and the group made
    from that snapshot; everything is deleted through the gateway."""
    name = _name("gt")
    made_type = _cinder(gateway, admin, "POST", "/group_types", "3.11", json={
        "group_type": {"name": name, "is_public": True}})
    assert made_type.status_code == 202, made_type.text
    type_id = made_type.json()["group_type"]["id"]
    groups: list[str] = []
    try:
        assert all(name in _group_type_ids(pod_admin, r) for r in REGIONS.values())
        volume_type = _cinder(gateway, demo, "GET", "/types/default", "3.14").json()
        group = _cinder(gateway, demo, "POST", "/groups", "3.14", json={"group": {
            "name": _name("grp"), "group_type": type_id, "availability_zone": "az2",
            "volume_types": [volume_type["volume_type"]["id"]]}})
        assert group.status_code == 202, group.text
        group_id = group.json()["group"]["id"]
        groups.append(group_id)
        shown = _wait_status(gateway, demo, f"/groups/{group_id}", "group", "available")
        assert shown["availability_zone"] == "az2"
        assert [r.region_name for r in gateway.routes(resource_type="volume_group",
                                                      top_id=group_id)] == ["RegionTwo"]
        member = demo.block_storage.create_volume(name=_name("in-grp"), size=1,
                                                  group_id=group_id,
                                                  volume_type=volume_type["volume_type"]["id"])
        member = demo.block_storage.wait_for_status(member, "available", failures=["error"],
                                                    wait=WAIT)
        assert member.availability_zone == "az2"
        snap = _cinder(gateway, demo, "POST", "/group_snapshots", "3.14", json={
            "group_snapshot": {"group_id": group_id, "name": _name("gsnap")}})
        assert snap.status_code == 202, snap.text
        snap_id = snap.json()["group_snapshot"]["id"]
        _wait_status(gateway, demo, f"/group_snapshots/{snap_id}", "group_snapshot",
                     "available")
        listed = _cinder(gateway, demo, "GET", "/group_snapshots", "3.14").json()
        assert snap_id in [s["id"] for s in listed["group_snapshots"]]
        copy = _cinder(gateway, demo, "POST", "/groups/action", "3.14", json={
            "create-from-src": {"group_snapshot_id": snap_id, "name": _name("grp2")}})
        assert copy.status_code == 202, copy.text
        copy_id = copy.json()["group"]["id"]
        groups.insert(0, copy_id)
        _wait_status(gateway, demo, f"/groups/{copy_id}", "group", "available")
        copied = [v for v in demo.block_storage.volumes(group_id=copy_id)]
        assert len(copied) == 1 and copied[0].availability_zone == "az2"
        assert demo.block_storage.get_volume(copied[0].id).id == copied[0].id  # routed
        assert {g["id"] for g in _cinder(gateway, demo, "GET", "/groups",
                                         "3.14").json()["groups"]} >= {group_id, copy_id}
        assert _cinder(gateway, demo, "DELETE", f"/group_snapshots/{snap_id}",
                       "3.14").status_code == 202
        _until(lambda: _cinder(gateway, demo, "GET", f"/group_snapshots/{snap_id}",
                               "3.14").status_code == 404)
    finally:
        for group_id in groups:
            _cinder(gateway, demo, "POST", f"/groups/{group_id}/action", "3.14",
                    json={"delete": {"delete-volumes": True}})
        for group_id in groups:
            _until(lambda g=group_id: _cinder(gateway, demo, "GET", f"/groups/{g}",
                                              "3.14").status_code == 404)
        gone = _cinder(gateway, admin, "DELETE", f"/group_types/{type_id}", "3.11")
        assert gone.status_code == 202, gone.text
    assert not any(name in _group_type_ids(pod_admin, r) for r in REGIONS.values())


def test_manage_calls_go_to_the_pod_of_the_host_they_name(admin, gateway, pod_admin):
    """Adopting a backend volume names a cinder-volume host: RegionTwo's goes to
    RegionTwo (the default pod would answer "Host not found"). The lab's file
    driver cannot adopt anything, so the volume ends in error; it is routed and
    deleted through the gateway all the same."""
    hosts = {r: pod_admin(r).block_storage.get("/os-services?binary=cinder-volume",
                                               microversion="3.8").json()["services"][0]["host"]
             for r in REGIONS.values()}
    adopted = _cinder(gateway, admin, "POST", "/manageable_volumes", "3.8", json={"volume": {
        "host": f"{hosts['RegionTwo']}#lab", "ref": {"source-name": _name("none")}}})
    assert adopted.status_code == 202, adopted.text
    volume_id = adopted.json()["volume"]["id"]
    try:
        assert adopted.json()["volume"]["availability_zone"] == "az2"
        rows = gateway.routes(resource_type="volume", top_id=volume_id)
        assert [r.region_name for r in rows] == ["RegionTwo"]
        _until(lambda: admin.block_storage.get_volume(volume_id).status in ("error",
                                                                            "available"))
    finally:
        admin.block_storage.delete_volume(volume_id, force=True)
        _until(lambda: _cinder(gateway, admin, "GET", f"/volumes/{volume_id}",
                               "3.8").status_code == 404)
        with pytest.raises(os_exc.NotFoundException):
            _in_pod(pod_admin, "RegionTwo", volume_id)
    unknown = _cinder(gateway, admin, "GET", "/manageable_volumes?host=nowhere@none", "3.8")
    assert unknown.status_code == 404 and "nowhere@none" in unknown.text  # Cinder's words


def test_messages_of_another_pod_are_listed_found_and_deleted(demo, made, gateway, lab,
                                                              pod_admin):
    """A user message RegionTwo's Cinder wrote (a volume its scheduler could not
    place) is listed through the gateway (3.3), shown and deleted in RegionTwo."""
    _volume(demo, made, "az2")  # the project holds volumes in RegionTwo
    pod = pod_admin("RegionTwo").block_storage
    nowhere = pod.create_type(name=_name("nowhere"),
                              extra_specs={"volume_backend_name": "no-such-backend"})
    direct = lab["regions"]["RegionTwo"]["volumev3"]
    token = {"X-Auth-Token": demo.session.get_token()}
    failed = requests.post(f"{direct}/volumes", headers=token, timeout=60, json={
        "volume": {"size": 1, "name": _name("unplaceable"), "volume_type": nowhere.id}})
    assert failed.status_code == 202, failed.text
    failed_id = failed.json()["volume"]["id"]
    try:
        def about_it() -> list[dict[str, Any]]:
            listed = _cinder(gateway, demo, "GET", "/messages", "3.3")
            assert listed.status_code == 200, listed.text
            return [m for m in listed.json()["messages"] if m["resource_uuid"] == failed_id]

        (message,) = _until(about_it)
        shown = _cinder(gateway, demo, "GET", f"/messages/{message['id']}", "3.3")
        assert shown.status_code == 200 and shown.json()["message"]["id"] == message["id"]
        rows = gateway.routes(resource_type="volume_message", top_id=message["id"])
        assert [r.region_name for r in rows] == ["RegionTwo"]
        gone = _cinder(gateway, demo, "DELETE", f"/messages/{message['id']}", "3.3")
        assert gone.status_code == 204, gone.text
        assert requests.get(f"{direct}/messages/{message['id']}", timeout=30, headers={
            **token, "OpenStack-API-Version": "volume 3.3"}).status_code == 404
    finally:
        pod.delete_volume(failed_id, ignore_missing=True, force=True)
        _until(lambda: pod.find_volume(failed_id, ignore_missing=True) is None)
        pod.delete_type(nowhere)
