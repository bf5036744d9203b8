"""Pure parts of the image domain: what a replica carries, which images a boot
needs, how replicas are brought in line, Glance's sort parameters."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from tricircle.fanout import images as image_list
from tricircle.fanout import merge
from tricircle.images import glance, replicate, snapshots, sync
from tricircle.scheduler.spec import Observations, RequestSpec
from tricircle.scheduler.weighers import image as image_weigher

SOURCE = {"id": "i1", "name": "cirros", "status": "active", "size": 10, "owner": "p1",
          "visibility": "shared", "protected": True, "os_hidden": False, "checksum": "c",
          "os_hash_algo": "sha512", "os_hash_value": "h", "self": "/v2/images/i1",
          "tags": ["a"], "hw_disk_bus": "virtio", "os_glance_import_task": "t",
          "created_at": "x", "min_disk": 1}


def test_a_replica_keeps_id_owner_visibility_and_properties_but_is_hidden_and_unprotected():
    body = glance.replica_body(SOURCE)
    assert body == {"id": "i1", "name": "cirros", "owner": "p1", "visibility": "shared",
                    "protected": False, "os_hidden": True, "tags": ["a"],
                    "hw_disk_bus": "virtio", "min_disk": 1}


def test_a_boot_needs_its_image_ref_and_image_block_devices_once():
    member = {"imageRef": "http://gw/image/v2/images/i1",
              "block_device_mapping_v2": [
                  {"source_type": "image", "uuid": "i2", "boot_index": 0},
                  {"source_type": "volume", "uuid": "v1"},
                  {"source_type": "image", "uuid": "i1"}]}
    assert replicate.boot_images(member) == ["i1", "i2"]
    assert replicate.boot_images({"imageRef": ""}) == []


def test_replicas_get_the_homes_fields_and_lose_what_it_dropped():
    copy = {**glance.replica_body(SOURCE), "name": "old", "stale_prop": "x",
            "status": "active", "os_hidden": True}
    ops = sync.patch_ops({**SOURCE, "min_ram": 0}, copy)
    assert {"op": "replace", "path": "/name", "value": "cirros"} in ops
    assert {"op": "add", "path": "/min_ram", "value": 0} in ops
    assert {"op": "remove", "path": "/stale_prop"} in ops
    assert not [o for o in ops if o["path"] in ("/os_hidden", "/protected", "/status",
                                                 "/os_glance_import_task")]


def test_a_replica_in_line_needs_no_patch():
    copy = {**glance.replica_body(SOURCE), "status": "active", "size": 10}
    assert sync.patch_ops(SOURCE, copy) == []


@pytest.mark.parametrize(("query", "spec"), [
    ([], [("created_at", "desc"), ("id", "desc")]),
    ([("sort_key", "name"), ("sort_dir", "asc")],
     [("name", "asc"), ("created_at", "asc"), ("id", "asc")]),
    ([("sort", "name:asc,size")], [("name", "asc"), ("size", "desc"),
                                   ("created_at", "asc"), ("id", "asc")]),
])
def test_glance_sort_parameters_become_the_merge_order(query, spec):
    assert image_list._sort_spec(MultiDict(query)) == spec


def test_sort_mixed_with_sort_key_is_left_to_the_pod_to_refuse():
    with pytest.raises(merge.InvalidSortParams):
        image_list._sort_spec(MultiDict([("sort", "name"), ("sort_key", "size")]))


def test_pods_holding_the_boot_images_weigh_more():
    class Pod:
        def __init__(self, id_: str) -> None:
            self.id = id_

    spec = RequestSpec(project_id="p", images=("i1", "i2"))
    obs = Observations(image_copies={"a": 2, "b": 1})
    assert image_weigher.weigh(spec, [Pod("a"), Pod("b"), Pod("c")], obs) == [1.0, 0.5, 0.0]
    assert image_weigher.weigh(RequestSpec(project_id="p"), [Pod("a")], obs) == [0.0]


def test_the_image_a_server_action_made_is_found_in_body_or_location():
    from aiohttp import web

    uuid = "6b1b2a4c-3f6e-4c2a-9d0e-1a7b5c3e9f10"
    body = web.Response(status=202, body=b'{"image_id": "%s"}' % uuid.encode())
    assert snapshots.made_image(b'{"createImage": {"name": "s"}}', body) == uuid
    located = web.Response(status=202, headers={"Location": f"http://g/v2/images/{uuid}"})
    assert snapshots.made_image(b'{"createBackup": {}}', located) == uuid
    assert snapshots.made_image(b'{"reboot": {}}', body) is None
    assert snapshots.made_image(b'{"createImage": {}}', web.Response(status=409)) is None
