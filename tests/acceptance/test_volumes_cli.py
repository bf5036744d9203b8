"""The real `openstack` CLI (the lab's client venv) on the volume surface."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

# the `cli` fixture (the lab's openstack CLI pointed at the test gateway)
from tests.acceptance.test_servers_cli import cli as cli_fixture  # noqa: F401

pytestmark = pytest.mark.lab


def _until_status(cli: Any, volume: str, status: str, wait: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + wait
    while True:
        shown = cli("volume", "show", volume)
        if shown["status"] == status or time.monotonic() > deadline:
            assert shown["status"] == status, shown
            return shown  # type: ignore[no-any-return]
        time.sleep(1)


def test_volume_create_attach_detach_extend_delete_with_the_openstack_cli(request, lab,
                                                                          pod_admin):
    cli = request.getfixturevalue("cli_fixture")
    name = f"vt-cli-{uuid.uuid4().hex[:6]}"
    server = cli("server", "create", "--image", lab["image_id"], "--flavor", lab["flavor_id"],
                 "--nic", "none", "--availability-zone", "az2", "--wait", name)
    volume = cli("volume", "create", "--size", "1", "--availability-zone", "az2", name)
    try:
        assert volume["availability_zone"] == "az2"
        _until_status(cli, volume["id"], "available")
        assert pod_admin("RegionTwo").block_storage.get_volume(volume["id"]).name == name
        cli("server", "add", "volume", server["id"], volume["id"])
        attached = _until_status(cli, volume["id"], "in-use")
        assert attached["attachments"][0]["server_id"] == server["id"]
        cli("server", "remove", "volume", server["id"], volume["id"], output=False)
        _until_status(cli, volume["id"], "available")
        cli("volume", "set", "--size", "2", volume["id"], output=False)
        deadline = time.monotonic() + 60
        while cli("volume", "show", volume["id"])["size"] != 2:
            assert time.monotonic() < deadline, "not extended"
            time.sleep(1)
        assert pod_admin("RegionTwo").block_storage.get_volume(volume["id"]).size == 2
        listed = cli("volume", "list")
        assert volume["id"] in [v["ID"] for v in listed]
    finally:
        try:
            cli("server", "delete", "--wait", server["id"], output=False)
            _until_status(cli, volume["id"], "available")
            cli("volume", "delete", volume["id"], output=False)
        finally:  # the lab may have restarted under us: leave nothing behind
            pod_admin("RegionTwo").compute.delete_server(server["id"], ignore_missing=True)
    deadline = time.monotonic() + 60
    while pod_admin("RegionTwo").block_storage.find_volume(volume["id"]) is not None:
        assert time.monotonic() < deadline, "volume not deleted"
        time.sleep(1)
