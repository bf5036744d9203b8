"""The lab as conformance/run sees it: lab.json, Keystone tokens and catalogs, small HTTP calls.

Standard library only: conformance/run must work before (and without) any of the project's venvs.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout
GATEWAY_URL = os.environ.get("TRICIRCLE_GATEWAY_URL", "http://127.0.0.1:19999")
CENTRAL_NEUTRON_REGION = "ConformanceCentralNeutron"


class LabError(RuntimeError):
    """The lab is missing, or answered something unusable; the message says what."""


def lab_json_path() -> Path:
    return Path(os.environ.get("TRICIRCLE_LAB_JSON", ROOT / ".lab" / "lab.json"))


def load_lab() -> dict[str, Any]:
    path = lab_json_path()
    if not path.exists():
        raise LabError(f"{path} not found: start the lab first (make lab)")
    return json.loads(path.read_text())


def http(method: str, url: str, token: str | None = None, body: Any = None,
         timeout: float = 15.0, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, str], Any]:
    """Return (status, headers, decoded JSON or text); never raises for HTTP errors."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        status, hdrs, raw = exc.code, dict(exc.headers), exc.read()
    except (OSError, ValueError) as exc:
        return 0, {}, str(exc)
    try:
        return status, hdrs, json.loads(raw) if raw else None
    except ValueError:
        return status, hdrs, raw.decode(errors="replace")


@dataclass
class Keystone:
    """An admin session on the lab's Keystone (project-scoped token and its catalog)."""

    auth_url: str
    password: str
    user: str = "admin"
    project: str = "admin"
    token: str = ""
    project_id: str = ""
    catalog: list[dict[str, Any]] = field(default_factory=list)

    def login(self) -> Keystone:
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.user, "password": self.password, "domain": {"id": "default"}}}},
            "scope": {"project": {"name": self.project, "domain": {"id": "default"}}}}}
        status, hdrs, data = http("POST", f"{self.auth_url}/v3/auth/tokens", body=body)
        if status != 201:
            raise LabError(f"Keystone login as {self.user} failed: {status} {data}")
        self.token = hdrs.get("X-Subject-Token", "")
        self.catalog = data["token"].get("catalog", [])
        self.project_id = data["token"]["project"]["id"]
        return self

    def endpoint(self, service_type: str, region: str) -> str | None:
        """Return the public URL of ``service_type`` in ``region``, or None."""
        for svc in self.catalog:
            if svc["type"] != service_type:
                continue
            for ep in svc["endpoints"]:
                if ep["interface"] == "public" and ep["region_id"] == region:
                    return ep["url"].rstrip("/")
        return None

    def get(self, url: str, **kw: Any) -> tuple[int, Any]:
        status, _, data = http("GET", url, self.token, **kw)
        return status, data

    def ensure_network_region(self, region: str, neutron_url: str) -> None:
        """Register ``region`` with one network endpoint (central Neutron); idempotent.

        Tempest has no endpoint override, only a region per service: the network baseline
        needs a catalog region whose network endpoint is central Neutron itself.
        """
        base = f"{self.auth_url}/v3"
        status, _ = self.get(f"{base}/regions/{region}")
        if status == 404:
            http("POST", f"{base}/regions", self.token, {"region": {
                "id": region, "description": "central Neutron, for conformance/run baselines"}})
        _, data = self.get(f"{base}/services?type=network")
        services = (data or {}).get("services", [])
        if not services:
            raise LabError("no network service in the Keystone catalog")
        sid = services[0]["id"]
        _, data = self.get(f"{base}/endpoints?service_id={sid}&region_id={region}")
        have = {ep["interface"] for ep in (data or {}).get("endpoints", [])}
        for iface in ("public", "internal"):
            if iface not in have:
                http("POST", f"{base}/endpoints", self.token, {"endpoint": {
                    "service_id": sid, "interface": iface, "region_id": region,
                    "url": neutron_url}})
        self.login()  # a new token carries the new catalog


def keystone(lab: dict[str, Any]) -> Keystone:
    return Keystone(auth_url=lab["auth_url"].rstrip("/").removesuffix("/v3"),
                    password=lab.get("password", "labpass")).login()


def gateway_answering(url: str = GATEWAY_URL) -> bool:
    status, _, _ = http("GET", url + "/", timeout=3)
    return 0 < status < 500


def lab_urls(lab: dict[str, Any]) -> list[str]:
    urls = [lab["auth_url"], lab["central_neutron"]]
    for region in lab["regions"].values():
        urls += [u for k, u in region.items() if k != "availability_zone"]
    return urls


def wait_lab(lab: dict[str, Any], timeout: float = 600) -> list[str]:
    """Wait until every API of the lab answers; return those that still do not."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        down = [u for u in lab_urls(lab) if http("GET", u, timeout=5)[0] == 0]
        if not down or time.monotonic() > deadline:
            return down
        time.sleep(5)


def wait_gateway(timeout: float, url: str = GATEWAY_URL) -> bool:
    """Wait until the gateway answers (someone may be restarting it); True if it does."""
    import time
    deadline = time.monotonic() + timeout
    while not gateway_answering(url):
        if time.monotonic() > deadline:
            return False
        time.sleep(5)
    return True
