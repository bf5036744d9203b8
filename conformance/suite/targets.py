"""Targets (the gateway and the baselines) and the tempest.conf each one gets.

A target is a catalog region tempest takes every service from, plus optionally a separate region
for the network service. Values the template leaves open are read from the target itself
(version documents, /v2.0/extensions, the volume pools), so the file says what the cloud says.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .lab import CENTRAL_NEUTRON_REGION, Keystone, http

HERE = Path(__file__).resolve().parent.parent
TEMPLATE = HERE / "tempest" / "tempest.conf.template"
SURFACES = ("compute", "network", "volumev3", "image")


@dataclass(frozen=True)
class Target:
    name: str
    region: str  # [identity] region: every service whose own region is empty
    network_region: str = ""
    label: str = ""


GATEWAY = Target("gateway", "CentralRegion", label="through the gateway (CentralRegion)")
REGIONONE = Target("regionone", "RegionOne", label="directly against pod RegionOne")
CENTRAL_NEUTRON = Target("central-neutron", "RegionOne", CENTRAL_NEUTRON_REGION,
                         label="directly against central Neutron (other services: RegionOne)")
TARGETS = {t.name: t for t in (GATEWAY, REGIONONE, CENTRAL_NEUTRON)}


def surface_served(ks: Keystone, target: Target, service_type: str) -> bool:
    """True when the target's catalog has ``service_type`` and its endpoint answers JSON."""
    region = target.network_region if service_type == "network" and target.network_region \
        else target.region
    url = ks.endpoint(service_type, region)
    if not url:
        return False
    probe = {"network": url + "/v2.0/networks?limit=1", "image": url + "/v2/images?limit=1",
             "compute": url + "/flavors", "volumev3": url + "/types"}[service_type]
    if service_type == "volumev3" and "/v3" in url and not re.search(r"/v3/[0-9a-f]{32}", url):
        probe = f"{url}/{_project_id(ks)}/types"
    for attempt in range(3):  # a busy gateway may miss one probe: not "not served"
        status, data = ks.get(probe, timeout=30)
        if status != 0:
            break
        time.sleep(5 * (attempt + 1))
    return status == 200 and isinstance(data, dict)


def _project_id(ks: Keystone) -> str:
    return ks.project_id


def nova_max_microversion(ks: Keystone, url: str | None) -> str:
    if url:
        _, data = ks.get(url + "/")
        version = (data or {}).get("version", {}) if isinstance(data, dict) else {}
        if version.get("version"):
            return str(version["version"])
    return "2.1"


def settled_microversion(ks: Keystone, url: str | None, seen: str, pod_max: str,
                         wait: float = 180) -> str:
    """The gateway's advertised maximum, given time to settle after a pod restart.

    The gateway advertises what every healthy pod supports; right after a lab restart it
    may briefly say 2.1, which would turn most microversioned tests into skips.
    """
    import time
    deadline = time.monotonic() + wait
    while _mv(seen) < _mv(pod_max) and time.monotonic() < deadline:
        time.sleep(10)
        seen = nova_max_microversion(ks, url)
    return seen


