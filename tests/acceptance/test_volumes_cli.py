"""The real `openstack` CLI (the lab's client venv) on the volume surface."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

# the `cli` fixture (the lab's openstack CLI pointed at the test gateway)
from tests.acceptance.test_servers_cli import cli as cli_fixture  # noqa: F401

pytestmark = pytest.mark.lab
WAIT = 120


def _status(demo: Any, volume_id: str, status: str, **want: Any) -> Any:
    """The volume once in `status` with the `want`ed attributes, polled through the
    gateway with openstacksdk (cheaper than a CLI call per poll)."""
    deadline = time.monotonic() + WAIT
    while True:
        volume = demo.block_storage.get_volume(volume_id)
        done = volume.status == status and all(getattr(volume, k) == v
                                               for k, v in want.items())
        if done or volume.status == "error" or time.monotonic() > deadline:
            assert done, f"volume {volume_id}: {volume.status}, wanted {status} {want}"
            return volume
        time.sleep(1)


def _gone(pod: Any, volume_id: str) -> bool:
    deadline = time.monotonic() + WAIT
    while pod.block_storage.find_volume(volume_id) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    return True


def test_volume_create_attach_detach_extend_delete_with_the_openstack_cli(request, lab, demo,
                                                                          pod_admin):
    cli = request.getfixturevalue("cli_fixture")
    name = f"vt-cli-{uuid.uuid4().hex[:6]}"
    server = cli("server", "create", "--image", lab["image_id"], "--flavor", lab["flavor_id"],
                 "--nic", "none", "--availability-zone", "az2", "--wait", name)
    volume = cli("volume", "create", "--size", "1", "--availability-zone", "az2", name)
    try:
        assert volume["availability_zone"] == "az2"
        _status(demo, volume["id"], "available")
        assert pod_admin("RegionTwo").block_storage.get_volume(volume["id"]).name == name
        cli("server", "add", "volume", server["id"], volume["id"])
        attached = _status(demo, volume["id"], "in-use")
        assert attached.attachments[0]["server_id"] == server["id"]
        # v3 attachments (3.27) of RegionTwo's Nova, through the gateway
        listed = cli("--os-volume-api-version", "3.27", "volume", "attachment", "list",
                     "--volume-id", volume["id"])
        assert [a["ID"] for a in listed] == [attached.attachments[0]["attachment_id"]]
        shown = cli("--os-volume-api-version", "3.27", "volume", "attachment", "show",
                    listed[0]["ID"])
        assert shown["ID"] == listed[0]["ID"]
        assert {volume["id"], server["id"]} <= {v for v in shown.values() if isinstance(v, str)}
        cli("server", "remove", "volume", server["id"], volume["id"], output=False)
        _status(demo, volume["id"], "available")
        cli("volume", "set", "--size", "2", volume["id"], output=False)
        _status(demo, volume["id"], "available", size=2)
        assert cli("volume", "show", volume["id"])["size"] == 2
        assert pod_admin("RegionTwo").block_storage.get_volume(volume["id"]).size == 2
        assert volume["id"] in [v["ID"] for v in cli("volume", "list")]
    finally:
        try:
            cli("server", "delete", "--wait", server["id"], output=False)
            _status(demo, volume["id"], "available")
            cli("volume", "delete", volume["id"], output=False)
        finally:  # the lab may have restarted under us: leave nothing behind
            pod_admin("RegionTwo").compute.delete_server(server["id"], ignore_missing=True)
    assert _gone(pod_admin("RegionTwo"), volume["id"])
