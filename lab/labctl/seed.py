"""What the lab creates through the APIs: regions, users, catalog, test image and flavor.

Every step looks before it creates, so re-running changes nothing.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .api import ApiError, Session
from .settings import (
    CENTRAL_REGION,
    FLAVOR_ID,
    FLAVOR_NAME,
    IMAGE_ID,
    IMAGE_NAME,
    PASSWORD,
    POD_SERVICES,
    PODS,
    SERVICE_USERS,
    Lab,
    Pod,
)

# user -> (project, roles in it); "tricircle" also gets admin on project admin
USERS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    **{u: [("service", ("admin", "service"))] for u in SERVICE_USERS},
    "tricircle": [("service", ("admin", "service")), ("admin", ("admin",))],
    "demo": [("demo", ("member", "reader"))],
    "alt_demo": [("alt_demo", ("member", "reader"))],
}
SERVICE_NAMES = {"compute": "nova", "placement": "placement", "network": "neutron",
                 "image": "glance", "volumev3": "cinderv3"}


def _find(s: Session, collection: str, **query: str) -> dict | None:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    items = s.get(f"{s.keystone_url}/{collection}?{qs}")[collection]
    return items[0] if items else None


def _ensure(s: Session, collection: str, body: dict, **query: str) -> dict:
    found = _find(s, collection, **query)
    if found:
        return found
    return s.post(f"{s.keystone_url}/{collection}", {collection[:-1]: body})[collection[:-1]]


def _ensure_region(s: Session, region: str) -> None:
    try:
        s.get(f"{s.keystone_url}/regions/{region}")
    except ApiError as exc:
        if exc.status != 404:
            raise
        s.post(f"{s.keystone_url}/regions", {"region": {"id": region}})


def _ensure_endpoints(s: Session, service_type: str, name: str, urls: dict[str, str]) -> None:
    svc = _ensure(s, "services", {"name": name, "type": service_type}, type=service_type)
    for region, url in urls.items():
        for iface in ("public", "internal"):
            body = {"service_id": svc["id"], "interface": iface, "region_id": region,
                    "url": url}
            _ensure(s, "endpoints", body, service_id=svc["id"], region_id=region,
                    interface=iface)


def seed_identity(lab: Lab) -> dict[str, str]:
    """Create regions, projects, users, roles and the catalog; return project name -> id."""
    s = Session(lab.keystone_url)
    for region in (CENTRAL_REGION, *(p.name for p in PODS)):
        _ensure_region(s, region)
    projects = {name: _ensure(s, "projects", {"name": name, "domain_id": "default"},
                              name=name)["id"]
                for name in ("admin", "service", "demo", "alt_demo")}
    roles = {name: _ensure(s, "roles", {"name": name}, name=name)["id"]
             for name in ("admin", "member", "reader", "service")}
    for user, grants in USERS.items():
        body = {"name": user, "password": PASSWORD, "domain_id": "default",
                "default_project_id": projects[grants[0][0]]}
        uid = _ensure(s, "users", body, name=user)["id"]
        for project, role_names in grants:
            for role in role_names:
                s.call("PUT", f"{s.keystone_url}/projects/{projects[project]}/users/{uid}"
                              f"/roles/{roles[role]}")
    identity = {r: lab.keystone_url for r in (CENTRAL_REGION, *(p.name for p in PODS))}
    _ensure_endpoints(s, "identity", "keystone", identity)
    for stype in POD_SERVICES:
        _ensure_endpoints(s, stype, SERVICE_NAMES[stype], {p.name: p.url(stype) for p in PODS})
    return projects


def make_test_image(lab: Lab) -> Path:
    """Return a small valid qcow2 (64 MiB virtual, ~200 KiB) made once with qemu-img."""
    path = lab.data / f"{IMAGE_NAME}.qcow2"
    if not path.exists():
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path) + ".tmp", "64M"],
                       check=True)
        Path(str(path) + ".tmp").rename(path)
    return path


def _ensure_image(s: Session, pod: Pod, image: Path) -> None:
    base = pod.url("image")
    try:
        status = s.get(f"{base}/v2/images/{IMAGE_ID}")["status"]
    except ApiError as exc:
        if exc.status != 404:
            raise
        s.post(f"{base}/v2/images", {"id": IMAGE_ID, "name": IMAGE_NAME,
                                     "disk_format": "qcow2", "container_format": "bare",
                                     "visibility": "public", "min_disk": 0})
        status = "queued"
    if status == "queued":
        s.call("PUT", f"{base}/v2/images/{IMAGE_ID}/file", raw=image.read_bytes(),
               headers={"Content-Type": "application/octet-stream"}, timeout=120)


def _ensure_flavor(s: Session, pod: Pod) -> None:
    base = pod.url("compute")
    try:
        s.get(f"{base}/flavors/{FLAVOR_ID}")
    except ApiError as exc:
        if exc.status != 404:
            raise
        s.post(f"{base}/flavors", {"flavor": {"name": FLAVOR_NAME, "id": FLAVOR_ID,
                                              "ram": 64, "vcpus": 1, "disk": 1}})


def seed_pod(lab: Lab, pod: Pod) -> None:
    """Upload the shared test image and create the shared flavor in ``pod``."""
    s = Session(lab.keystone_url)
    _ensure_image(s, pod, make_test_image(lab))
    _ensure_flavor(s, pod)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def service_states(s: Session, pod: Pod, since: datetime | None = None,
                   timeout: float = 2.0) -> dict[str, str]:
    """Return ``binary -> up/down`` for nova and cinder services of ``pod``.

    With ``since``, a service whose last heartbeat is older counts as down (after a
    restart the database still says "up" for a minute).
    """
    states: dict[str, str] = {}
    for url in (f"{pod.url('compute')}/os-services",
                f"{pod.url('volumev3')}/{s.project_id}/os-services"):
        try:
            services = s.get(url, timeout=timeout)["services"]
        except (ApiError, OSError, ValueError, KeyError):
            continue
        for svc in services:
            beat = _parse_time(svc.get("updated_at"))
            fresh = since is None or (beat is not None and beat >= since)
            up = svc["state"] == "up" and svc["status"] == "enabled" and fresh
            states[svc["binary"]] = "up" if up else "down"
    return states


def wait_pod_ready(lab: Lab, pod: Pod, binaries: list[str], timeout: float,
                   check: Callable[[], None], since: datetime | None) -> list[str]:
    """Wait until ``binaries`` report up in ``pod``; return those still not up.

    ``check`` runs every second and may raise to abort the wait (a process died).
    """
    s = Session(lab.keystone_url)
    deadline = time.monotonic() + timeout
    missing = binaries
    while time.monotonic() < deadline:
        check()
        states = service_states(s, pod, since)
        missing = [b for b in binaries if states.get(b) != "up"]
        if not missing:
            break
        time.sleep(1.0)
    return missing


def hypervisor_count(lab: Lab, pod: Pod) -> int:
    s = Session(lab.keystone_url)
    return len(s.get(f"{pod.url('compute')}/os-hypervisors")["hypervisors"])
