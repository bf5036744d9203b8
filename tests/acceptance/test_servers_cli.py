"""The real `openstack` CLI (the lab's client venv) against the gateway."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def cli(lab: dict[str, Any], gateway: Any, tmp_path_factory: pytest.TempPathFactory):
    binary = Path(lab.get("cli_venv", "")) / "bin" / "openstack"
    if not binary.exists():
        pytest.skip(f"no openstack CLI at {binary}")
    clouds = tmp_path_factory.mktemp("cli") / "clouds.yaml"
    cloud = {"auth": {"auth_url": lab["auth_url"], "username": "demo",
                      "password": lab.get("password", "labpass"), "project_name": "demo",
                      "user_domain_name": "Default", "project_domain_name": "Default"},
             "identity_api_version": 3, "region_name": lab.get("central_region"),
             # every surface the CLI may look up points at this gateway: the lab's
             # CentralRegion catalog need not have endpoints (a fresh lab has none)
             "compute_endpoint_override": gateway.compute_url,
             "image_endpoint_override": gateway.url + "/image",
             "network_endpoint_override": gateway.url + "/network",
             "volume_endpoint_override": gateway.url + "/volume/v3",
             "block_storage_endpoint_override": gateway.url + "/volume/v3"}
    clouds.write_text(json.dumps({"clouds": {"gateway": cloud}}))  # JSON is YAML
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}

    def run(*args: str, output: bool = True) -> Any:
        fmt = ["-f", "json"] if output else []
        done = subprocess.run([str(binary), "--os-cloud", "gateway",
                               "--os-compute-api-version", "2.79", *args, *fmt],
                              capture_output=True, text=True, env=env, timeout=240,
                              check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    return run


def test_server_create_show_stop_delete_with_the_openstack_cli(cli, lab, gateway, pod_admin):
    name = f"cc-cli-{uuid.uuid4().hex[:6]}"
    server = cli("server", "create", "--image", lab["image_id"], "--flavor", lab["flavor_id"],
                 "--nic", "none", "--availability-zone", "az2", "--wait", name)
    try:
        assert server["status"] == "ACTIVE"
        assert server["OS-EXT-AZ:availability_zone"] == "az2"
        assert pod_admin("RegionTwo").compute.get_server(server["id"]).name == name
        shown = cli("server", "show", server["id"])
        assert shown["name"] == name and not shown.get("properties")
    finally:
        try:
            cli("server", "delete", "--wait", server["id"], output=False)
        finally:  # the lab may have restarted under us: leave nothing behind
            pod_admin("RegionTwo").compute.delete_server(server["id"], ignore_missing=True)
    assert pod_admin("RegionTwo").compute.find_server(server["id"], ignore_missing=True) is None