def _mv(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def cinder_max_microversion(ks: Keystone, url: str | None) -> str:
    if url:
        # the unversioned root of the endpoint: http://pod:8776/, http://gw/volume/
        root = re.sub(r"/v3(/.*)?$", "", url.rstrip("/")) + "/"
        _, _, data = http("GET", root, None)
        for v in (data or {}).get("versions", []) if isinstance(data, dict) else []:
            if v.get("id") == "v3.0" and v.get("version"):
                return str(v["version"])
    return "3.0"


STANDING_EXTERNAL_NETWORKS = ("public",)


def network_facts(ks: Keystone, url: str | None) -> tuple[str, str, str]:
    """Return (extension aliases, external network id, its name) of a Neutron."""
    if not url:
        return "all", "", ""
    _, data = ks.get(url + "/v2.0/extensions")
    aliases = sorted(e["alias"] for e in (data or {}).get("extensions", [])) \
        if isinstance(data, dict) else []
    _, data = ks.get(url + "/v2.0/networks?router:external=True")
    nets = (data or {}).get("networks", []) if isinstance(data, dict) else []
    # only a standing one (devstack's "public"): other engineers' tests make and delete
    # external networks in the shared lab, and a run configured with one of those fails
    # every class whose credentials get a router (NetworkNotFound on its gateway)
    nets = [n for n in nets if n.get("name") in STANDING_EXTERNAL_NETWORKS]
    ext_id, ext_name = (nets[0]["id"], nets[0]["name"]) if nets else ("", "")
    return ",".join(aliases) or "all", ext_id, ext_name


def volume_pool(ks: Keystone, url: str | None) -> tuple[str, str, str]:
    """Return (storage_protocol, volume_backend_name, vendor_name) of the first pool."""
    if url:
        base = url if re.search(r"/v3/[0-9a-f]{32}", url) else f"{url}/{_project_id(ks)}"
        _, data = ks.get(base + "/scheduler-stats/get_pools?detail=True")
        for pool in (data or {}).get("pools", []) if isinstance(data, dict) else []:
            caps = pool.get("capabilities", {})
            return (str(caps.get("storage_protocol", "fake")),
                    str(caps.get("volume_backend_name", "fake")),
                    str(caps.get("vendor_name", "Open Source")))
    return "fake", "fake", "Open Source"


def alt_flavor(ks: Keystone, url: str | None, flavor_id: str) -> str:
    """Another flavor with a disk than ``flavor_id`` if the target has one, else the same."""
    if url:
        _, data = ks.get(url + "/flavors/detail")
        for fl in sorted((data or {}).get("flavors", []) if isinstance(data, dict) else [],
                         key=lambda f: (f.get("ram", 0), f["id"])):
            if fl["id"] != flavor_id and fl.get("disk"):
                return str(fl["id"])
    return flavor_id


def fill(lab: dict[str, Any], ks: Keystone, target: Target, workspace: Path,
         isolated_networks: bool) -> tuple[str, dict[str, str]]:
    """Return the tempest.conf text for ``target`` and the values it was filled with."""
    compute = ks.endpoint("compute", target.region)
    nova_max = nova_max_microversion(ks, compute)
    if target.region != "RegionOne":
        nova_max = settled_microversion(ks, compute, nova_max,
                                        nova_max_microversion(ks, ks.endpoint("compute",
                                                                              "RegionOne")))
    net_region = target.network_region or target.region
    network = ks.endpoint("network", net_region)
    # the volume facts come from the pod when the target does not serve volumes yet
    volume = ks.endpoint("volumev3", target.region) or ks.endpoint("volumev3", "RegionOne")
    extensions, ext_id, ext_name = network_facts(ks, network)
    protocol, backend, vendor = volume_pool(ks, volume)
    values = {
        "WORKSPACE": str(workspace),
        "ADMIN_USER": "admin",
        "ADMIN_PASSWORD": lab.get("password", "labpass"),
        "ADMIN_PROJECT": "admin",
        "KEYSTONE_URL": ks.auth_url,
        "REGION": target.region,
        "NETWORK_REGION": target.network_region,
        "ISOLATED_NETWORKS": str(isolated_networks),
        "IMAGE_UUID": lab["image_id"],
        "IMAGE_ALT_UUID": lab["image_id"],
        "FLAVOR_ID": lab["flavor_id"],
        "FLAVOR_ALT_ID": alt_flavor(ks, compute, lab["flavor_id"]),
        "NOVA_MAX_MICROVERSION": nova_max,
        "CINDER_MAX_MICROVERSION": cinder_max_microversion(ks, volume),
        "NETWORK_EXTENSIONS": extensions,
        "EXTERNAL_NETWORK_ID": ext_id,
        "EXTERNAL_NETWORK_NAME": ext_name,
        "VOLUME_CATALOG_TYPE": "volumev3",
        "STORAGE_PROTOCOL": protocol,
        "BACKEND_NAMES": backend,
        "VENDOR_NAME": vendor,
    }
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    left = sorted(set(re.findall(r"@@([A-Z_]+)@@", text)))
    if left:
        raise ValueError(f"unfilled placeholders in {TEMPLATE}: {left}")
    return text, values
