"""Register the gateway's endpoints in Keystone (region CentralRegion), idempotently."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from keystoneauth1 import session as ks_session
from oslo_config import cfg

from tricircle.identity.service_auth import ServiceAuth

# (service type, path under the gateway URL, name for a service we must create)
SURFACES = (
    ("compute", "/compute/v2.1", "nova"),
    ("volumev3", "/volume/v3", "cinderv3"),
    ("block-storage", "/volume/v3", "cinder"),
    ("image", "/image", "glance"),
    ("network", "/network", "neutron"),
    ("multiregion", "/v1.0", "tricircle"),
)
INTERFACES = ("public", "internal")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:19999",
                        help="The gateway's base URL as clients reach it.")
    parser.add_argument("--region", help="Catalog region (default [keystone] region_name).")


@dataclass
class Keystone:
    """Just the Keystone v3 calls this command needs, on a keystoneauth1 session."""

    session: ks_session.Session
    base: str

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        resp = self.session.get(self.base + path, params=params, raise_exc=False)
        if resp.status_code == 404:
            return {}
        resp.raise_for_status()
        return resp.json()  # type: ignore[no-any-return]

    def send(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.session.request(self.base + path, method, json=body)
        return resp.json()  # type: ignore[no-any-return]


def run(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    keystone = Keystone(ServiceAuth(conf).keystone_session(),
                        str(conf.keystone.auth_url).rstrip("/"))
    region = args.region or conf.keystone.region_name
    try:
        for line in register(keystone, region, args.url.rstrip("/")):
            print(line)
    except Exception as exc:  # keystoneauth1 errors: say which, never the password
        print(f"error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def register(keystone: Keystone, region: str, url: str) -> list[str]:
    """Create what is missing, fix what differs; return one line per change or check."""
    lines = [ensure_region(keystone, region)]
    for service_type, path, name in SURFACES:
        service_id, line = ensure_service(keystone, service_type, name)
        lines.append(line)
        for interface in INTERFACES:
            lines.append(ensure_endpoint(keystone, service_id, service_type, region,
                                         interface, url + path))
    return lines


def ensure_region(keystone: Keystone, region: str) -> str:
    if keystone.get(f"/regions/{region}").get("region"):
        return f"region {region}: exists"
    keystone.send("POST", "/regions", {"region": {"id": region,
                                                  "description": "Tricircle gateway"}})
    return f"region {region}: created"


def ensure_service(keystone: Keystone, service_type: str, name: str) -> tuple[str, str]:
    """The service of `service_type` (shared with the pods' endpoints), created if none."""
    services = keystone.get("/services", type=service_type).get("services", [])
    if services:
        chosen = sorted(services, key=lambda s: s["name"] != name)[0]
        return chosen["id"], f"service {service_type}: exists ({chosen['name']})"
    made = keystone.send("POST", "/services", {"service": {
        "type": service_type, "name": name, "enabled": True,
        "description": f"{service_type} (Tricircle)"}})["service"]
    return made["id"], f"service {service_type}: created ({name})"


def ensure_endpoint(keystone: Keystone, service_id: str, service_type: str, region: str,
                    interface: str, url: str) -> str:
    found = keystone.get("/endpoints", service_id=service_id, region_id=region,
                         interface=interface).get("endpoints", [])
    what = f"endpoint {service_type} {interface} {url}"
    if not found:
        keystone.send("POST", "/endpoints", {"endpoint": {
            "service_id": service_id, "region_id": region, "interface": interface,
            "url": url, "enabled": True}})
        return f"{what}: created"
    if found[0]["url"] == url and found[0].get("enabled", True):
        return f"{what}: exists"
    keystone.send("PATCH", f"/endpoints/{found[0]['id']}",
                  {"endpoint": {"url": url, "enabled": True}})
    return f"{what}: updated (was {found[0]['url']})"
