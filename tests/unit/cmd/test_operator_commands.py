"""The operator commands on a SQLite database, through `tricircle.cmd.main.main`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tricircle.cmd import main as cli
from tricircle.cmd import register_endpoints


@pytest.fixture
def tricircle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    config = tmp_path / "tricircle.conf"
    config.write_text(f"[database]\nconnection = sqlite+aiosqlite:///{tmp_path / 't.db'}\n"
                      "[keystone]\nauth_url = http://127.0.0.1:9/v3\n")

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(["--config-file", str(config), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_db_upgrade_then_current_is_at_head(tricircle: Any) -> None:
    code, out, _ = tricircle("db", "current")
    assert (code, out.split()[0]) == (1, "empty")
    assert tricircle("db", "upgrade")[0] == 0
    code, out, _ = tricircle("db", "current")
    assert code == 0 and "(head)" in out


def test_pod_lifecycle(tricircle: Any) -> None:
    tricircle("db", "upgrade")
    code, out, _ = tricircle("pod", "add", "RegionOne", "--az", "az1", "--pod-az", "nova",
                             "--no-probe", "-f", "json")
    assert code == 0 and json.loads(out)["az_name"] == "az1"
    code, _, err = tricircle("pod", "add", "RegionOne", "--az", "az1", "--no-probe")
    assert code == 1 and "already exists" in err
    code, out, _ = tricircle("pod", "update", "RegionOne", "--state", "draining", "-f", "json")
    assert json.loads(out)["state"] == "draining"
    code, out, _ = tricircle("pod", "list", "-f", "json")
    assert [p["region_name"] for p in json.loads(out)] == ["RegionOne"]
    code, out, _ = tricircle("pod", "list")
    assert out.splitlines()[0].split()[:2] == ["region_name", "az_name"]
    assert tricircle("pod", "delete", "RegionOne")[0] == 0
    code, _, err = tricircle("pod", "show", "RegionOne")
    assert code == 1 and "could not be found" in err


def test_routing_and_job_commands_read_and_repair(tricircle: Any) -> None:
    tricircle("db", "upgrade")
    code, out, _ = tricircle("routing", "list", "-f", "json")
    assert (code, json.loads(out)) == (0, [])
    code, _, err = tricircle("routing", "show", "42")
    assert code == 1 and "42" in err
    code, out, _ = tricircle("job", "list", "--status", "failed", "-f", "json")
    assert (code, json.loads(out)) == (0, [])
    assert tricircle("job", "redo", "no-such-job")[0] == 1


def test_status_reports_an_unreachable_keystone(tricircle: Any) -> None:
    tricircle("db", "upgrade")
    code, out, _ = tricircle("status", "-f", "json")
    report = json.loads(out)
    assert code == 1
    assert report["database"]["ok"] and not report["keystone"]["ok"]
    assert report["jobs"]["detail"]["failed"] == 0


def test_status_reports_a_schema_behind_head(tricircle: Any) -> None:
    code, out, _ = tricircle("status", "-f", "json")
    assert code == 1 and "tricircle db upgrade" in json.loads(out)["database"]["detail"]


class FakeKeystone:
    """Keystone v3 regions/services/endpoints in memory (the calls the command makes)."""

    def __init__(self) -> None:
        self.regions: set[str] = {"RegionOne"}
        self.services = [{"id": "s-nova", "type": "compute", "name": "nova"}]
        self.endpoints: list[dict[str, Any]] = []
        self.writes = 0

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        if path.startswith("/regions/"):
            name = path.split("/")[-1]
            return {"region": {"id": name}} if name in self.regions else {}
        if path == "/services":
            return {"services": [s for s in self.services if s["type"] == params["type"]]}
        return {"endpoints": [e for e in self.endpoints
                              if all(e[k] == v for k, v in params.items())]}

    def send(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.writes += 1
        if path == "/regions":
            self.regions.add(body["region"]["id"])
            return body
        if path == "/services":
            service = {"id": "s-" + body["service"]["type"], **body["service"]}
            self.services.append(service)
            return {"service": service}
        if method == "PATCH":
            endpoint = next(e for e in self.endpoints if path.endswith(e["id"]))
            endpoint.update(body["endpoint"])
            return {"endpoint": endpoint}
        self.endpoints.append({"id": f"e{len(self.endpoints)}", **body["endpoint"]})
        return {"endpoint": self.endpoints[-1]}


def test_register_endpoints_is_idempotent_and_fixes_urls() -> None:
    keystone = FakeKeystone()
    register_endpoints.register(keystone, "CentralRegion", "http://gw:19999")  # type: ignore
    urls = {(e["service_id"], e["interface"]): e["url"] for e in keystone.endpoints}
    assert urls[("s-nova", "public")] == "http://gw:19999/compute/v2.1"
    assert urls[("s-multiregion", "internal")] == "http://gw:19999/v1.0"
    assert urls[("s-block-storage", "public")] == "http://gw:19999/volume/v3"
    assert len(keystone.endpoints) == 12 and "CentralRegion" in keystone.regions
    writes = keystone.writes
    lines = register_endpoints.register(keystone, "CentralRegion", "http://gw:19999")  # type: ignore
    assert keystone.writes == writes and all(line.endswith("exists") or "exists (" in line
                                             for line in lines)
    lines = register_endpoints.register(keystone, "CentralRegion", "http://new:19999")  # type: ignore
    assert sum("updated" in line for line in lines) == 12
